"""C2SP signed notes with Ed25519 keys, and their text key encodings.

A note is UTF-8 text ending in a newline, a blank line, then one line per signature:
`— <key name> <base64(key id || signature)>`. The key id is the first four bytes of
SHA-256(key name || "\\n" || 0x01 || public key). Keys are written as
`<name>+<key id hex>+<base64(0x01 || key)>`, signing keys with a `PRIVATE+KEY+` prefix
(the encodings of Go's golang.org/x/mod/sumdb/note, so Go tooling reads them too).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from c4guard.errors import InvalidInput

ALGORITHM_ED25519 = 0x01
SIGNATURE_PREFIX = "\u2014 "
PRIVATE_KEY_PREFIX = "PRIVATE+KEY+"
MAX_NOTE_BYTES = 1 << 20
MAX_SIGNATURES = 100


class NoteError(InvalidInput, ValueError):
    """A malformed note or key, or a signature that does not verify."""


def key_id(name: str, public_key: bytes) -> bytes:
    """The four-byte id of an Ed25519 key named `name`."""
    material = name.encode() + b"\n" + bytes([ALGORITHM_ED25519]) + public_key
    return hashlib.sha256(material).digest()[:4]


def _check_name(name: str) -> None:
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise NoteError(f"invalid key name {name!r}: it must be non-empty, without spaces or '+'")


def _decode_key(encoded: str, name: str, hex_id: str) -> bytes:
    _check_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
        wanted_id = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise NoteError(f"key {name!r} is not well encoded") from exc
    if len(raw) != 33 or raw[0] != ALGORITHM_ED25519 or len(wanted_id) != 4:
        raise NoteError(f"key {name!r} is not an Ed25519 note key")
    return raw[1:]


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key that checks note signatures."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    @classmethod
    def from_text(cls, vkey: str) -> Verifier:
        """Parse `<name>+<hex id>+<base64 key>`."""
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a public key reads <name>+<key id>+<base64 key>")
        name, hex_id, encoded = parts
        verifier = cls(name, _decode_key(encoded, name, hex_id))
        if verifier.key_id.hex() != hex_id.lower():
            raise NoteError(f"key {name!r}: the key id does not match the key")
        return verifier

    def to_text(self) -> str:
        encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def verifies(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A named Ed25519 private key that signs notes."""

    name: str
    seed: bytes

    @classmethod
    def generate(cls, name: str) -> Signer:
        _check_name(name)
        seed = Ed25519PrivateKey.generate().private_bytes(
            Encoding.Raw, PrivateFormat.Raw, NoEncryption()
        )
        return cls(name, seed)

    @classmethod
    def from_text(cls, skey: str) -> Signer:
        """Parse `PRIVATE+KEY+<name>+<hex id>+<base64 seed>`."""
        text = skey.strip()
        if not text.startswith(PRIVATE_KEY_PREFIX):
            raise NoteError("a signing key starts with PRIVATE+KEY+")
        parts = text[len(PRIVATE_KEY_PREFIX) :].split("+", 2)
        if len(parts) != 3:
            raise NoteError("a signing key reads PRIVATE+KEY+<name>+<key id>+<base64 key>")
        name, hex_id, encoded = parts
        signer = cls(name, _decode_key(encoded, name, hex_id))
        if signer.verifier().key_id.hex() != hex_id.lower():
            raise NoteError(f"signing key {name!r}: the key id does not match the key")
        return signer

    def to_text(self) -> str:
        encoded = base64.b64encode(bytes([ALGORITHM_ED25519]) + self.seed).decode()
        return f"{PRIVATE_KEY_PREFIX}{self.name}+{self.verifier().key_id.hex()}+{encoded}"

    def verifier(self) -> Verifier:
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key()
        return Verifier(self.name, public.public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, text: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(text)


@dataclass(frozen=True)
class NoteSignature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True)
class Note:
    """A parsed note: its text and every signature line, verified or not."""

    text: str
    signatures: tuple[NoteSignature, ...]


def sign_note(text: str, signers: list[Signer]) -> str:
    """The signed note for `text` (which must end with a newline)."""
    _check_text(text)
    lines = []
    for signer in signers:
        blob = signer.verifier().key_id + signer.sign(text.encode())
        lines.append(f"{SIGNATURE_PREFIX}{signer.name} {base64.b64encode(blob).decode()}\n")
    return text + "\n" + "".join(lines)


def parse_note(message: str) -> Note:
    """Split a signed note into text and signatures, checking only the format."""
    if len(message.encode()) > MAX_NOTE_BYTES:
        raise NoteError(f"note is larger than {MAX_NOTE_BYTES} bytes")
    split = message.rfind("\n\n")
    if split < 0 or not message.endswith("\n"):
        raise NoteError("note has no signature block")
    text = message[: split + 1]
    _check_text(text)
    lines = message[split + 2 :].splitlines()
    if not lines:
        raise NoteError("note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    return Note(text, tuple(_parse_signature_line(line) for line in lines))


def _parse_signature_line(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError(f"malformed signature line {line[:60]!r}")
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    _check_name(name)
    try:
        blob = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise NoteError(f"signature by {name!r} is not base64") from exc
    if len(blob) < 5:
        raise NoteError(f"signature by {name!r} is too short")
    return NoteSignature(name, blob[:4], blob[4:])


def open_note(message: str, verifiers: list[Verifier]) -> tuple[Note, list[Verifier]]:
    """Parse a note and check its signatures. Returns the note and the verifiers whose
    signatures verified; signatures by unknown keys are ignored. Raises NoteError when
    no known key signed it or when a known key's signature is bad."""
    note = parse_note(message)
    by_id = {(v.name, v.key_id): v for v in verifiers}
    verified = []
    for sig in note.signatures:
        verifier = by_id.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        if not verifier.verifies(note.text.encode(), sig.signature):
            raise NoteError(f"invalid signature by {sig.name}")
        verified.append(verifier)
    if not verified:
        names = ", ".join(sorted({s.name for s in note.signatures}))
        raise NoteError(f"note is not signed by a trusted key (signed by: {names})")
    return note, verified


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("note text holds a control character")
