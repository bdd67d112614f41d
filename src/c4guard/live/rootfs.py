"""The filesystem root a host probe reads: `/`, or another tree standing for one (`--root`)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from c4guard.errors import InvalidInput

MAX_FILE_BYTES = 16 * 1024 * 1024


class Unreadable(InvalidInput):
    """A file that is absent or cannot be read; `reason` says which."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(reason, file=path)
        self.path = path
        self.reason = reason


class HostRoot:
    """Reads absolute paths (`/proc/self/status`) under a root directory."""

    def __init__(self, root: Path = Path("/")) -> None:
        self.root = root
        self.is_live = root.resolve() == Path("/")  # this machine's own root
        self.files_read: set[str] = set()

    def path(self, absolute: str) -> Path:
        return self.root / absolute.lstrip("/")

    def display(self, absolute: str) -> str:
        """How reports name the file: the absolute path, under the root when it is not `/`."""
        return absolute if self.is_live else str(self.path(absolute))

    def read_bytes(self, absolute: str, limit: int = MAX_FILE_BYTES) -> bytes:
        """The file's bytes (procfs files report size 0, so read up to `limit`)."""
        try:
            with open(self.path(absolute), "rb") as handle:
                data = handle.read(limit + 1)
        except OSError as exc:
            raise Unreadable(self.display(absolute), _reason(exc)) from exc
        if len(data) > limit:
            raise Unreadable(self.display(absolute), f"larger than {limit} bytes")
        self.files_read.add(absolute)
        return data

    def read(self, absolute: str, limit: int = MAX_FILE_BYTES) -> str:
        return self.read_bytes(absolute, limit).decode("utf-8", "replace")

    def read_optional(self, absolute: str) -> str | None:
        """The file's text, or None when it is absent or unreadable."""
        try:
            return self.read(absolute)
        except Unreadable:
            return None

    def exists(self, absolute: str) -> bool:
        return os.path.lexists(self.path(absolute))

    def listdir(self, absolute: str) -> list[str]:
        try:
            return sorted(os.listdir(self.path(absolute)))
        except OSError:
            return []


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOENT:
        return "absent"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "not readable (permission denied)"
    return f"not readable ({exc.strerror or exc})"
