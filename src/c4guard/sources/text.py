"""Reading input files as text, within limits, with clear reasons when that fails."""

from __future__ import annotations

import codecs
import sys
from pathlib import Path

from c4guard.errors import InvalidInput
from c4guard.sources.discover import STDIN

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024
_BINARY_SNIFF = 8192


class InputProblem(InvalidInput):
    """A file that should be scanned cannot be: the reason, and the line where known."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason, line=line)
        self.reason = reason


class BinaryFile(InvalidInput):
    """The file is binary: skipped, not an error."""

    def __init__(self) -> None:
        super().__init__("binary file")


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes (stdin for `-`), refusing anything over `max_bytes`."""
    if str(path) == STDIN:
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise InputProblem(_too_large(size, max_bytes))
            with path.open("rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputProblem(f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise InputProblem(_too_large(len(data), max_bytes))
    return data


def _too_large(size: int, limit: int) -> str:
    return (
        f"file is {size / 1048576:.1f} MiB, over the {limit / 1048576:.0f} MiB limit "
        "(--max-file-size)"
    )


def looks_binary(data: bytes) -> bool:
    """NUL bytes in the first 8 KiB (and no UTF-16 byte-order mark) mean binary."""
    head = data[:_BINARY_SNIFF]
    return b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def decode(data: bytes) -> str:
    """Decode UTF-8 (or BOM-marked UTF-16); invalid bytes are an input problem with a line."""
    if looks_binary(data):
        raise BinaryFile()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InputProblem(f"invalid UTF-16 at byte {exc.start}") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputProblem(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})", line
        ) from exc


def read_text(path: Path, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> str:
    return decode(read_bytes(path, max_bytes))
