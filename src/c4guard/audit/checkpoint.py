"""C2SP tlog-checkpoint: the signed tree head of a transparency log.

The body is `<origin>\\n<tree size>\\n<base64 root hash>\\n` followed by optional
extension lines, and it travels as the text of a signed note.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from c4guard.audit.merkle import HASH_SIZE
from c4guard.audit.note import NoteError, Signer, Verifier, open_note, parse_note, sign_note
from c4guard.errors import InvalidInput

_SIZE = re.compile(r"0|[1-9][0-9]{0,18}")


class CheckpointError(InvalidInput, ValueError):
    """A checkpoint that is malformed or not signed by a trusted key."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def to_text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def from_text(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise CheckpointError("a checkpoint has an origin, a size and a root hash line")
        origin, size, root, *extensions = lines[:-1]
        if not origin:
            raise CheckpointError("checkpoint origin is empty")
        if not _SIZE.fullmatch(size):
            raise CheckpointError(f"checkpoint tree size {size[:30]!r} is not a decimal number")
        try:
            root_hash = base64.b64decode(root, validate=True)
        except binascii.Error as exc:
            raise CheckpointError("checkpoint root hash is not base64") from exc
        if len(root_hash) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root hash is not {HASH_SIZE} bytes")
        if any(not line for line in extensions):
            raise CheckpointError("checkpoint has an empty extension line")
        return cls(origin, int(size), root_hash, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The signed note of a checkpoint."""
    return sign_note(checkpoint.to_text(), [signer])


def read_checkpoint(message: str) -> Checkpoint:
    """The checkpoint in a signed note, without checking signatures."""
    try:
        return Checkpoint.from_text(parse_note(message).text)
    except NoteError as exc:
        raise CheckpointError(str(exc)) from exc


def open_checkpoint(
    message: str, verifiers: list[Verifier], origin: str | None = None
) -> Checkpoint:
    """The checkpoint in a signed note that a trusted key signed (and, when given, of `origin`)."""
    try:
        note, _ = open_note(message, verifiers)
    except NoteError as exc:
        raise CheckpointError(str(exc)) from exc
    checkpoint = Checkpoint.from_text(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint
