"""The command line: reports, exit codes, the catalog helpers, the examples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.report.json import report_schema
from tests.conftest import REPO

EXAMPLES = REPO / "examples"
STANDARD_LEVELS = {
    "4.1.1": 1,
    "4.1.2": 1,
    "4.1.3": 2,
    "4.1.4": 2,
    "4.1.5": 3,
    "4.2.1": 1,
    "4.2.2": 2,
    "4.2.3": 2,
    "4.3.1": 1,
    "4.3.2": 1,
    "4.3.3": 2,
    "4.3.4": 2,
    "4.3.5": 2,
    "4.4.1": 1,
    "4.4.2": 1,
    "4.4.3": 2,
    "4.4.4": 1,
    "4.4.5": 2,
    "4.5.1": 1,
    "4.5.2": 1,
    "4.5.3": 2,
    "4.5.4": 3,
    "4.5.5": 3,
    "4.5.6": 3,
    "4.5.7": 3,
    "4.6.1": 2,
    "4.6.2": 2,
    "4.6.3": 2,
    "4.7.1": 2,
    "4.7.2": 2,
    "4.7.3": 3,
    "4.8.1": 2,
    "4.8.2": 2,
    "4.8.3": 3,
    "4.8.4": 3,
}
PARTIAL = {
    "4.1.4",
    "4.1.5",
    "4.2.1",
    "4.3.5",
    "4.4.4",
    "4.5.3",
    "4.5.5",
    "4.5.6",
    "4.6.3",
    "4.7.1",
    "4.7.3",
    "4.8.2",
}
NONE = {"4.5.7", "4.8.3", "4.8.4"}


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_controls_json_lists_the_35_requirements() -> None:
    result = invoke("controls", "--format", "json")
    data = json.loads(result.output)
    levels = {r["id"]: r["level"] for r in data["requirements"]}
    assert levels == STANDARD_LEVELS
    automation = {r["id"]: r["automation"] for r in data["requirements"]}
    assert {k for k, v in automation.items() if v == "partial"} == PARTIAL
    assert {k for k, v in automation.items() if v == "none"} == NONE
    assumed = [r["id"] for r in data["requirements"] if r["level_assumed"]]
    assert assumed == ["4.4.4"]
    japanese = {r["id"] for r in data["requirements"] if r["text_ja"]}
    assert japanese == {"4.1.1", "4.1.2", "4.1.3", "4.1.4", "4.1.5", "4.2.1", "4.2.2", "4.2.3"}
    assert "OWASP" in data["attribution"] and data["license"] == "CC-BY-SA-4.0"


def test_controls_level_filter_and_text() -> None:
    result = invoke("controls", "--level", "1")
    assert "4.1.1" in result.output and "4.1.3" not in result.output
    assert "4.4.4  L1 (level assumed)" in result.output


def test_explain_requirement_and_check() -> None:
    requirement = invoke("explain", "4.1.2").output
    assert "K8S-SECCOMP" in requirement and "seccomp" in requirement
    assert "Original:" in requirement
    check = invoke("explain", "K8S-PRIVILEGED").output
    assert "Requirement 4.1.1" in check and "Remediation:" in check
    assert invoke("explain", "4.9.9").exit_code == 2


def test_insecure_example_fails_and_hardened_passes_level_1() -> None:
    insecure = invoke("scan", str(EXAMPLES / "insecure-platform"))
    assert insecure.exit_code == 1
    assert "4.1.1 FAIL" in insecure.output and "K8S-PRIVILEGED" in insecure.output
    hardened = invoke(
        "scan", str(EXAMPLES / "hardened-platform"), "--level", "1", "--fail-on", "fail"
    )
    assert hardened.exit_code == 0, hardened.output
    report = json.loads(
        invoke("scan", str(EXAMPLES / "hardened-platform"), "--format", "json").output
    )
    statuses = {r["id"]: r["status"] for r in report["requirements"]}
    assert statuses["4.1.1"] == statuses["4.1.2"] == statuses["4.1.3"] == "pass"


def test_fail_on_none_reports_without_failing() -> None:
    assert invoke("scan", str(EXAMPLES / "insecure-platform"), "--fail-on", "none").exit_code == 0


def test_fail_on_review_counts_review(tmp_path: Path) -> None:
    hardened = str(EXAMPLES / "hardened-platform")
    # Level 1 is met (its review items are attested); level 2 still has items in review.
    assert invoke("scan", hardened, "--level", "1", "--fail-on", "review").exit_code == 0
    assert invoke("scan", hardened, "--level", "2", "--fail-on", "review").exit_code == 1


def test_input_error_fails_the_exit_code_but_is_reported(tmp_path: Path) -> None:
    good = EXAMPLES / "hardened-platform"
    for path in good.glob("*.yaml"):  # the Kubernetes manifests
        (tmp_path / path.name).write_text(path.read_text())
    expected = json.loads(invoke("scan", str(tmp_path), "--format", "json").output)
    (tmp_path / "broken.yaml").write_text("kind: [\n")
    result = invoke("scan", str(tmp_path), "--level", "1", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert [Path(e["path"]).name for e in report["input_errors"]] == ["broken.yaml"]
    assert report["summary"]["resources"] == expected["summary"]["resources"]


def test_scan_that_reads_nothing_is_a_usage_error(tmp_path: Path) -> None:
    # Binary content is read by no handler and no content scanner. (Text files are read by
    # the secret scan, so a folder of values files is assessed: issue 15, class 12.)
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64))
    result = CliRunner().invoke(main, ["scan", str(tmp_path)])
    assert result.exit_code == 2
    assert "nothing to assess" in result.output


def test_config_error_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "c4guard.yaml").write_text("version: 1\nfoo: bar\n")
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path)])
    assert result.exit_code == 2 and "c4guard.yaml:2: foo: unknown key" in result.output


@pytest.mark.parametrize("example", ["insecure-platform", "hardened-platform"])
def test_json_report_validates_against_the_shipped_schema(example: str) -> None:
    report = json.loads(invoke("scan", str(EXAMPLES / example), "--format", "json").output)
    jsonschema.Draft202012Validator.check_schema(report_schema())
    jsonschema.Draft202012Validator(
        report_schema(), format_checker=jsonschema.FormatChecker()
    ).validate(report)
    assert report["schema_version"] == "1.2"
    assert {"compose", "docker", "kubernetes", "secrets", "terraform", "workflows"} <= set(
        report["scanned_domains"]
    )
    finding = report["requirements"][0]["findings"][0]
    assert set(finding) >= {"check_id", "fingerprint", "line", "suppression", "resource"}


def test_report_to_file(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    invoke(
        "scan",
        str(EXAMPLES / "insecure-platform"),
        "--format",
        "json",
        "-o",
        str(out),
        "--fail-on",
        "none",
    )
    assert json.loads(out.read_text())["summary"]["levels"][0]["met"] is False


@pytest.mark.slow
def test_console_script_runs_as_a_module(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "c4guard", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.startswith("c4guard")


def test_checks_doc_is_generated_from_the_registry() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen", REPO / "scripts" / "gen_checks_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (REPO / "docs" / "checks.md").read_text() == module.render(), (
        "docs/checks.md is stale: run `python scripts/gen_checks_doc.py`"
    )


@pytest.mark.parametrize("requirement", sorted(STANDARD_LEVELS))
def test_explain_lists_kubernetes_checks_or_the_reason_there_are_none(requirement: str) -> None:
    from c4guard.catalog import load_catalog
    from c4guard.checks import checks_for

    output = invoke("explain", requirement).output
    line = next(x for x in output.splitlines() if x.startswith("Kubernetes checks:"))
    kubernetes = [c.id for c in checks_for(requirement) if c.domain == "kubernetes"]
    gap = load_catalog().get(requirement).kubernetes_gap
    assert bool(kubernetes) != bool(gap), "a requirement has Kubernetes checks or a reason"
    if kubernetes:
        assert all(c in line for c in kubernetes)
    else:
        assert " ".join(gap.split()[:6]) in line


def kubernetes_settleable() -> list[str]:
    """Requirements that scanned Kubernetes evidence alone can pass (full automation and
    Kubernetes checks)."""
    from c4guard.catalog import load_catalog
    from c4guard.checks import checks_for

    return [
        r.id
        for r in load_catalog().requirements
        if r.automation.value == "full" and any(c.domain == "kubernetes" for c in checks_for(r.id))
    ]


def example_statuses(name: str) -> tuple[dict[str, str], list[dict[str, object]]]:
    report = json.loads(
        invoke("scan", str(EXAMPLES / name), "--format", "json", "--fail-on", "none").output
    )
    failing = [f for r in report["requirements"] for f in r["findings"] if f["result"] == "fail"]
    return {r["id"]: r["status"] for r in report["requirements"]}, failing


def test_hardened_example_passes_every_kubernetes_settleable_requirement() -> None:
    statuses, failing = example_statuses("hardened-platform")
    assert failing == []
    assert {r: statuses[r] for r in kubernetes_settleable()} == dict.fromkeys(
        kubernetes_settleable(), "pass"
    )


def test_insecure_example_fails_every_kubernetes_settleable_requirement() -> None:
    statuses, _failing = example_statuses("insecure-platform")
    assert {r: statuses[r] for r in kubernetes_settleable()} == dict.fromkeys(
        kubernetes_settleable(), "fail"
    )
