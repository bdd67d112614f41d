"""The GitHub Action (`action.yml`): its steps, put into a workflow as a user's job would
run them, and the copy-paste workflow of docs/github-action.md pass c4guard's own WF-*
checks."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from .helm import ROOT
from .test_workflows import wf_findings

ACTION = ROOT / "action.yml"
DOC = ROOT / "docs" / "github-action.md"


def _workflow_with_action_steps() -> dict:
    """A pull-request workflow whose job runs the composite action's steps inline."""
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    checkout = {
        "uses": "actions/checkout@34e114876b0b11c390a56381ad16ebd13914f8d5",
        "with": {"persist-credentials": False},
    }
    return {
        "name": "c4guard",
        "on": {"pull_request": {}},
        "permissions": {},
        "jobs": {
            "c4guard": {
                "runs-on": "ubuntu-24.04",
                "permissions": {
                    "contents": "read",
                    "security-events": "write",
                    "pull-requests": "write",
                },
                "steps": [checkout, *action["runs"]["steps"]],
            }
        },
    }


def _scan_workflow(tmp_path: Path, text: str) -> dict[str, list[dict]]:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "c4guard-scan.yml").write_text(text, encoding="utf-8")
    code, findings = wf_findings(str(folder))
    assert code == 0, findings.get("fail")
    return findings


def test_action_steps_pass_wf_checks(tmp_path: Path) -> None:
    text = yaml.safe_dump(_workflow_with_action_steps(), sort_keys=False)
    findings = _scan_workflow(tmp_path, text)
    assert not findings.get("fail") and not findings.get("unknown"), findings
    passed = {f["check_id"] for f in findings["pass"]}
    assert {"WF-ACTION-PINNED", "WF-TOKEN-PERMISSIONS", "WF-PIPE-TO-SHELL"} <= passed


def test_action_installs_a_pinned_c4guard_and_fails_on_the_level() -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    steps = action["runs"]["steps"]
    install = next(s for s in steps if s.get("name") == "Install c4guard")
    assert "c4guard==${C4GUARD_VERSION}" in install["run"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", action["inputs"]["version"]["default"])
    uses = [s["uses"] for s in steps if "uses" in s]
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    assert all(re.search(r"@[0-9a-f]{40}$", u) for u in uses)
    assert steps[-1]["run"] == 'exit "${STATUS:-2}"'


def test_documented_workflow_passes_wf_checks(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    workflow = next(b for b in blocks if "jobs:" in b)
    findings = _scan_workflow(tmp_path, workflow)
    assert not findings.get("fail"), findings.get("fail")
