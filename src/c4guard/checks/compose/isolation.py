"""C4.1 Runtime environment isolation: checks of Docker Compose services."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, expect, failed, other_than, passed, verdict
from c4guard.views.blocks import BlockSubject, key_line
from c4guard.views.compose import SPEC, Mount, ServiceView, services, strings
from c4guard.views.docker import ROOT_USERS, final_stages, nonroot_user

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


RUN_SECURITY = "https://docs.docker.com/engine/security/"


ALLOWED_ADDED_CAPABILITIES = frozenset({"NET_BIND_SERVICE"})


HOST_MODES = ("network_mode", "pid", "ipc", "userns_mode", "uts", "cgroup")


RUNTIME_SOCKETS = ("docker.sock", "containerd.sock", "crio.sock", "podman.sock", "cri-dockerd.sock")


UNCONFINED = (
    "seccomp:unconfined",
    "seccomp=unconfined",
    "apparmor:unconfined",
    "apparmor=unconfined",
    "label:disable",
    "label=disable",
    "systempaths=unconfined",
)


WEAKENING_TMPFS_OPTIONS = frozenset({"exec", "suid", "dev"})


def _capabilities(value: Any) -> set[str]:
    return {c.upper().removeprefix("CAP_") for c in strings(value)}


@check(
    "COMPOSE-PRIVILEGED",
    requirement="4.1.1",
    severity="critical",
    title="Compose services do not run privileged",
    remediation="Remove `privileged: true`; add only the capability or device needed.",
    references=(SPEC + "#privileged",),
)
def compose_privileged(inv: Inventory) -> Iterator[Outcome]:
    """A privileged container has every capability and all host devices."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("privileged")
        yield expect(subject, setting, other_than(True), "is not privileged", "runs privileged")


@check(
    "COMPOSE-CAPS-DROP-ALL",
    requirement="4.1.1",
    severity="high",
    title="Compose services drop all capabilities",
    remediation="Add `cap_drop: [ALL]` and add back only NET_BIND_SERVICE if needed.",
    references=(SPEC + "#cap_drop",),
)
def compose_drop_all(inv: Inventory) -> Iterator[Outcome]:
    """Docker's default capability set (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW...) stays unless
    dropped."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("cap_drop")
        if "ALL" in _capabilities(setting.value):
            yield passed(subject, "drops ALL capabilities", setting=setting)
        else:
            yield failed(
                subject, "does not drop ALL capabilities: Docker's defaults remain", setting=setting
            )


@check(
    "COMPOSE-CAPS-ADDED",
    requirement="4.1.1",
    severity="high",
    title="Compose services add no capabilities beyond NET_BIND_SERVICE",
    remediation="Remove capabilities other than NET_BIND_SERVICE from `cap_add`.",
    references=(SPEC + "#cap_add",),
)
def compose_caps_added(inv: Inventory) -> Iterator[Outcome]:
    """Added capabilities (SYS_ADMIN, NET_ADMIN, SYS_PTRACE...) widen the kernel surface."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("cap_add")
        extra = sorted(_capabilities(setting.value) - ALLOWED_ADDED_CAPABILITIES)
        yield verdict(
            not extra,
            subject,
            "adds no capability beyond NET_BIND_SERVICE",
            f"adds capabilities {', '.join(extra)}",
            setting=setting,
            evidence={"added": extra},
        )


@check(
    "COMPOSE-USER",
    requirement="4.1.1",
    severity="high",
    title="Compose services run as a non-root user",
    remediation='Set `user: "<uid>:<gid>"` (non-zero), or build the image with a non-root '
    "final USER.",
    references=(SPEC + "#user",),
)
def compose_user(inv: Inventory) -> Iterator[Outcome]:
    """Without `user:`, the image's USER decides, which is root for most images; a service
    built from a Dockerfile among the inputs is judged by that Dockerfile's final USER."""
    dockerfile_users = _dockerfile_users(inv)
    for view in services(inv):
        yield _user_outcome(view, dockerfile_users)


def _user_outcome(view: ServiceView, dockerfile_users: dict[str, str | None]) -> Outcome:
    subject = view.subject()
    setting = subject.setting("user")
    if setting.value is not None:
        declared = str(setting.value).partition(":")[0].strip()
        return verdict(
            declared not in ROOT_USERS,
            subject,
            f"runs as user {setting.value}",
            f"runs as root (user: {setting.value})",
            setting=setting,
        )
    dockerfile = _built_from(view)
    if dockerfile is not None and dockerfile in dockerfile_users:
        final = dockerfile_users[dockerfile]
        if final is not None and final.partition(":")[0] not in ROOT_USERS:
            return passed(
                subject,
                f"runs as USER {final} of its Dockerfile {dockerfile}",
                setting=subject.setting("build"),
            )
        return failed(
            subject,
            f"sets no user: and its Dockerfile {dockerfile} does not end with a non-root USER",
            setting=subject.setting("build"),
        )
    image = view.spec.get("image")
    user = nonroot_user(image) if isinstance(image, str) else None
    if user is not None:
        return passed(
            subject,
            f"runs as {user}, the default of image {image}",
            setting=subject.setting("image"),
        )
    return failed(
        subject, "sets no user: the image's USER decides, root for most images", setting=setting
    )


def _built_from(view: ServiceView) -> str | None:
    """The normalised path of the Dockerfile a service is built from, if it is built."""
    build = view.spec.get("build")
    if isinstance(build, str):
        context, dockerfile = build, "Dockerfile"
    elif isinstance(build, dict) and isinstance(build.get("context", "."), str):
        context = build.get("context", ".")
        dockerfile = build.get("dockerfile") or "Dockerfile"
    else:
        return None
    if "://" in context or not isinstance(dockerfile, str):
        return None
    base = os.path.dirname(view.resource.location.path)
    return os.path.normpath(os.path.join(base, context, dockerfile))


def _dockerfile_users(inv: Inventory) -> dict[str, str | None]:
    """Final USER (None when root or unknown) per Dockerfile path among the inputs."""
    users: dict[str, str | None] = {}
    for view in final_stages(inv):
        value, instruction, _origin = view.dockerfile.effective_user(view.stage)
        users[os.path.normpath(view.resource.name)] = value if instruction is not None else None
    return users


@check(
    "COMPOSE-NO-NEW-PRIVILEGES",
    requirement="4.1.1",
    severity="high",
    title="Compose services set no-new-privileges",
    remediation='Add `security_opt: ["no-new-privileges:true"]`.',
    references=(RUN_SECURITY,),
)
def compose_no_new_privileges(inv: Inventory) -> Iterator[Outcome]:
    """Without no-new-privileges, setuid binaries in the image can gain privileges."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("security_opt")
        options = [o.replace("=", ":").lower() for o in strings(setting.value)]
        if "no-new-privileges" in options or "no-new-privileges:true" in options:
            yield passed(subject, "sets no-new-privileges", setting=setting)
        else:
            yield failed(subject, "does not set no-new-privileges", setting=setting)


@check(
    "COMPOSE-HOST-NAMESPACES",
    requirement="4.1.1",
    severity="high",
    title="Compose services do not share the host's namespaces",
    remediation="Remove `network_mode: host`, `pid: host`, `ipc: host`, `userns_mode: host`, "
    "`uts: host` and `cgroup: host`.",
    references=(SPEC + "#network_mode",),
)
def compose_host_namespaces(inv: Inventory) -> Iterator[Outcome]:
    """Host namespaces expose the host's processes, IPC and network stack to the service."""
    for view in services(inv):
        subject = view.subject()
        shared = [key for key in HOST_MODES if view.spec.get(key) == "host"]
        if shared:
            yield failed(
                subject,
                "shares the host's namespaces: " + ", ".join(f"{key}: host" for key in shared),
                setting=subject.setting(shared[0]),
                evidence={"shared": shared},
            )
        else:
            yield passed(subject, "uses its own namespaces")


@check(
    "COMPOSE-RUNTIME-SOCKET",
    requirement="4.1.1",
    severity="critical",
    title="Compose services do not mount the container runtime's socket",
    remediation="Remove the docker.sock/containerd.sock mount; use a rootless, scoped API "
    "(or a socket proxy allowing only the calls needed).",
    references=(RUN_SECURITY + "#docker-daemon-attack-surface",),
)
def compose_runtime_socket(inv: Inventory) -> Iterator[Outcome]:
    """Access to the runtime's socket is root on the host."""
    for view in services(inv):
        subject = view.subject()
        sockets = [
            m for m in _mounts(view) if m.source and m.source.rstrip("/").endswith(RUNTIME_SOCKETS)
        ]
        for mount in sockets:
            yield failed(
                subject,
                f"mounts the runtime socket {mount.source}",
                setting=subject.at(mount.line, mount.source, "volumes"),
            )
        if not sockets:
            yield passed(subject, "mounts no container runtime socket")


def _mounts(view: ServiceView) -> list[Mount]:
    volumes = view.spec.get("volumes")
    if not isinstance(volumes, list):
        return []
    lines = getattr(volumes, "item_lines", [])
    mounts = []
    for index, item in enumerate(volumes):
        line = lines[index] if index < len(lines) else None
        mount = _mount(item, line)
        if mount is not None:
            mounts.append(mount)
    return mounts


def _mount(item: Any, line: int | None) -> Mount | None:
    source: Any
    if isinstance(item, str):
        parts = item.split(":")
        if len(parts) == 1:
            return Mount("volume", None, parts[0], False, (), line)
        source, target = parts[0], parts[1]
        options = tuple(parts[2].split(",")) if len(parts) > 2 else ()
        kind = "bind" if source.startswith(("/", ".", "~", "$")) else "volume"
        return Mount(kind, source, target, "ro" in options, options, line)
    if isinstance(item, dict):
        declared = item.get("source")
        return Mount(
            str(item.get("type", "volume")),
            str(declared) if declared is not None else None,
            str(item.get("target", "")),
            item.get("read_only") is True,
            (),
            getattr(item, "line", line),
        )
    return None


@check(
    "COMPOSE-CONFINEMENT",
    requirement="4.1.2",
    severity="high",
    title="Compose services keep seccomp, AppArmor and SELinux confinement",
    remediation="Remove `seccomp:unconfined`, `apparmor:unconfined` and `label:disable` "
    "from `security_opt` (and `privileged: true`, which disables them all).",
    references=(RUN_SECURITY + "seccomp/", RUN_SECURITY + "apparmor/"),
)
def compose_confinement(inv: Inventory) -> Iterator[Outcome]:
    """Docker applies its default seccomp profile and AppArmor/SELinux confinement unless a
    service opts out; opting out removes the kernel's exploit mitigations."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("security_opt")
        options = [o.lower().replace(" ", "") for o in strings(setting.value)]
        disabled = [o for o in options if o in UNCONFINED]
        if disabled:
            yield failed(subject, f"disables confinement ({', '.join(disabled)})", setting=setting)
        elif view.spec.get("privileged") is True:
            yield failed(
                subject,
                "runs privileged, which disables seccomp and AppArmor",
                setting=subject.setting("privileged"),
            )
        else:
            custom = [o for o in options if o.startswith(("seccomp", "apparmor", "label"))]
            how = (
                f"uses {', '.join(custom)}"
                if custom
                else ("keeps Docker's default seccomp profile and AppArmor/SELinux confinement")
            )
            yield passed(subject, how, setting=setting)


@check(
    "COMPOSE-READ-ONLY",
    requirement="4.1.3",
    severity="medium",
    title="Compose services run with a read-only root filesystem",
    remediation="Set `read_only: true` and mount `tmpfs:` where the service must write.",
    references=(SPEC + "#read_only",),
)
def compose_read_only(inv: Inventory) -> Iterator[Outcome]:
    """A writable root filesystem lets an attacker modify binaries and drop tools."""
    for view in services(inv):
        subject = view.subject()
        setting = subject.setting("read_only")
        yield expect(
            subject,
            setting,
            True,
            "has a read-only root filesystem",
            "has a writable root filesystem (read_only is not true)",
        )


@check(
    "COMPOSE-WRITABLE-MOUNTS",
    requirement="4.1.3",
    severity="medium",
    title="Compose writable mounts are hardened (tmpfs noexec/nosuid/nodev, bind mounts ro)",
    remediation="Mount host paths read-only (`:ro` or `read_only: true`); keep tmpfs mounts "
    "at Docker's defaults (noexec,nosuid,nodev) without `exec`, `suid` or `dev`.",
    references=(SPEC + "#tmpfs", SPEC + "#volumes"),
)
def compose_writable_mounts(inv: Inventory) -> Iterator[Outcome]:
    """Writable host paths reach outside the container; tmpfs mounts with exec or suid let an
    attacker run dropped binaries."""
    for view in services(inv):
        subject = view.subject()
        problems = [*_weak_tmpfs(view, subject), *_writable_binds(view, subject)]
        yield from problems
        if not problems:
            yield passed(
                subject,
                "has no writable host mount and no weakened tmpfs",
                setting=subject.setting("volumes"),
            )


def _weak_tmpfs(view: ServiceView, subject: BlockSubject) -> list[Outcome]:
    tmpfs = view.spec.get("tmpfs")
    entries = strings(tmpfs)
    lines = getattr(tmpfs, "item_lines", None) or [key_line(view.spec, "tmpfs")] * len(entries)
    found = []
    for entry, line in zip(entries, lines, strict=False):
        path, _, options = entry.partition(":")
        weak = sorted(WEAKENING_TMPFS_OPTIONS.intersection(o.strip() for o in options.split(",")))
        if weak:
            found.append(
                failed(
                    subject,
                    f"mounts tmpfs {path} with {', '.join(weak)}",
                    setting=subject.at(line, entry, "tmpfs"),
                )
            )
    return found


def _writable_binds(view: ServiceView, subject: BlockSubject) -> list[Outcome]:
    return [
        failed(
            subject,
            f"mounts host path {m.source} at {m.target} writable",
            setting=subject.at(m.line, m.source, "volumes"),
        )
        for m in _mounts(view)
        if m.kind == "bind" and not m.read_only
    ]
