"""C4.1 additions: RBAC of workload service accounts, Localhost seccomp profiles, volume
mount options, runtime response (Tetragon, KubeArmor, Falco), hardware isolation of
high-risk workloads (scenarios in fixtures/isolation-scenarios)."""

from __future__ import annotations

from tests.checks.kube_fixtures import FIXTURES, PLAIN_POD, scan_scenario
from tests.conftest import findings_of, status_of
from tests.expectations import scenario_failures

AREA = FIXTURES / "isolation-scenarios"


def test_every_marked_finding_is_reported_at_its_line() -> None:
    missing = scenario_failures(AREA, scan_scenario)
    assert not missing, "\n".join(missing)


def test_tetragon_kill_policy_in_monitor_mode_does_not_satisfy_4_1_4() -> None:
    assessment = scan_scenario(AREA / "tetragon")
    by_namespace = {f.subject: f for f in findings_of(assessment, "K8S-RUNTIME-RESPONSE")}
    monitored = by_namespace["namespace monitored"]
    assert monitored.result.value == "unknown"
    assert "policy-mode monitor" in monitored.message
    assert by_namespace["namespace enforced"].result.value == "pass"
    assert status_of(assessment, "4.1.4") == "review"


def test_kubearmor_allow_lists_block_only_under_a_block_posture() -> None:
    findings = {
        f.subject: f for f in findings_of(scan_scenario(AREA / "kubearmor"), "K8S-RUNTIME-RESPONSE")
    }
    assert "default posture is audit" in findings["namespace audited"].message
    assert "block default posture" in findings["namespace blocked"].message


def test_falcosidekick_alone_does_not_terminate() -> None:
    [finding] = [
        f
        for f in findings_of(scan_scenario(AREA / "falco"), "K8S-RUNTIME-RESPONSE")
        if f.subject == "namespace serving"
    ]
    assert finding.result.value == "unknown"
    assert "falcosidekick only forwards" in finding.message
    [talon] = [
        f
        for f in findings_of(scan_scenario(AREA / "falco-talon"), "K8S-RUNTIME-RESPONSE")
        if f.subject == "namespace serving"
    ]
    assert talon.result.value == "pass" and "kubernetes:terminate" in talon.message


def test_seccomp_profile_files_are_judged_on_their_own() -> None:
    findings = {
        f.resource.name: f
        for f in findings_of(scan_scenario(AREA / "seccomp"), "CFG-SECCOMP-PROFILE")
    }
    assert findings["strict.json"].result.value == "pass"
    assert findings["audit.json"].result.value == "fail"
    debug = findings["debug.json"]
    assert debug.result.value == "fail" and "ptrace, unshare" in debug.message
    assert debug.location.line == 5


def test_high_risk_declared_nowhere_is_not_applicable(write, scan) -> None:
    write("pod.yaml", PLAIN_POD)
    assessment = scan()
    assert status_of(assessment, "4.1.5") == "not_applicable"
    reason = next(r.reason for r in assessment.requirements if r.requirement.id == "4.1.5")
    assert "none is declared high-risk" in reason
