"""Redaction: first characters plus a keyed hash, the key's life cycle, and the helper that
checks any output for leaked secrets."""

from __future__ import annotations

import base64
import html
import json
import os
import stat
from pathlib import Path
from urllib.parse import quote

import pytest

from c4guard.secrets import fingerprint, redact, scan_text
from c4guard.secrets.redaction import KEY_ENV, KEY_FILE_NAME, RedactionKeyError, shown_prefix
from c4guard.secrets.testing import assert_no_full_secrets, find_leak

# Test inputs are split where they are written so that scanning this repository finds nothing.
SECRET = "hf_" + "Qw8rTz3yUk5oPa7sDf2gHj4kLz6xCv9bNm"


def test_redaction_shows_four_characters_and_a_keyed_hash() -> None:
    redacted = redact(SECRET)
    assert redacted.startswith("hf_Q***[hmac:")
    assert len(redacted.split("hmac:")[1].rstrip("]")) == 12
    assert SECRET[4:] not in redacted


@pytest.mark.parametrize(
    ("secret", "shown"),
    [("hunter22", "hu"), ("abc", ""), ("correct-horse", "cor"), ("a" * 40, "aaaa")],
)
def test_short_secrets_show_at_most_a_quarter(secret: str, shown: str) -> None:
    assert shown_prefix(secret) == shown
    assert redact(secret).startswith(f"{shown}***[hmac:")


def test_unprintable_prefix_characters_are_masked() -> None:
    assert shown_prefix("\x1b[31mverylongsecretvalue") == "?[31"


def test_one_secret_one_fingerprint_and_different_secrets_differ() -> None:
    assert fingerprint(SECRET) == fingerprint(SECRET)
    assert redact(SECRET) == redact(SECRET)
    assert fingerprint(SECRET) != fingerprint(SECRET + "x")
    assert len(fingerprint(SECRET)) == 32


def test_key_file_is_created_once_with_mode_0600(isolated_state: Path) -> None:
    first = redact(SECRET)
    key_file = isolated_state / KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_bytes()) == 32
    assert redact(SECRET) == first


def test_the_hash_depends_on_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    installation = redact(SECRET)
    monkeypatch.setenv(KEY_ENV, "ci-reproducible-key-0001")
    ci_one = redact(SECRET)
    monkeypatch.setenv(KEY_ENV, "ci-reproducible-key-0002")
    ci_two = redact(SECRET)
    assert len({installation, ci_one, ci_two}) == 3
    monkeypatch.setenv(KEY_ENV, "ci-reproducible-key-0001")
    assert redact(SECRET) == ci_one


def test_environment_key_must_not_be_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(RedactionKeyError, match="at least 16"):
        redact(SECRET)


def test_key_file_readable_by_others_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "shared-state"
    state.mkdir()
    key_file = state / KEY_FILE_NAME
    key_file.write_bytes(os.urandom(32))
    key_file.chmod(0o644)
    monkeypatch.setenv("C4GUARD_STATE_DIR", str(state))
    with pytest.raises(RedactionKeyError, match="chmod 600"):
        redact(SECRET)


def test_truncated_key_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "broken-state"
    state.mkdir()
    (state / KEY_FILE_NAME).write_bytes(b"short")
    (state / KEY_FILE_NAME).chmod(0o600)
    monkeypatch.setenv("C4GUARD_STATE_DIR", str(state))
    with pytest.raises(RedactionKeyError, match="32-byte"):
        redact(SECRET)


def test_match_keeps_the_secret_out_of_repr_and_dict() -> None:
    (match,) = scan_text(f"HF_TOKEN={SECRET}\n", "app.env")
    assert match.secret == SECRET
    for rendered in (repr(match), str(match), json.dumps(match.to_dict())):
        assert_no_full_secrets(rendered, [SECRET])
    assert match.redacted in repr(match)


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s,
        lambda s: json.dumps({"value": s}),
        lambda s: html.escape(s),
        lambda s: quote(s, safe=""),
        lambda s: base64.b64encode(s.encode()).decode(),
        lambda s: f"prefix {s[:10]}… suffix",  # a long stretch is a leak too
    ],
)
def test_leak_helper_catches_encoded_and_partial_secrets(encode: object) -> None:
    secret = 'p<ss/"w0rd&' + "Secret+Value=="
    text = encode(secret)  # type: ignore[operator]
    with pytest.raises(AssertionError) as raised:
        assert_no_full_secrets(f"report: {text}\n", [secret])
    assert secret not in str(raised.value)
    assert redact(secret) in str(raised.value)


def test_leak_helper_accepts_redacted_output() -> None:
    secrets = [SECRET, "Sup3r-S3cret!", "x7"]
    report = "\n".join(f"{redact(s)} fingerprint={fingerprint(s)}" for s in secrets)
    assert_no_full_secrets(report, secrets)
    assert find_leak(report, SECRET) is None


def test_the_key_file_never_exists_incomplete(
    isolated_state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parse workers and parallel scans start together on a fresh machine: a process that
    finds the key file must find the whole key, so the file appears only once written."""
    from c4guard.secrets import redaction

    seen: list[int] = []
    key_file = isolated_state / KEY_FILE_NAME
    real_fdopen = os.fdopen

    def watching_fdopen(fd: int, mode: str):  # type: ignore[no-untyped-def]
        handle = real_fdopen(fd, mode)
        write = handle.write

        def checked_write(data: bytes) -> int:
            if key_file.exists():  # what another process would read at this moment
                seen.append(key_file.stat().st_size)
            return write(data)

        handle.write = checked_write  # type: ignore[method-assign]
        return handle

    monkeypatch.setattr(redaction.os, "fdopen", watching_fdopen)
    monkeypatch.delenv(KEY_ENV, raising=False)
    redaction._file_keys.clear()
    key = redaction.redaction_key()
    assert seen == [] and key_file.read_bytes() == key
    assert [p.name for p in isolated_state.iterdir()] == [KEY_FILE_NAME]
