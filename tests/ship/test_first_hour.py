"""A newcomer's first hour (issue 19, "Why"): each friction seen by trying the docs as a new
user has a test here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from c4guard.cli import main

from .helm import ROOT

EXAMPLES = ROOT / "examples"
SUPPLY = EXAMPLES / "supply-chain"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_gate_check_runs_on_the_examples_as_documented() -> None:
    """`c4guard gate check examples/insecure-platform` used to stop with "image
    verification needs a trust policy" (exit 2): the examples ship their gate config."""
    code, out, err = _run("gate", "check", str(EXAMPLES / "insecure-platform"))
    assert code == 1, err  # a decision: denied
    assert "DENY" in out and "tag-only-reference" in out
    code, out, err = _run("gate", "check", str(EXAMPLES / "hardened-platform"))
    assert code == 0, out + err
    assert "0 denied" in out


def test_verify_the_signed_example_artifact(tmp_path: Path) -> None:
    policy = str(SUPPLY / "trust-policy.yaml")
    code, out, _ = _run("verify", str(SUPPLY / "model-card.json"), "-p", policy)
    assert code == 0 and out.startswith("ALLOW"), out
    tampered = tmp_path / "model-card.json"
    shutil.copy(SUPPLY / "model-card.json.sig", tmp_path / "model-card.json.sig")
    tampered.write_text((SUPPLY / "model-card.json").read_text().replace("1.4.0", "1.4.1"))
    code, out, _ = _run("verify", str(tampered), "-p", policy)
    assert code == 1 and out.startswith("DENY"), out
    # The example ships the public key only.
    assert not [p for p in SUPPLY.rglob("*") if "PRIVATE KEY" in _text(p)]


def test_hardened_example_meets_level_1() -> None:
    """It exited 0 but met no level, so an attestation verified with min_level: 1 was
    denied ("met level 0"); it now ships the attestations its review items need."""
    _, out, _ = _run("scan", str(EXAMPLES / "hardened-platform"), "--format", "json")
    report = json.loads(out)
    levels = {entry["level"]: entry for entry in report["summary"]["levels"]}
    assert levels[1]["met"], levels[1]
    attested = {r["id"] for r in report["requirements"] if r["status"] == "attested"}
    assert attested == {"4.2.1", "4.4.4"}


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.is_file() else ""
