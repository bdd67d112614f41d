"""`c4guard audit` end to end, through the main command."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.audit import open_trail
from c4guard.audit.checkpoint import read_checkpoint
from c4guard.audit.merkle import verify_inclusion
from c4guard.cli import main
from tests.audit.audit_testing import fill


@pytest.fixture
def cli(location):
    runner = CliRunner()

    def run(*args: str, expect: int = 0) -> str:
        result = runner.invoke(main, ["audit", *args], env={"C4GUARD_AUDIT_DB": location})
        assert result.exit_code == expect, result.output
        return result.output

    return run


@pytest.fixture
def keyed(cli, isolated_state: Path) -> Path:
    out = cli("keygen", "--name", "ci/c4guard-audit")
    private = isolated_state / "audit-signing.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert out.strip().endswith((isolated_state / "audit-signing.key.pub").read_text().strip())
    return private


def test_keygen_never_overwrites(cli, keyed):
    assert "not overwriting" in cli("keygen", expect=2)


def test_log_show_prove_verify(cli, keyed, location):
    assert "0 entries" in cli("init", "--origin", "example.org/ci-audit")
    with open_trail(location) as trail:
        fill(trail, 6)
    note = cli("checkpoint")
    assert note.startswith("example.org/ci-audit\n6\n") and "\u2014 ci/c4guard-audit " in note
    listing = cli("log", "-n", "3").splitlines()
    assert [line.split()[0] for line in listing] == ["3", "4", "5"]
    assert json.loads(cli("log", "--json", "--kind", "gate.decision").splitlines()[0])["index"] == 0
    assert cli("log", "--kind", "scan.assessment") == ""
    assert '"n": 2' in cli("show", "2")
    assert "no entry 9" in cli("show", "9", expect=1)
    proof = json.loads(cli("prove", "4"))
    head = read_checkpoint(proof["checkpoint"])
    verify_inclusion(
        base64.b64decode(proof["leaf_hash"]),
        4,
        proof["tree_size"],
        [base64.b64decode(h) for h in proof["proof"]],
        head.root,
    )
    assert cli("verify").splitlines()[-1].startswith("OK: ")


def test_verify_fails_on_tampering_and_against_a_fork(cli, keyed, location, raw, tmp_path):
    with open_trail(location) as trail:
        fill(trail, 5)
    witness = tmp_path / "witness.checkpoint"
    witness.write_text(cli("checkpoint"))
    assert "consistent with the checkpoint at size 5" in cli("verify", "--against", str(witness))
    raw.tamper(
        "c4guard_audit_entries",
        "UPDATE c4guard_audit_entries SET entry = ? WHERE idx = 1",
        (b"{}",),
    )
    output = cli("verify", expect=1)
    assert "FAIL  entry 1" in output and "TAMPERED OR DAMAGED" in output
    assert "not consistent" in cli("verify", "--against", str(witness), expect=1)


def test_export_and_offline_verify(cli, keyed, location, tmp_path):
    with open_trail(location) as trail:
        fill(trail, 9)
    cli("checkpoint")
    export = tmp_path / "audit.jsonl"
    cli("export", "-o", str(export))
    assert cli("verify", "--offline", str(export)).splitlines()[-1].startswith("OK: export")
    other = tmp_path / "other.key"
    cli("keygen", "--out", str(other))
    output = cli("verify", "--offline", str(export), "--key", f"{other}.pub", expect=1)
    assert "not signed by a trusted key" in output


def test_configuration_errors_exit_2(cli, location, tmp_path):
    assert "no audit trail" in cli("log", expect=2)
    with open_trail(location) as trail:
        fill(trail, 1)
    assert "audit keygen" in cli("checkpoint", expect=2)
    assert "cannot read key file" in cli("verify", "--key", str(tmp_path / "none.pub"), expect=2)
    assert "no checkpoint covers entry 0" in cli("prove", "0", expect=1)
