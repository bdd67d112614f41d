"""A local witness of a trail's latest checkpoint, kept outside its database.

`c4guard audit checkpoint` writes the signed checkpoint it made, and how many checkpoints
the trail held, to `<state dir>/audit-witness/<id of the trail's location>.json`;
`c4guard audit verify` checks the trail against it. Someone who can write to the database
but not to this machine's state directory can no longer delete checkpoint rows (and rewrite
the entries behind them), truncate the trail or delete it without `verify` saying so.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from c4guard.audit.checkpoint import CheckpointError, read_checkpoint
from c4guard.audit.trail import default_location, is_postgres
from c4guard.paths import state_dir

WITNESS_DIR = "audit-witness"


@dataclass(frozen=True)
class Witness:
    location: str
    checkpoints: int  # signed checkpoints the trail held when it was written
    note: str  # the latest signed checkpoint

    @property
    def size(self) -> int:
        return read_checkpoint(self.note).size


def location_id(location: str | None) -> str:
    """The trail's location as the witness names it: an absolute SQLite path, or the
    PostgreSQL URL without its password."""
    location = location or default_location()
    if is_postgres(location):
        from c4guard.audit.store_postgres import describe_url

        return describe_url(location)
    return str(Path(location).expanduser().resolve())


def witness_path(location: str | None) -> Path:
    digest = hashlib.sha256(location_id(location).encode()).hexdigest()[:24]
    return state_dir() / WITNESS_DIR / f"{digest}.json"


def record_witness(location: str | None, checkpoints: int, note: str) -> Path:
    """Replace the witness of `location` atomically."""
    path = witness_path(location)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"location": location_id(location), "checkpoints": checkpoints, "note": note}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)
    return path


def load_witness(location: str | None) -> Witness | None:
    """The witness of `location`, None when there is none; a damaged one is a
    CheckpointError."""
    path = witness_path(location)
    try:
        data = json.loads(path.read_text())
        witness = Witness(str(data["location"]), int(data["checkpoints"]), str(data["note"]))
        witness.size  # noqa: B018 - the note must hold a checkpoint
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, CheckpointError) as exc:
        raise CheckpointError(f"local witness {path} is unreadable: {exc}") from exc
    return witness
