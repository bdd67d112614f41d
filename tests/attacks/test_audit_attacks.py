"""Attacks on the audit trail (issue 17, finding 7), on SQLite and a real PostgreSQL: a
trail deleted or truncated when a checkpoint held elsewhere proves it had entries is
tampering (exit 1); read commands never create a database; deleting checkpoint rows is
caught by the local witness that `audit checkpoint` keeps in the state directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from c4guard.audit import Event
from c4guard.cli import main
from tests.audit.conftest import (  # noqa: F401  (fixtures)
    RawSQL,
    isolated_state,
    location,
    postgres_server,
    postgres_url,
    raw,
    trail,
)

pytestmark = pytest.mark.services
USAGE, TAMPERED = 2, 1


def audit(where: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["audit", *args], env={"C4GUARD_AUDIT_DB": where})


def checkpointed(trail, location: str, entries: int = 5) -> str:  # noqa: F811
    """Append entries, make a signed checkpoint through the CLI; its note."""
    trail.append_many([Event("gate.decision", {"n": n}, "attacker@test") for n in range(entries)])
    assert audit(location, "keygen").exit_code == 0
    result = audit(location, "checkpoint")
    assert result.exit_code == 0, result.output
    return result.output


def delete_trail(location: str, raw: RawSQL) -> None:  # noqa: F811
    if raw.postgres:
        raw.run("DROP TABLE c4guard_audit_entries, c4guard_audit_checkpoints, c4guard_audit_meta")
    else:
        Path(location).unlink()
        for suffix in ("-wal", "-shm"):
            Path(location + suffix).unlink(missing_ok=True)


def test_deleted_trail_with_against_is_tampering(trail, location, raw, tmp_path) -> None:  # noqa: F811
    note = checkpointed(trail, location)
    kept = tmp_path / "kept.checkpoint"
    kept.write_text(note)
    trail.close()
    delete_trail(location, raw)
    result = audit(location, "verify", "--against", str(kept), "--no-witness")
    assert result.exit_code == TAMPERED, result.output
    assert "covers 5 entries" in result.output and "TAMPERED" in result.output


def test_truncated_sqlite_trail_is_tampering_against_the_witness(tmp_path: Path) -> None:
    db = str(tmp_path / "audit.db")
    from c4guard.audit import open_trail

    with open_trail(db) as opened:
        checkpointed(opened, db)
    Path(db + "-wal").unlink(missing_ok=True)
    with open(db, "r+b") as handle:
        handle.truncate(0)
    result = audit(db, "verify")
    assert result.exit_code == TAMPERED, result.output
    assert "local witness" in result.output


def test_read_commands_do_not_create_a_database(tmp_path: Path) -> None:
    mistyped = tmp_path / "audti.db"
    for command in (["verify"], ["log"], ["show", "0"], ["export"]):
        result = audit(str(mistyped), *command)
        assert result.exit_code == USAGE, (command, result.output)
        assert "no audit trail" in result.output
        assert not mistyped.exists(), command


def test_deleted_checkpoints_are_caught_by_the_local_witness(trail, location, raw) -> None:  # noqa: F811
    checkpointed(trail, location, entries=3)
    trail.append("gate.decision", {"n": 3}, "attacker@test")
    assert audit(location, "checkpoint").exit_code == 0
    raw.tamper("c4guard_audit_checkpoints", "DELETE FROM c4guard_audit_checkpoints")
    result = audit(location, "verify")
    assert result.exit_code == TAMPERED, result.output
    assert "checkpoints were removed" in result.output
    # without the witness the trail, now without checkpoints, is consistent in itself
    assert audit(location, "verify", "--no-witness").exit_code == 0
