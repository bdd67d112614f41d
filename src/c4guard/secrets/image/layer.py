"""Scanning one layer: its tar streamed from the blob, text files scanned in memory,
whiteouts and replaced paths recorded for the filesystem view."""

from __future__ import annotations

import posixpath
import re
import tarfile
import zlib
from collections import Counter
from dataclasses import dataclass, field

import zstandard

from c4guard.secrets.files import SNIFF_BYTES, decode_text, is_probably_binary
from c4guard.secrets.image.archive import Archive, ImageFormatError, normalized_name, printable
from c4guard.secrets.image.limits import ImageLimits
from c4guard.secrets.image.streams import DigestReader, LimitedReader, LimitExceeded, decompressed
from c4guard.secrets.scanner import SecretMatch, scan_text

WHITEOUT_PREFIX = ".wh."
OPAQUE_WHITEOUT = ".wh..wh..opq"

# Files that come with third-party packages rather than from the image's authors: the test
# fixtures and examples of vendored libraries (which hold sample keys by design) and the
# distribution's documentation. Counted as skipped, never read.
_VENDOR_ROOTS = frozenset(
    {"site-packages", "dist-packages", "node_modules", "vendor", "gems", "mod"}
)
_PYTHON_LIB = re.compile(r"^python\d+(?:\.\d+)?$")  # lib/python3.11/test/... (CPython's tests)
_FIXTURE_DIRS = frozenset({"test", "tests", "testdata", "testing", "fixtures", "examples", "docs"})
_DOC_PREFIXES = (
    "usr/share/doc/",
    "usr/share/man/",
    "usr/share/info/",
    "usr/share/locale/",
    "usr/share/zoneinfo/",
    "usr/share/i18n/",
)


def _is_vendor_root(part: str) -> bool:
    return part in _VENDOR_ROOTS or _PYTHON_LIB.match(part) is not None


def is_third_party_sample(path: str) -> bool:
    """A vendored library's test or example file, or distribution documentation."""
    if path.startswith(_DOC_PREFIXES):
        return True
    parts = path.split("/")
    roots = [i for i, part in enumerate(parts) if _is_vendor_root(part)]
    return bool(roots) and any(part in _FIXTURE_DIRS for part in parts[roots[0] + 1 : -1])


@dataclass(slots=True)
class LayerScan:
    """What one layer holds, as far as secrets and the final filesystem are concerned."""

    digest: str
    found: list[tuple[str, SecretMatch]] = field(default_factory=list)  # (path, match)
    whiteouts: set[str] = field(default_factory=set)
    opaque_dirs: set[str] = field(default_factory=set)
    entries: dict[str, bool] = field(default_factory=dict)  # path -> is a directory
    files_scanned: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    uncompressed_bytes: int = 0


_READ_ERRORS = (
    tarfile.TarError,
    OSError,
    EOFError,
    zlib.error,
    zstandard.ZstdError,
    LimitExceeded,
    ImageFormatError,
)


def scan_layer(
    archive: Archive, name: str, digest: str, limits: ImageLimits, max_bytes: int
) -> LayerScan:
    """Stream the layer blob `name`, verify it against `digest`, scan its text files."""
    scan = LayerScan(digest)
    try:
        with archive.open(name) as raw:
            blob = DigestReader(raw, digest.split(":", 1)[0] if ":" in digest else "sha256")
            stream = LimitedReader(
                decompressed(blob), blob, max_bytes, limits.max_ratio, limits.ratio_grace_bytes
            )
            try:
                _read_members(stream, scan, limits)
            finally:
                scan.uncompressed_bytes = stream.bytes_out
            blob.drain()
    except _READ_ERRORS as err:
        scan.error = f"layer {digest}: {err}"
        return scan
    if blob.digest != digest:
        scan.error = f"layer {digest}: content digest is {blob.digest} (altered or truncated blob)"
    return scan


def _read_members(stream: LimitedReader, scan: LayerScan, limits: ImageLimits) -> None:
    with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
        for count, member in enumerate(tar, start=1):
            if count > limits.max_members:
                raise LimitExceeded(f"more than {limits.max_members} entries")
            _record_member(tar, member, scan, limits)


def _record_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, scan: LayerScan, limits: ImageLimits
) -> None:
    path = normalized_name(member.name)
    if path is None:
        # Nothing is extracted, so the name cannot escape anywhere; the content is still
        # in the image, so it is scanned, under its name as written.
        scan.warnings.append(
            f"layer {scan.digest}: entry {printable(member.name)} leaves the root (tar slip)"
        )
        if member.isreg():
            _scan_member(tar, member, member.name, scan, limits)
        return
    parent, base = posixpath.split(path)
    if base == OPAQUE_WHITEOUT:
        scan.opaque_dirs.add(parent)
    elif base.startswith(WHITEOUT_PREFIX + WHITEOUT_PREFIX):
        pass  # other AUFS metadata (.wh..wh.plnk, .wh..wh.aufs)
    elif base.startswith(WHITEOUT_PREFIX):
        scan.whiteouts.add(posixpath.join(parent, base[len(WHITEOUT_PREFIX) :]))
    else:
        scan.entries[path] = member.isdir()
        if member.isreg():
            _scan_member(tar, member, path, scan, limits)


def _scan_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, path: str, scan: LayerScan, limits: ImageLimits
) -> None:
    if is_third_party_sample(path):
        scan.skipped["third-party sample or documentation"] += 1
        return
    if member.size > limits.max_file_bytes:
        scan.skipped["over the file size limit"] += 1
        return
    handle = tar.extractfile(member)
    if handle is None:
        return
    head = handle.read(SNIFF_BYTES)
    if is_probably_binary(head):
        scan.skipped["binary"] += 1
        return
    text = decode_text(head + handle.read())
    scan.files_scanned += 1
    scan.found.extend((path, match) for match in scan_text(text, printable(path)))
