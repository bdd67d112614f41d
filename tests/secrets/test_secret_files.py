"""Binary detection, decoding and the size limit for files scanned for secrets."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest

from c4guard.secrets import MAX_FILE_BYTES, is_probably_binary, scan_bytes, scan_file
from c4guard.secrets.files import decode_text

# Test inputs are split where they are written so that scanning this repository finds nothing.
TOKEN_LINE = "HF_TOKEN=hf_" + "Qw8rTzYyUkMoPaBsDfCgHjXkLzRxCvJbNm\n"


@pytest.mark.parametrize(
    ("data", "binary"),
    [
        (b"", False),
        (b"plain: yaml\n", False),
        ("naïve café ✓\n".encode(), False),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", True),
        (b"PK\x03\x04\x14\x00\x00\x00", True),
        (bytes(range(1, 32)) * 10, True),  # control bytes without NUL
        (codecs.BOM_UTF16_LE + "text: yes\n".encode("utf-16-le"), False),
        (b"ok\n" * 4000 + b"\x00", False),  # a NUL after the sniffed prefix does not count
    ],
)
def test_binary_detection(data: bytes, binary: bool) -> None:
    assert is_probably_binary(data) is binary


def test_utf16_text_is_decoded_and_scanned() -> None:
    data = codecs.BOM_UTF16_LE + TOKEN_LINE.encode("utf-16-le")
    assert decode_text(data) == TOKEN_LINE
    result = scan_bytes(data, "win.env")
    assert result.status == "scanned" and [m.rule_id for m in result.matches] == [
        "huggingface-token"
    ]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    result = scan_bytes(b"\xfa\xfb\xfc junk\n" + TOKEN_LINE.encode(), "mixed.env")
    assert result.status == "scanned"
    assert result.matches[0].line == 2


def test_binary_file_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"\x00\x01" + TOKEN_LINE.encode())
    assert scan_file(path).status == "binary"


def test_file_over_the_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "dump.sql"
    with path.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    result = scan_file(path, "dump.sql")
    assert result.status == "too_large"
    assert "limit" in result.reason and result.path == "dump.sql"


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "real.env"
    target.write_text(TOKEN_LINE)
    link = tmp_path / "link.env"
    link.symlink_to(target)
    assert scan_file(link).status == "unreadable"
    assert scan_file(target).matches


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "gone.env"
    result = scan_file(missing)
    assert result.status == "unreadable" and result.reason
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.env"
        locked.write_text(TOKEN_LINE)
        locked.chmod(0)
        assert scan_file(locked).status == "unreadable"
