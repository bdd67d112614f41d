"""Resource limits of the process's cgroup, v1 or v2, found through mountinfo.

A cgroup path from `/proc/self/cgroup` is relative to the hierarchy's root; the hierarchy is
mounted somewhere (mountinfo's root field says which part of it), so the directory of the
process's cgroup is `mount point + (path - mount root)`. The effective limit is the tightest
one on the way up to the mount point: a container usually sees only its own cgroup.
"""

from __future__ import annotations

from dataclasses import dataclass
from posixpath import join, normpath

from c4guard.live.procfs import CgroupMembership, MountEntry
from c4guard.live.rootfs import HostRoot

# The v1 "unlimited" memory limit is PAGE_COUNTER_MAX pages; anything this large is no limit.
V1_UNLIMITED_MEMORY = 1 << 62


@dataclass(frozen=True, slots=True)
class Limit:
    """One controller's limit: `value` None means unlimited; `file` is where it was read."""

    controller: str
    value: str | None
    file: str | None
    version: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class _Control:
    controller: str
    v2_file: str
    v1_files: tuple[str, ...]


CONTROLS = (
    _Control("memory", "memory.max", ("memory.limit_in_bytes",)),
    _Control("cpu", "cpu.max", ("cpu.cfs_quota_us", "cpu.cfs_period_us")),
    _Control("pids", "pids.max", ("pids.max",)),
)


def read_limits(
    root: HostRoot, memberships: list[CgroupMembership], mounts: list[MountEntry]
) -> list[Limit]:
    """The memory, cpu and pids limits of the process (v1 controllers win where mounted)."""
    return [_limit(root, control, memberships, mounts) for control in CONTROLS]


def _limit(
    root: HostRoot, control: _Control, memberships: list[CgroupMembership], mounts: list[MountEntry]
) -> Limit:
    v1_mount = next(
        (m for m in mounts if m.fs_type == "cgroup" and control.controller in m.super_options), None
    )
    if v1_mount is not None:
        member = next((m for m in memberships if control.controller in m.controllers), None)
        if member is not None:
            return _walk(root, control, _directory(v1_mount, member.path), v1_mount, 1)
    v2_mount = next((m for m in mounts if m.fs_type == "cgroup2"), None)
    member = next((m for m in memberships if m.hierarchy == "0" and not m.controllers), None)
    if v2_mount is None or member is None:
        return Limit(control.controller, None, None, 2, "no cgroup hierarchy is visible")
    return _walk(root, control, _directory(v2_mount, member.path), v2_mount, 2)


def _directory(mount: MountEntry, path: str) -> str:
    relative = path
    if mount.root != "/" and (path == mount.root or path.startswith(mount.root + "/")):
        relative = path[len(mount.root) :]
    elif mount.root != "/" or path.startswith("/.."):
        relative = "/"  # the process's cgroup lies outside this mount: use the mount's root
    return normpath(join(mount.mount_point, relative.lstrip("/")))


def _walk(
    root: HostRoot, control: _Control, directory: str, mount: MountEntry, version: int
) -> Limit:
    """The tightest limit from the cgroup's directory up to the mount point."""
    tightest: tuple[float, str, str] | None = None
    current = directory
    while True:
        found = _read(root, control, current, version)
        if found is not None and (tightest is None or found[0] < tightest[0]):
            tightest = found
        if current == mount.mount_point or current in ("/", ""):
            break
        current = normpath(join(current, ".."))
    if tightest is None:
        return Limit(
            control.controller,
            None,
            root.display(join(directory, control.v2_file if version == 2 else control.v1_files[0])),
            version,
        )
    return Limit(control.controller, tightest[1], tightest[2], version)


def _read(
    root: HostRoot, control: _Control, directory: str, version: int
) -> tuple[float, str, str] | None:
    """(comparable size, shown value, file) of a limit set in `directory`, or None."""
    if version == 2:
        path = join(directory, control.v2_file)
        text = root.read_optional(path)
        return _v2_value(control.controller, text.strip(), root.display(path)) if text else None
    values = [root.read_optional(join(directory, name)) for name in control.v1_files]
    if values[0] is None:
        return None
    path = root.display(join(directory, control.v1_files[0]))
    return _v1_value(control.controller, [v.strip() if v else "" for v in values], path)


def _v2_value(controller: str, text: str, path: str) -> tuple[float, str, str] | None:
    if controller == "cpu":
        quota, _, period = text.partition(" ")
        if quota == "max" or not quota.isdigit():
            return None
        return int(quota) / int(period or 100000), f"{quota} {period or 100000}", path
    if text == "max" or not text.isdigit():
        return None
    return int(text), text, path


def _v1_value(controller: str, values: list[str], path: str) -> tuple[float, str, str] | None:
    value = values[0]
    if controller == "cpu":
        period = values[1] if len(values) > 1 and values[1].isdigit() else "100000"
        if not value.isdigit():  # -1: no quota
            return None
        return int(value) / int(period), f"{value} {period}", path
    if not value.isdigit() or (controller == "memory" and int(value) >= V1_UNLIMITED_MEMORY):
        return None
    return int(value), value, path
