"""The status rules of DESIGN.md, each on its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

from c4guard.checks import REGISTRY
from c4guard.checks.registry import Check, passed
from c4guard.config import Config
from c4guard.engine import ScanRequest, assess
from c4guard.model import Assessment, Severity
from c4guard.sources import read_inputs

PRIVILEGED = """
apiVersion: v1
kind: Pod
metadata: {name: privileged, namespace: ns}
spec:
  containers:
    - {name: app, image: x, securityContext: {privileged: true}}
"""
PLAIN = """
apiVersion: v1
kind: Pod
metadata: {name: plain, namespace: ns}
spec:
  containers:
    - {name: app, image: x}
"""
FUTURE = (date.today() + timedelta(days=30)).isoformat()
PAST = (date.today() - timedelta(days=2)).isoformat()


def run(
    write, tmp_path, docs: list[str], config: dict | None = None, checks: list[Check] | None = None
) -> Assessment:
    write("pods.yaml", "---\n".join(docs))
    inputs = read_inputs([str(tmp_path / "pods.yaml")])
    cfg = Config.model_validate({"version": 1, **(config or {})})
    return assess(inputs, cfg, ScanRequest([str(tmp_path)]), checks=checks)


def result(assessment: Assessment, requirement: str):
    return next(r for r in assessment.requirements if r.requirement.id == requirement)


def test_absent_control_fails(write, tmp_path) -> None:
    r = result(run(write, tmp_path, [PLAIN]), "4.1.2")
    assert r.status.value == "fail"
    assert "K8S-SECCOMP" in r.reason


def test_partial_automation_never_passes(write, tmp_path) -> None:
    def always_passes(inv) -> Iterator:
        for pod in inv.pods():
            yield passed(pod, "has a monitor")

    partial = Check(
        "TEST-MONITOR", "4.1.4", Severity.LOW, "t", "r", "kubernetes", (), always_passes
    )
    r = result(run(write, tmp_path, [PLAIN], checks=[partial]), "4.1.4")
    assert r.status.value == "review"
    assert "partial" in r.reason and r.findings[0].result.value == "pass"


def test_domain_not_scanned_gives_review(write, tmp_path) -> None:
    r = result(run(write, tmp_path, [PLAIN]), "4.2.2")
    assert r.status.value == "review"
    assert "not scanned: artifacts, workflows" in r.reason


def test_suppressed_failure_with_passing_evidence_passes_with_exception(write, tmp_path) -> None:
    config = {
        "exceptions": [
            {
                "check": "K8S-PRIVILEGED",
                "resource": {"kind": "Pod", "name": "privileged"},
                "reason": "GPU driver installer",
                "expires": FUTURE,
                "approver": "sec-team",
            }
        ]
    }
    assessment = run(
        write, tmp_path, [PRIVILEGED, PLAIN], config, checks=[REGISTRY["K8S-PRIVILEGED"]]
    )
    r = result(assessment, "4.1.1")
    assert r.status.value == "pass" and r.exceptions == 1
    assert "1 exception" in r.reason
    suppressed = [f for f in r.findings if f.suppression]
    assert suppressed[0].suppression.reason == "GPU driver installer"
    assert assessment.governance["exceptions"][0]["status"] == "active"


def test_expired_exception_does_not_suppress(write, tmp_path) -> None:
    config = {"exceptions": [{"check": "K8S-PRIVILEGED", "reason": "old", "expires": PAST}]}
    assessment = run(write, tmp_path, [PRIVILEGED], config, checks=[REGISTRY["K8S-PRIVILEGED"]])
    assert result(assessment, "4.1.1").status.value == "fail"
    assert assessment.governance["exceptions"][0]["status"] == "expired"


def test_attestation_over_failing_finding_stays_fail(write, tmp_path) -> None:
    config = {
        "attestations": [
            {
                "requirement": "4.1.1",
                "statement": "we are fine",
                "owner": "platform",
                "reviewed": "2026-01-01",
                "expires": FUTURE,
            }
        ]
    }
    assessment = run(write, tmp_path, [PRIVILEGED], config)
    r = result(assessment, "4.1.1")
    assert r.status.value == "fail" and "does not hide" in r.reason
    assert assessment.governance["attestations"][0]["status"] == "overridden by failing findings"


def test_attestation_settles_a_manual_requirement(write, tmp_path) -> None:
    config = {
        "attestations": [
            {
                "requirement": "4.5.7",
                "statement": "no collaborative training",
                "owner": "ml-lead",
                "evidence": ["https://wiki/smpc"],
                "reviewed": "2026-01-01",
                "expires": FUTURE,
            }
        ]
    }
    r = result(run(write, tmp_path, [PLAIN], config), "4.5.7")
    assert r.status.value == "attested" and "ml-lead" in r.reason


def test_expired_attestation_returns_to_review(write, tmp_path) -> None:
    config = {
        "attestations": [
            {
                "requirement": "4.5.7",
                "statement": "s",
                "owner": "o",
                "reviewed": "2025-01-01",
                "expires": PAST,
            }
        ]
    }
    r = result(run(write, tmp_path, [PLAIN], config), "4.5.7")
    assert r.status.value == "review" and "expired" in r.reason


def test_not_applicable_declared_in_config(write, tmp_path) -> None:
    config = {"not_applicable": [{"requirement": "4.8.1", "reason": "no edge devices"}]}
    r = result(run(write, tmp_path, [PLAIN], config), "4.8.1")
    assert r.status.value == "not_applicable" and "no edge devices" in r.reason


def test_check_scope_empty_is_not_applicable(write, tmp_path) -> None:
    from c4guard.checks.registry import not_applicable

    def scope(inv) -> Iterator:
        yield not_applicable("4.5.1", "no workload runs an untrusted model")

    check = Check("TEST-SCOPE", "4.5.1", Severity.HIGH, "t", "r", "kubernetes", (), scope)
    r = result(run(write, tmp_path, [PLAIN], checks=[check]), "4.5.1")
    assert r.status.value == "not_applicable" and "untrusted" in r.reason


def test_crashing_check_is_review_never_pass(write, tmp_path) -> None:
    def broken(inv) -> Iterator:
        yield from REGISTRY["K8S-PRIVILEGED"].function(inv)
        raise RuntimeError("boom")

    check = Check("TEST-BROKEN", "4.1.1", Severity.HIGH, "t", "r", "kubernetes", (), broken)
    r = result(run(write, tmp_path, [PLAIN], checks=[check]), "4.1.1")
    assert r.status.value == "review" and "boom" in r.reason


def test_level_conformance(write, tmp_path) -> None:
    config = {
        "attestations": [
            {
                "requirement": rid,
                "statement": "s",
                "owner": "o",
                "reviewed": "2026-01-01",
                "expires": FUTURE,
            }
            for rid in ("4.2.1", "4.3.1", "4.3.2", "4.4.1", "4.4.2", "4.4.4", "4.5.1", "4.5.2")
        ]
    }
    hardened = """
apiVersion: v1
kind: Pod
metadata: {name: ok, namespace: ns}
spec:
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: app
      image: x
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: ns}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
"""
    assessment = run(write, tmp_path, [hardened], config)
    assert assessment.level_met(1) and not assessment.level_met(2)


def test_unread_evidence_turns_only_the_requirements_that_read_it_to_review(
    write, tmp_path
) -> None:
    from c4guard.checks.registry import not_applicable
    from c4guard.model import EvidenceGap

    def reads_policies(inv) -> Iterator:
        inv.kind("NetworkPolicy")
        yield not_applicable("4.3.1", "no namespace runs workloads")

    checks = [
        REGISTRY["K8S-PRIVILEGED"],
        Check("TEST-NETPOL", "4.3.1", Severity.HIGH, "t", "r", "kubernetes", (), reads_policies),
    ]
    write("pods.yaml", PLAIN)
    inputs = read_inputs([str(tmp_path / "pods.yaml")])
    inputs.summary.gaps.append(EvidenceGap("k8s", "NetworkPolicy", "not allowed to list it"))
    assessment = assess(inputs, Config(), ScanRequest([str(tmp_path)]), checks=checks)
    network = result(assessment, "4.3.1")
    assert network.status.value == "review" and "not allowed to list it" in network.reason
    assert result(assessment, "4.1.1").status.value == "pass"
    inputs.summary.gaps[:] = [EvidenceGap("k8s", "Pod", "not allowed to list pods")]
    assessment = assess(inputs, Config(), ScanRequest([str(tmp_path)]), checks=checks)
    isolation = result(assessment, "4.1.1")
    assert isolation.status.value == "review" and "pods" in isolation.reason
    assert result(assessment, "4.3.1").status.value == "not_applicable"


def test_fingerprints_do_not_depend_on_how_the_root_is_spelled(monkeypatch) -> None:
    from tests.conftest import REPO, scan_paths

    def prints(target: str) -> set[str]:
        return {f.fingerprint for f in scan_paths([target]).findings()}

    monkeypatch.chdir(REPO / "examples")
    relative = prints("insecure-platform")
    absolute = prints(str(REPO / "examples" / "insecure-platform"))
    monkeypatch.chdir(REPO / "examples" / "insecure-platform")
    assert relative == absolute == prints(".")


def test_a_shared_derived_view_credits_its_reads_to_every_check_using_it(write, tmp_path) -> None:
    """A view built once (network model, Terraform index) must make every check that uses
    it depend on what it read, not only the first one."""
    from c4guard.checks.registry import not_applicable
    from c4guard.model import EvidenceGap

    def policies(inv) -> list:
        return inv.kind("NetworkPolicy")

    def using_view(requirement: str):
        def run_check(inv) -> Iterator:
            inv.derived(policies)
            yield not_applicable(requirement, "no policy needed")

        return run_check

    checks = [
        Check(f"TEST-VIEW-{r}", r, Severity.HIGH, "t", "r", "kubernetes", (), using_view(r))
        for r in ("4.3.1", "4.3.3")
    ]
    write("pods.yaml", PLAIN)
    inputs = read_inputs([str(tmp_path / "pods.yaml")])
    inputs.summary.gaps.append(EvidenceGap("k8s", "NetworkPolicy", "not allowed to list it"))
    assessment = assess(inputs, Config(), ScanRequest([str(tmp_path)]), checks=checks)
    assert result(assessment, "4.3.1").status.value == "review"
    assert result(assessment, "4.3.3").status.value == "review"
