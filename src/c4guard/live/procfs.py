"""Parsers for the procfs files a host probe reads, each keeping the line of every value."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from c4guard.errors import InvalidInput

TCP_LISTEN = "0A"
_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


class ProcFormatError(InvalidInput, ValueError):
    """A procfs file that does not have the format the kernel writes."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason, line=line)


def status_fields(text: str) -> dict[str, tuple[str, int]]:
    """`/proc/<pid>/status` as {field: (value, line)}."""
    fields: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = (value.strip(), number)
    return fields


def parse_mask(value: str, line: int) -> int:
    try:
        return int(value, 16)
    except ValueError as exc:
        raise ProcFormatError(line, f"capability mask {value!r} is not hexadecimal") from exc


def parse_ids(value: str, line: int) -> list[int]:
    """`Uid:`/`Gid:` values: real, effective, saved, filesystem."""
    try:
        ids = [int(part) for part in value.split()]
    except ValueError as exc:
        raise ProcFormatError(line, f"ids {value!r} are not numbers") from exc
    if len(ids) != 4:
        raise ProcFormatError(line, f"expected 4 ids, found {len(ids)}")
    return ids


def host_id(uid_map: str, uid: int) -> int | None:
    """The id in the initial user namespace that `uid` maps to (None when unmapped)."""
    for line in uid_map.splitlines():
        parts = line.split()
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            inside, outside, count = (int(p) for p in parts)
            if inside <= uid < inside + count:
                return outside + uid - inside
    return None


@dataclass(frozen=True, slots=True)
class MountEntry:
    """One line of `/proc/<pid>/mountinfo` (proc(5))."""

    line: int
    root: str
    mount_point: str
    options: tuple[str, ...]
    fs_type: str
    source: str
    super_options: tuple[str, ...]

    @property
    def writable(self) -> bool:
        return "rw" in self.options and "ro" not in self.super_options


def parse_mountinfo(text: str) -> tuple[list[MountEntry], list[ProcFormatError]]:
    """Mount entries, and the lines that could not be parsed."""
    entries, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entries.append(_mount_entry(number, line))
        except ProcFormatError as exc:
            errors.append(exc)
    return entries, errors


def _mount_entry(number: int, line: str) -> MountEntry:
    head, sep, tail = line.partition(" - ")
    fields, rest = head.split(), tail.split()
    if not sep or len(fields) < 6 or len(rest) < 2:
        raise ProcFormatError(number, "not a mountinfo line")
    return MountEntry(
        line=number,
        root=unescape(fields[3]),
        mount_point=unescape(fields[4]),
        options=tuple(fields[5].split(",")),
        fs_type=rest[0],
        source=unescape(rest[1]),
        super_options=tuple(rest[2].split(",")) if len(rest) > 2 else (),
    )


def unescape(field: str) -> str:
    """Undo the kernel's octal escapes of spaces, tabs, newlines and backslashes."""
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


@dataclass(frozen=True, slots=True)
class CgroupMembership:
    """One line of `/proc/<pid>/cgroup`: hierarchy id, controllers (empty for v2), path."""

    line: int
    hierarchy: str
    controllers: tuple[str, ...]
    path: str


def parse_cgroup(text: str) -> list[CgroupMembership]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split(":", 2)
        if len(parts) == 3:
            controllers = tuple(c for c in parts[1].split(",") if c)
            found.append(CgroupMembership(number, parts[0], controllers, parts[2]))
    return found


def environment_names(raw: bytes) -> list[str]:
    """Variable names of `/proc/<pid>/environ`; the values are dropped here and never kept."""
    names = []
    for entry in raw.split(b"\0"):
        name, sep, _ = entry.partition(b"=")
        if sep and name:
            names.append(name.decode("utf-8", "replace"))
    return names


@dataclass(frozen=True, slots=True)
class Listener:
    """A listening TCP socket of `/proc/net/tcp` or `tcp6`."""

    line: int
    address: str
    port: int


def tcp_listeners(text: str) -> list[Listener]:
    """Listening sockets (state 0A) of a `/proc/net/tcp{,6}` table."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if len(parts) < 4 or parts[3] != TCP_LISTEN or ":" not in parts[1]:
            continue
        address, _, port = parts[1].rpartition(":")
        try:
            found.append(Listener(number, _address(address), int(port, 16)))
        except ValueError:
            continue
    return found


def _address(hex_address: str) -> str:
    """The kernel writes addresses as host-order 32-bit words in hex."""
    raw = b"".join(
        bytes.fromhex(hex_address[i : i + 8])[::-1] for i in range(0, len(hex_address), 8)
    )
    address = ipaddress.ip_address(raw)
    return str(address) if address.version == 4 else f"[{address}]"
