"""Regression fixtures for the classes of false verdicts of issue 15; each failed before its
fix. Test names carry the class number."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from c4guard.engine import Assessment
from c4guard.secrets.placeholders import is_placeholder
from tests.conftest import findings_of

Write = Callable[[str, str], Path]
Scan = Callable[..., Assessment]


def results(assessment: Assessment, check_id: str) -> list[str]:
    return [f.result.value for f in findings_of(assessment, check_id)]


# --- class 3: one placeholder rule for every check


@pytest.mark.parametrize(
    "value",
    ["dummy", "changeme", "<your-token>", "${API_TOKEN}", "{{ .Values.token }}", "xxxxxxxxxxxx"],
)
def test_class03_placeholders_are_one_rule(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["vK#9mP$2nL@5qR8x", "minio123", "s3admin123"])
def test_class03_real_values_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value)


def test_class03_kubernetes_env_placeholders_are_not_literal_secrets(
    write: Write, scan: Scan
) -> None:
    write(
        "pod.yaml",
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: app}
        spec:
          containers:
            - name: app
              image: app@sha256:0000000000000000000000000000000000000000000000000000000000000000
              env:
                - {name: API_TOKEN, value: "${API_TOKEN}"}
                - {name: DB_PASSWORD, value: "changeme"}
                - {name: https_proxy, value: "https://user:pass@example:8085"}
        """,
    )
    assert results(scan(), "K8S-ENV-LITERAL-SECRET") == ["pass"]


def test_class03_terraform_placeholder_password_is_not_a_literal(write: Write, scan: Scan) -> None:
    write(
        "main.tf",
        """
        resource "aws_db_instance" "db" {
          engine   = "postgres"
          password = "changeme"
        }
        resource "aws_rds_cluster" "real" {
          master_password = "vK#9mP2nL@5qR8x"
        }
        """,
    )
    assert sorted(results(scan(), "TF-SECRET-LITERAL")) == ["fail", "pass"]
