"""Checkpoint signing keys on disk: private keys 0600, public keys beside them."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from c4guard.audit.note import NoteError, Signer, Verifier
from c4guard.errors import ConfigError
from c4guard.paths import state_dir

SIGNING_KEY_NAME = "audit-signing.key"
MAX_KEY_FILE_BYTES = 64 * 1024


class KeyFileError(ConfigError):
    """A key file that cannot be written or read."""


def default_signing_key() -> Path:
    return state_dir() / SIGNING_KEY_NAME


def public_key_path(private: Path) -> Path:
    return private.with_name(private.name + ".pub")


def default_key_name() -> str:
    """`<host>/c4guard-audit`: a key name says whose key it is."""
    host = "".join(ch for ch in socket.gethostname() if not ch.isspace() and ch != "+")
    return f"{host or 'localhost'}/c4guard-audit"


def write_key_pair(signer: Signer, private: Path) -> Path:
    """Write the signing key (mode 0600, never over an existing file) and its public key;
    returns the public key's path."""
    private.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise KeyFileError(f"{private} exists: not overwriting a signing key") from exc
    with os.fdopen(fd, "w") as handle:
        handle.write(signer.to_text() + "\n")
    public = public_key_path(private)
    public.write_text(signer.verifier().to_text() + "\n")
    return public


def _read(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_KEY_FILE_BYTES:
            raise KeyFileError(f"{path}: larger than {MAX_KEY_FILE_BYTES} bytes")
        return path.read_text()
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from exc


def load_signer(path: Path) -> Signer:
    """The signing key in `path`, which only its owner may read."""
    text = _read(path)
    if path.stat().st_mode & 0o077:
        raise KeyFileError(f"{path}: a signing key must not be readable by others (chmod 600)")
    try:
        return Signer.from_text(text)
    except NoteError as exc:
        raise KeyFileError(f"{path}: {exc}") from exc


def load_verifiers(paths: list[Path]) -> list[Verifier]:
    """The public keys in `paths`: one per non-blank line, `#` starts a comment line."""
    verifiers = []
    for path in paths:
        for number, line in enumerate(_read(path).splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                try:
                    verifiers.append(Verifier.from_text(line))
                except NoteError as exc:
                    raise KeyFileError(f"{path}:{number}: {exc}") from exc
    return verifiers
