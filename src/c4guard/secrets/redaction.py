"""Redaction of secrets: the first characters and a keyed hash, never the secret.

The hash is HMAC-SHA256 under an installation-local key, so a short password cannot be
recovered from a report by hashing guesses, while one secret keeps one fingerprint
wherever it is found. `C4GUARD_REDACTION_KEY` sets the key explicitly (reproducible
fingerprints in CI); otherwise a random key is created once, mode 0600, in the state
directory, and its creation is said once on stderr (when it is a terminal).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import sys
from pathlib import Path

from c4guard.errors import ConfigError
from c4guard.paths import state_dir

KEY_ENV = "C4GUARD_REDACTION_KEY"
KEY_FILE_NAME = "redaction.key"
KEY_BYTES = 32
MIN_ENV_KEY_CHARS = 16
SHOWN_CHARS = 4
DIGEST_CHARS = 12
FINGERPRINT_CHARS = 32


class RedactionKeyError(ConfigError, RuntimeError):
    """The redaction key is missing, too short or readable by others."""


_file_keys: dict[Path, bytes] = {}


def redaction_key() -> bytes:
    """The HMAC key: from `$C4GUARD_REDACTION_KEY`, else the state directory's key file."""
    explicit = os.environ.get(KEY_ENV)
    if explicit is not None:
        if len(explicit) < MIN_ENV_KEY_CHARS:
            raise RedactionKeyError(
                f"{KEY_ENV} must be at least {MIN_ENV_KEY_CHARS} characters long"
            )
        return explicit.encode("utf-8")
    path = state_dir() / KEY_FILE_NAME
    if path not in _file_keys:
        _file_keys[path] = _load_or_create_key(path)
    return _file_keys[path]


def _load_or_create_key(path: Path) -> bytes:
    """The key in `path`, created there if there is none. Creation is atomic (written under
    a temporary name, then linked into place, which never replaces a file): processes that
    start at once (parse workers, parallel scans) all read one complete key."""
    if path.exists():
        return _read_key(path)
    key = secrets.token_bytes(KEY_BYTES)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        os.link(draft, path)
    except FileExistsError:
        return _read_key(path)  # another process created it first: theirs is the key
    finally:
        draft.unlink(missing_ok=True)
    if sys.stderr.isatty():  # a person at a terminal; logs and pipes are not told
        sys.stderr.write(
            f"c4guard: created the redaction key {path} (0600): it keeps the fingerprints of "
            f"redacted secrets stable across scans; set {KEY_ENV} to choose one instead\n"
        )
    return key


def _read_key(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise RedactionKeyError(f"{path} is accessible by other users; run `chmod 600 {path}`")
        key = handle.read(KEY_BYTES + 1)
    if len(key) != KEY_BYTES:
        raise RedactionKeyError(f"{path} does not hold a {KEY_BYTES}-byte key; delete it")
    return key


def _digest(secret: str) -> str:
    return hmac.new(redaction_key(), secret.encode("utf-8"), hashlib.sha256).hexdigest()


def fingerprint(secret: str) -> str:
    """A stable identifier of the secret (128 bits of its keyed hash, hex)."""
    return _digest(secret)[:FINGERPRINT_CHARS]


def shown_prefix(secret: str) -> str:
    """The characters a redaction may show: the first four, but never more than a quarter
    of the secret, and only printable ASCII."""
    count = min(SHOWN_CHARS, len(secret) // 4)
    return "".join(c if c.isascii() and c.isprintable() else "?" for c in secret[:count])


def redact(secret: str) -> str:
    """`AKIA***[hmac:3f2a9c1d0b7e]`: the shown prefix and 48 bits of the keyed hash."""
    return f"{shown_prefix(secret)}***[hmac:{_digest(secret)[:DIGEST_CHARS]}]"
