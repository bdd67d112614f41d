"""Rule selection: --check / --skip-check by check, requirement or section, and severity
overrides in the config."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.checks import REGISTRY
from c4guard.checks.selection import RuleSelection, SelectionError
from c4guard.cli import main
from c4guard.model import Severity
from tests.governance.conftest import PRIVILEGED_POD as POD
from tests.governance.conftest import scan_json


def check_ids(report: dict) -> set[str]:
    """The checks that ran."""
    return set(REGISTRY) - set(report["governance"]["rule_selection"]["not_run"])


def of_requirement(requirement: str) -> set[str]:
    return {c.id for c in REGISTRY.values() if c.requirement == requirement}


def status(report: dict, rid: str) -> dict:
    return next(r for r in report["requirements"] if r["id"] == rid)


def test_check_selects_checks_requirements_and_sections(write, tmp_path: Path) -> None:
    write("pod.yaml", POD)
    _, report = scan_json(str(tmp_path), "--check", "k8s-privileged,4.1.2")
    assert check_ids(report) == {"K8S-PRIVILEGED"} | of_requirement("4.1.2")
    assert {"K8S-SECCOMP", "K8S-APPARMOR", "K8S-SELINUX"} <= of_requirement("4.1.2")
    _, report = scan_json(str(tmp_path), "--check", "C4.1", "--skip-check", "4.1.1")
    assert check_ids(report) == {
        c.id
        for c in REGISTRY.values()
        if c.requirement.startswith("4.1.") and c.requirement != "4.1.1"
    }


def test_skipped_checks_are_named_in_the_reason_and_the_report(write, tmp_path: Path) -> None:
    write("pod.yaml", POD)
    _, report = scan_json(str(tmp_path), "--skip-check", "4.1.2")
    seccomp = status(report, "4.1.2")
    assert seccomp["status"] == "review" and "checks not selected:" in seccomp["reason"]
    assert "K8S-SECCOMP" in seccomp["reason"]
    selection = report["governance"]["rule_selection"]
    assert selection["skip"] == ["4.1.2"]
    assert {c for c in selection["not_run"] if REGISTRY[c].domain == "kubernetes"} == {
        c for c in of_requirement("4.1.2") if REGISTRY[c].domain == "kubernetes"
    }


def test_skipping_the_only_failing_check_lets_the_requirement_pass(write, tmp_path: Path) -> None:
    write(
        "pod.yaml",
        POD.replace(
            "{privileged: true}",
            "{privileged: true, "
            "allowPrivilegeEscalation: false, runAsNonRoot: true, "
            "capabilities: {drop: [ALL]}}",
        )
        + "  automountServiceAccountToken: false\n",
    )
    failing = {
        f["check_id"]
        for f in status(scan_json(str(tmp_path))[1], "4.1.1")["findings"]
        if f["result"] == "fail"
    }
    skipped = ",".join(sorted(failing))
    r = status(scan_json(str(tmp_path), "--skip-check", skipped)[1], "4.1.1")
    assert r["status"] == "pass", r["reason"]


def test_config_severity_overrides_and_selection(write, tmp_path: Path) -> None:
    write("pod.yaml", POD)
    write(
        "c4guard.yaml",
        """
        version: 1
        checks:
          skip: [K8S-PSA-RESTRICTED]
          severity:
            K8S-PRIVILEGED: low
            4.1.2: info
            "4.1": medium
    """,
    )
    _, report = scan_json(str(tmp_path))
    severities = {
        f["check_id"]: f["severity"] for r in report["requirements"] for f in r["findings"]
    }
    assert severities["K8S-PRIVILEGED"] == "low"  # the check's own override wins
    assert severities["K8S-SECCOMP"] == "info"  # then its requirement's
    assert severities["K8S-CAPS-DROP-ALL"] == "medium"  # then its section's
    assert severities["K8S-READONLY-ROOTFS"] == "medium"
    assert "K8S-PSA-RESTRICTED" not in severities
    assert report["governance"]["rule_selection"]["severity"]["K8S-PRIVILEGED"] == "low"


def test_command_line_check_replaces_config_select_and_skip_adds() -> None:
    rules = RuleSelection.build(["4.1.1"], ["K8S-SECCOMP"], {}, ("4.1.2",), ("K8S-SELINUX",))
    assert rules.select == ("4.1.2",) and rules.skip == ("K8S-SECCOMP", "K8S-SELINUX")
    chosen = rules.resolve(list(REGISTRY.values())).checks
    assert {c.id for c in chosen} == of_requirement("4.1.2") - {"K8S-SECCOMP", "K8S-SELINUX"}
    severity = RuleSelection.build([], [], {"K8S-APPARMOR": Severity.CRITICAL})
    assert severity.resolve([REGISTRY["K8S-APPARMOR"]]).checks[0].severity is Severity.CRITICAL
    assert REGISTRY["K8S-APPARMOR"].severity is Severity.MEDIUM  # the registry is untouched


@pytest.mark.parametrize(
    "args", [("--check", "K8S-NOPE"), ("--skip-check", "4.9"), ("--check", "4.1.9")]
)
def test_unknown_selectors_are_usage_errors(write, tmp_path: Path, args) -> None:
    write("pod.yaml", POD)
    result = CliRunner().invoke(main, ["scan", str(tmp_path), *args])
    assert result.exit_code == 2 and "is not a check, requirement or section" in result.output


def test_unknown_severity_override_in_config(write, tmp_path: Path) -> None:
    write("pod.yaml", POD)
    write("c4guard.yaml", "version: 1\nchecks:\n  severity: {K8S-NOPE: low}\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path)])
    assert result.exit_code == 2 and "checks.severity: 'K8S-NOPE'" in result.output
    with pytest.raises(SelectionError):
        RuleSelection.build([], ["nothing"], {})
