"""The shared corpus of third-party AI infrastructure scans without a crash and finds
real things."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.sources.dockerfile import claims as dockerfile_claims
from tests.conftest import shared_path

pytestmark = pytest.mark.slow  # every test here reads the whole corpus


def test_whole_corpus_scans_and_reports_what_it_read() -> None:
    corpus = shared_path("corpus")
    result = CliRunner().invoke(
        main,
        ["scan", str(corpus), "--format", "json", "--fail-on", "none", "--jobs", "2"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0
    report = json.loads(result.output)
    summary = report["summary"]
    assert summary["resources"] > 3000 and summary["files_read"] > 2000
    assert summary["skipped_files"] > 0 and summary["render_notices"] > 0
    assert report["input_errors"], "the corpus holds genuinely broken YAML"
    statuses = {r["id"]: r["status"] for r in report["requirements"]}
    assert statuses["4.1.1"] == "fail"
    kinds = {f["resource"]["kind"] for r in report["requirements"] for f in r["findings"]}
    assert {"InferenceService", "ClusterServingRuntime", "RayCluster", "DaemonSet"} <= kinds


def test_corpus_text_summary_names_resources_skips_notices_and_errors() -> None:
    corpus = shared_path("corpus", "kserve__kserve")
    result = CliRunner().invoke(main, ["scan", str(corpus), "--fail-on", "none"])
    lines = result.output.splitlines()
    header = " ".join(lines[1 : lines.index("", 1)])  # the summary may wrap
    for word in ("files", "resources", "skipped", "render notices", "input errors"):
        assert word in header


def test_corpus_dockerfiles_and_ci_files_scan_without_a_crash() -> None:
    corpus = shared_path("corpus")
    targets = sorted(
        str(p)
        for p in corpus.rglob("*")
        if p.is_file()
        and (
            dockerfile_claims(p.name)
            or ".github/workflows/" in p.as_posix()
            or p.name in (".gitlab-ci.yml", "action.yml", "action.yaml")
        )
    )
    assert len(targets) > 300
    result = CliRunner().invoke(
        main, ["scan", *targets, "--format", "json", "--fail-on", "none"], catch_exceptions=False
    )
    report = json.loads(result.output)
    assert {"docker", "workflows"} <= set(report["scanned_domains"])
    assert not [r["reason"] for r in report["requirements"] if "could not run" in r["reason"]]
    errors = {Path(e["path"]).parent.name for e in report["input_errors"]}
    assert errors <= {"failure", "empty_dockerfile"}  # checkov's deliberately broken fixtures
    checks = {f["check_id"] for r in report["requirements"] for f in r["findings"]}
    assert {"DOCKER-USER", "WF-PROVENANCE", "WF-ACTION-PINNED", "WF-SBOM-SIGNED"} <= checks


def test_corpus_ai_manifests_get_kubernetes_findings_beyond_isolation() -> None:
    """KServe's own samples and charts: hub models outside sandboxes, unverified images,
    missing default-deny policies, literal Secrets, exposed services without bounds."""
    corpus = shared_path("corpus", "kserve__kserve")
    result = CliRunner().invoke(
        main, ["scan", str(corpus), "--format", "json", "--fail-on", "none"], catch_exceptions=False
    )
    report = json.loads(result.output)
    failing = {
        (f["check_id"], f["resource"]["kind"])
        for r in report["requirements"]
        for f in r["findings"]
        if f["result"] == "fail"
    }
    assert ("K8S-UNTRUSTED-SANDBOX", "LLMInferenceService") in failing
    assert ("K8S-UNTRUSTED-SANDBOX", "InferenceService") in failing
    assert ("K8S-EXHAUSTION-PROTECTION", "InferenceService") in failing
    assert ("K8S-SECRET-LITERAL", "Secret") in failing
    assert ("K8S-NETPOL-ALLOW-ALL", "NetworkPolicy") in failing
    assert ("K8S-RBAC-WORKLOAD", "Job") in failing
    statuses = {r["id"]: r["status"] for r in report["requirements"]}
    for requirement in ("4.2.3", "4.3.1", "4.4.1", "4.5.1", "4.6.1", "4.7.1"):
        assert statuses[requirement] == "fail", requirement
