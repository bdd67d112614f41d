"""The JSON report with every governance entry validates against the shipped schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from c4guard.report.json import report_schema
from tests.report.conftest import report


def validate(document: dict) -> None:
    jsonschema.Draft202012Validator(
        report_schema(), format_checker=jsonschema.FormatChecker()
    ).validate(document)


def test_governance_entries_validate(governed: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    report(str(governed), "--create-baseline", str(baseline))
    result = report(
        str(governed),
        "--format",
        "json",
        "--baseline",
        str(baseline),
        "--skip-check",
        "K8S-APPARMOR",
    )
    document = json.loads(result.stdout)
    validate(document)
    governance = document["governance"]
    statuses = {(e["source"], e["status"]) for e in governance["exceptions"]}
    assert statuses >= {
        ("config", "active"),
        ("config", "expired"),
        ("inline", "active"),
        ("inline", "expired"),
        ("inline", "invalid"),
        ("annotation", "active"),
        ("annotation", "invalid"),
    }
    assert governance["baseline"]["matched"] > 0
    assert governance["rule_selection"]["not_run"] == ["K8S-APPARMOR"]
    # the baseline accepted every failure of 4.1.1, so its attestation was not needed
    assert {a["status"] for a in governance["attestations"]} == {
        "applied",
        "expired",
        "not needed (evidence settled the requirement)",
    }


def test_disabled_entries_validate(governed: Path) -> None:
    document = json.loads(report(str(governed), "--format", "json", "--no-inline-ignores").stdout)
    validate(document)
    assert "disabled" in {e["status"] for e in document["governance"]["exceptions"]}
    assert "overridden by failing findings" in {
        a["status"] for a in document["governance"]["attestations"]
    }
