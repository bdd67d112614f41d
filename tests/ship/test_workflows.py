"""c4guard's own GitHub workflows pass its own WF-* checks."""

from __future__ import annotations

import json

from click.testing import CliRunner

from c4guard.checks import REGISTRY
from c4guard.cli import main

from .helm import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def wf_findings(*paths: str) -> tuple[int, dict[str, list[dict]]]:
    """Exit code and the WF-* findings by status of a scan of `paths`."""
    result = CliRunner().invoke(
        main, ["scan", *paths, "--format", "json", "--show-passes", "--fail-on", "fail"]
    )
    report = json.loads(result.stdout)
    by_status: dict[str, list[dict]] = {}
    for requirement in report["requirements"]:
        for finding in requirement.get("findings", []):
            if finding["check_id"].startswith("WF-"):
                by_status.setdefault(finding["result"], []).append(finding)
    return result.exit_code, by_status


def test_release_workflow_passes_every_wf_check() -> None:
    code, findings = wf_findings(str(WORKFLOWS))
    assert code == 0
    assert not findings.get("fail") and not findings.get("unknown"), findings
    passed = {f["check_id"] for f in findings["pass"]}
    expected = {
        "WF-ACTION-PINNED",
        "WF-TOKEN-PERMISSIONS",
        "WF-PROVENANCE",
        "WF-ARTIFACT-SIGNED",
        "WF-SBOM",
        "WF-SBOM-SIGNED",
        "WF-VULN-GATE",
    }
    assert expected <= passed, expected - passed
    assert all(check in REGISTRY for check in expected)
