"""`scan --audit` and the config's `audit:` section record the assessment, the exceptions
and attestations used; the recorded digest is that of the JSON report as written."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from c4guard.audit import open_trail
from c4guard.cli import main
from tests.conftest import REPO

INSECURE = str(REPO / "examples" / "insecure-platform")


def entries(db: Path) -> list:
    with open_trail(str(db), create=False) as trail:
        return [trail.entry(index) for index in range(trail.size())]


def test_scan_records_the_digest_of_the_written_report(tmp_path: Path) -> None:
    db, report = tmp_path / "audit.db", tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        ["scan", INSECURE, "--format", "json", "-o", str(report), "--audit-db", str(db)],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    [entry] = entries(db)
    assert entry.kind == "scan.assessment"
    assert entry.payload["report_sha256"] == hashlib.sha256(report.read_bytes()).hexdigest()
    assert entry.payload["summary"] == json.loads(report.read_text())["summary"]


def test_config_audit_section_records_exceptions_and_attestations(tmp_path: Path) -> None:
    shutil.copytree(INSECURE, tmp_path, dirs_exist_ok=True)
    db = tmp_path / "trail.db"
    (tmp_path / "c4guard.yaml").write_text(f"""
version: 1
audit:
  db: {db}
  actor: ci/pipeline-42
exceptions:
  - check: K8S-PRIVILEGED
    reason: driver installer
    expires: 2099-01-01
attestations:
  - requirement: "4.5.7"
    statement: no collaborative training
    owner: ml-lead
    reviewed: 2026-01-01
    expires: 2099-01-01
""")
    result = CliRunner().invoke(
        main, ["scan", str(tmp_path), "--fail-on", "none"], catch_exceptions=False
    )
    assert result.exit_code == 0
    recorded = entries(db)
    assert [e.kind for e in recorded] == ["scan.assessment", "exception.used", "attestation.used"]
    assert {e.actor for e in recorded} == {"ci/pipeline-42"}
    assert recorded[1].payload["check"] == "K8S-PRIVILEGED"
    assert CliRunner().invoke(main, ["audit", "verify", "--db", str(db)]).exit_code == 0


def test_unreachable_trail_is_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = CliRunner().invoke(
        main, ["scan", INSECURE, "--fail-on", "none", "--audit-db", str(blocker / "audit.db")]
    )
    assert result.exit_code == 2 and "audit trail unavailable" in result.output
