"""C4.1 isolation checks: the marked findings of the fixtures, asserted by id, result and
line (markers in tests/checks/fixtures/isolation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from c4guard.checks import checks_for
from c4guard.model import Assessment
from tests.conftest import findings_of, scan_paths
from tests.expectations import expectations, unmet

FIXTURES = Path(__file__).parents[1] / "fixtures" / "isolation"
ISOLATION_CHECKS = sorted(
    c.id for req in ("4.1.1", "4.1.2", "4.1.3") for c in checks_for(req) if c.domain == "kubernetes"
)


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return scan_paths([str(FIXTURES)])


def test_every_marked_finding_is_reported_at_its_line(assessment: Assessment) -> None:
    missing = unmet(expectations(FIXTURES), findings_of(assessment))
    assert not missing, "\n".join(missing)


def test_hardened_fixture_has_no_isolation_failure(assessment: Assessment) -> None:
    failing = [
        f
        for f in findings_of(assessment)
        if f.check_id in ISOLATION_CHECKS
        and f.location.path.endswith("pass-deployment.yaml")
        and f.result.value == "fail"
    ]
    assert failing == []


def test_container_setting_overrides_pod_setting(assessment: Assessment) -> None:
    overrides = [f for f in findings_of(assessment) if f.resource.name == "overrides"]
    by_check = {f.check_id: f for f in overrides if f.subject.startswith("container")}
    assert by_check["K8S-RUN-AS-NON-ROOT"].result.value == "pass"
    assert by_check["K8S-SECCOMP"].result.value == "pass"
    assert "Localhost" in by_check["K8S-SECCOMP"].message


def test_pod_setting_applies_when_container_is_silent(write, scan) -> None:
    write(
        "pod.yaml",
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: ns}
        spec:
          securityContext:
            runAsUser: 0
          containers:
            - name: app
              image: x
              securityContext: {allowPrivilegeEscalation: false}
    """,
    )
    [finding] = findings_of(scan(), "K8S-RUN-AS-NON-ROOT")
    assert finding.result.value == "fail"
    assert finding.location.line == 6
    assert finding.setting == "spec.securityContext.runAsUser"
