"""C4.3 network checks: NetworkPolicy/Cilium/Calico semantics, mesh mTLS precedence, TLS
verification, environments (scenarios in tests/checks/fixtures/network)."""

from __future__ import annotations

from tests.checks.kube_fixtures import FIXTURES, scan_scenario
from tests.conftest import findings_of
from tests.expectations import scenario_failures

AREA = FIXTURES / "network"


def test_every_marked_finding_is_reported_at_its_line() -> None:
    missing = scenario_failures(AREA, scan_scenario)
    assert not missing, "\n".join(missing)


def test_default_deny_in_another_namespace_does_not_count() -> None:
    assessment = scan_scenario(AREA / "policies")
    [victim] = [
        f for f in findings_of(assessment, "K8S-NETPOL-DEFAULT-DENY") if f.resource.name == "victim"
    ]
    assert victim.result.value == "fail"
    assert "ingress and egress" in victim.message


def test_ingress_only_policy_does_not_satisfy_default_deny() -> None:
    assessment = scan_scenario(AREA / "policies")
    [finding] = [
        f
        for f in findings_of(assessment, "K8S-NETPOL-DEFAULT-DENY")
        if f.resource.name == "ingress-only"
    ]
    assert finding.result.value == "fail"
    assert "denies egress by default" in finding.message
    assert "ingress is denied by deny-ingress" in finding.message


def test_mesh_wide_strict_is_overridden_by_namespace_permissive() -> None:
    assessment = scan_scenario(AREA / "mesh")
    by_namespace = {
        f.resource.namespace: f
        for f in findings_of(assessment, "K8S-MTLS")
        if f.resource.name == "model"
    }
    assert by_namespace["secure"].result.value == "pass"
    legacy = by_namespace["legacy"]
    assert legacy.result.value == "fail"
    assert "PERMISSIVE" in legacy.message and "namespace PeerAuthentication" in legacy.message


def test_cilium_mutual_authentication_counts_for_mtls() -> None:
    findings = {f.resource.name: f for f in findings_of(scan_scenario(AREA / "cilium"), "K8S-MTLS")}
    assert findings["loader"].result.value == "pass"
    assert "Cilium mutual authentication" in findings["loader"].message
    assert findings["scraper"].result.value == "fail"
