"""C4.4 secret checks on Kubernetes objects (scenarios in fixtures/secrets)."""

from __future__ import annotations

import pytest

from c4guard.checks.kubernetes.secrets import literal_secret
from tests.checks.kube_fixtures import FIXTURES, scan_scenario
from tests.conftest import findings_of
from tests.expectations import scenario_failures

AREA = FIXTURES / "secrets"


def test_every_marked_finding_is_reported_at_its_line() -> None:
    missing = scenario_failures(AREA, scan_scenario)
    assert not missing, "\n".join(missing)


def test_secret_values_never_appear_in_findings() -> None:
    assessment = scan_scenario(AREA / "env")
    text = " ".join(f.message + str(f.evidence) for f in assessment.findings())
    assert "hunter22" not in text and "Qm7TzR2wLp9KxV4n" not in text


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("HF_TOKEN", "hf_Qm7TzR2wLp9KxV4nB8sJdF3gH6cYeA1u", True),
        ("WEIRD", "postgres://app:s3cret@db:5432/app", True),
        ("API_KEY", "$(API_KEY_FROM_FILE)", False),
        ("TOKENIZERS_PARALLELISM", "false", False),
        ("SECRET_PATH", "/var/run/secrets/token", False),
        ("GITHUB_TOKEN", "{{ .Values.token }}", False),
        ("LOG_LEVEL", "debug", False),
    ],
)
def test_literal_secret_heuristic(name: str, value: str, secret: bool) -> None:
    assert (literal_secret(name, value) is not None) is secret


def test_built_in_edit_role_reads_secrets() -> None:
    findings = findings_of(scan_scenario(AREA / "rbac"), "K8S-RBAC-SECRETS-BROAD")
    assert any(
        "default service account" in f.message and "ClusterRole edit" in f.message for f in findings
    )
