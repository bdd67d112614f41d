"""Read-only access to the files of an image archive: a directory or a tar file.

Names come from the archive's own JSON and are untrusted: they are normalised, and any
name (or symlink target inside a tar) that leaves the archive root is refused.
"""

from __future__ import annotations

import json
import posixpath
import tarfile
from pathlib import Path
from typing import IO, Protocol

from c4guard.errors import InvalidInput

MAX_LINK_HOPS = 8


class ImageFormatError(InvalidInput, ValueError):
    """The input is not a readable image archive (message names what is wrong)."""


def normalized_name(name: str) -> str | None:
    """`./a/../b` -> `b`, `/etc/x` -> `etc/x`; None for the root itself and for a name
    that climbs out of it (`../x`, `a/../../x`)."""
    clean = posixpath.normpath(name.lstrip("/"))
    if clean in (".", "") or clean == ".." or clean.startswith("../"):
        return None
    return clean


def printable(name: str) -> str:
    """A name safe to show in a report: control and non-ASCII characters escaped."""
    return "".join(c if c.isascii() and c.isprintable() else ascii(c)[1:-1] for c in name)


class Archive(Protocol):
    """Files of an image archive by their path inside it."""

    def exists(self, name: str) -> bool: ...

    def open(self, name: str) -> IO[bytes]: ...


class DirectoryArchive:
    """An OCI image layout (or an unpacked `docker save`) on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, name: str) -> Path:
        clean = normalized_name(name)
        if clean is None:
            raise ImageFormatError(f"{printable(name)} is not a path inside the image layout")
        path = (self.root / clean).resolve()
        if not path.is_relative_to(self.root):
            raise ImageFormatError(f"{printable(name)} leaves the image layout directory")
        return path

    def exists(self, name: str) -> bool:
        return self._path(name).is_file()

    def open(self, name: str) -> IO[bytes]:
        path = self._path(name)
        if not path.is_file():
            raise ImageFormatError(f"{printable(name)} is missing from the image layout")
        return path.open("rb")


class TarArchive:
    """A `docker save` tarball or an OCI layout tar, read member by member, in place."""

    def __init__(self, tar: tarfile.TarFile) -> None:
        self._tar = tar
        self._members: dict[str, tarfile.TarInfo] = {}
        for member in tar.getmembers():
            clean = normalized_name(member.name)
            if clean is not None:
                self._members[clean] = member

    def _resolve(self, name: str) -> tarfile.TarInfo | None:
        clean = normalized_name(name)
        for _ in range(MAX_LINK_HOPS):
            if not clean:
                return None
            member = self._members.get(clean)
            if member is None or member.isreg():
                return member
            if member.issym():
                clean = normalized_name(posixpath.join(posixpath.dirname(clean), member.linkname))
            elif member.islnk():
                clean = normalized_name(member.linkname)
            else:
                return None
        return None

    def exists(self, name: str) -> bool:
        return self._resolve(name) is not None

    def open(self, name: str) -> IO[bytes]:
        member = self._resolve(name)
        handle = None if member is None else self._tar.extractfile(member)
        if handle is None:
            raise ImageFormatError(f"{printable(name)} is missing from the image archive")
        return handle


def read_json(archive: Archive, name: str, max_bytes: int) -> object:
    """A JSON document of the archive, refused past `max_bytes`."""
    with archive.open(name) as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ImageFormatError(f"{printable(name)} is over the {max_bytes}-byte limit")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ImageFormatError(f"{printable(name)} is not valid JSON: {err}") from err
