"""C4.6 resource, C4.7 hardware and C4.8 edge checks (scenarios in fixtures/resources,
fixtures/hardware and fixtures/edge)."""

from __future__ import annotations

from tests.checks.kube_fixtures import (
    FIXTURES,
    PLAIN_POD,
    scan_scenario,
)
from tests.conftest import findings_of, status_of

AREAS = ("resources", "hardware", "edge")


def test_time_slicing_shared_across_two_namespaces_fails_4_7_2() -> None:
    assessment = scan_scenario(FIXTURES / "hardware" / "timeslicing")
    findings = findings_of(assessment, "K8S-GPU-ISOLATION")
    assert {f.resource.namespace for f in findings} == {"team-a", "team-b"}
    assert all("team-a, team-b" in f.message and "time-slicing" in f.message for f in findings)
    assert status_of(assessment, "4.7.2") == "fail"


def test_time_slicing_within_one_namespace_passes(write, scan) -> None:
    write(
        "one-tenant.yaml",
        (FIXTURES / "hardware" / "timeslicing" / "timeslicing.yaml")
        .read_text()
        .replace("namespace: team-b", "namespace: team-a"),
    )
    findings = findings_of(scan(), "K8S-GPU-ISOLATION")
    assert findings and all(f.result.value == "pass" for f in findings)
    assert all("only within namespace team-a" in f.message for f in findings)


def test_kueue_cluster_queue_quota_covers_gpus() -> None:
    findings = findings_of(scan_scenario(FIXTURES / "resources" / "quotas"), "K8S-RESOURCE-QUOTA")
    queued = next(f for f in findings if f.subject == "namespace queued")
    assert queued.result.value == "pass" and "Kueue" in queued.message
    research = next(f for f in findings if f.subject == "namespace research")
    assert "amd.com/gpu" in research.message


def test_no_edge_components_is_not_applicable(write, scan) -> None:
    write("pod.yaml", PLAIN_POD)
    assert status_of(scan(), "4.8.1") == "not_applicable"
