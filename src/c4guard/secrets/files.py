"""Reading a file for secret scanning: binary detection, decoding and the size limit.

Binary: a NUL byte in the first 8 KiB (git's rule), unless a UTF-16/32 byte-order mark says
the file is text; otherwise more than 10% of control bytes in that sample. Text is decoded as
UTF-8 (BOMs honoured), undecodable bytes replaced, so offsets and lines stay meaningful.

Size: files over `MAX_FILE_BYTES` (16 MiB) are not read. Credentials live in configuration,
code and notebooks, all far smaller; larger text files are data dumps, where a full regex pass
costs seconds and would be dominated by noise. A caller reports them as not scanned.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from c4guard.secrets.scanner import SecretMatch
from c4guard.secrets.secretdata import scan_with_secret_data

SNIFF_BYTES = 8192
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_CONTROL_RATIO = 0.10
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\b\x1b")
# What `bytes.translate` deletes to leave only the control bytes that text does not hold.
_NOT_CONTROL = bytes(b for b in range(256) if b >= 0x20 or b in _TEXT_CONTROLS)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _bom_encoding(data: bytes) -> str | None:
    return next((name for bom, name in _BOMS if data.startswith(bom)), None)


def is_probably_binary(data: bytes) -> bool:
    """True for content that is not text, judged on its first 8 KiB."""
    sample = data[:SNIFF_BYTES]
    if not sample or _bom_encoding(sample):
        return False
    if b"\x00" in sample:
        return True
    controls = len(sample.translate(None, _NOT_CONTROL))
    return controls > MAX_CONTROL_RATIO * len(sample)


def decode_text(data: bytes) -> str:
    """Bytes to text: BOM encodings honoured, UTF-8 otherwise, bad bytes replaced."""
    return data.decode(_bom_encoding(data) or "utf-8", errors="replace")


Status = Literal["scanned", "binary", "too_large", "unreadable"]


@dataclass(frozen=True, slots=True)
class FileScan:
    """The outcome for one file: its matches, or why it was not scanned."""

    path: str
    status: Status
    matches: list[SecretMatch] = field(default_factory=list)
    reason: str = ""


def scan_bytes(data: bytes, path: str) -> FileScan:
    """Scan content already in memory (a file, a member of an image layer)."""
    if len(data) > MAX_FILE_BYTES:
        return FileScan(path, "too_large", reason=_too_large(len(data)))
    if is_probably_binary(data):
        return FileScan(path, "binary")
    return FileScan(path, "scanned", scan_with_secret_data(decode_text(data), path))


def scan_file(path: Path, display_path: str | None = None) -> FileScan:
    """Scan one file from disk; symlinks are not followed."""
    shown = display_path or str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                return FileScan(shown, "too_large", reason=_too_large(size))
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        return FileScan(shown, "unreadable", reason=err.strerror or str(err))
    return scan_bytes(data, shown)


def _too_large(size: int) -> str:
    return f"{size} bytes is over the {MAX_FILE_BYTES}-byte limit for secret scanning"
