"""Regression fixtures for the classes of false verdicts of issue 15; each failed before its
fix. Test names carry the class number."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from c4guard.cli import main
from c4guard.engine import Assessment
from c4guard.secrets.files import scan_bytes
from c4guard.secrets.placeholders import is_placeholder
from c4guard.secrets.scanner import scan_text
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


# --- class 2: bundled code, duplicates, public-by-design keys, test files

LONG_LINE = "var x=1;" * 160


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "dist/yarn-release.cjs",
            LONG_LINE + 'o={password:"r.pw),e?n:t",u="Server=h;Password=t),e?r;"};\n',
        ),
        ("swagger-ui-bundle.min.js", 'a.password="Qz7,e?t:n)Kp";\n'),
        ("db_test.go", 'func TestDB(t *testing.T) { password := "Sup3rS3cretPw!x" }\n'),
        (
            "tests/test_client.py",
            'def test_login():\n    client.login(password="Sup3rS3cretPw!x")\n',
        ),
        (
            "docusaurus.config.js",
            "algolia: {\n  appId: 'BH4D9OD16A',\n"
            "  apiKey: '25626fae796133dc1e734c6bcaaeac3c',\n}\n",
        ),
        (
            "index.html",
            "<script defer src='https://static.cloudflareinsights.com/beacon.min.js' "
            'data-cf-beacon=\'{"token": "4b8c2d1e9f0a4b3c8d7e6f5a4b3c2d1e"}\'></script>\n',
        ),
    ],
)
def test_class02_code_fragments_public_keys_and_test_literals_are_not_secrets(
    name: str, text: str
) -> None:
    assert scan_text(text, name) == []


def test_class02_a_real_literal_in_production_code_is_still_found() -> None:
    assert scan_text('password = "Sup3rS3cretPw!x"\n', "app/settings.py")


def test_class02_one_secret_found_twice_in_a_file_is_one_finding() -> None:
    text = "password: Sup3rS3cretPw9x\nother:\n  password: Sup3rS3cretPw9x\n"
    matches = scan_bytes(text.encode(), "values.yaml").matches
    assert [m.line for m in matches] == [1]


# --- class 16: private keys wrapped over lines, and Secret data decoded before scanning


def _private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def test_class16_base64_key_wrapped_in_a_block_scalar_is_found() -> None:
    encoded = base64.b64encode(_private_key_pem().encode()).decode()
    wrapped = "\n".join("    " + encoded[i : i + 76] for i in range(0, len(encoded), 76))
    text = f"kind: ConfigMap\ndata:\n  tls.key: |\n{wrapped}\n  other: x\n"
    assert [m.rule_id for m in scan_text(text, "cm.yaml")] == ["encoded-private-key"]


def test_class16_secret_data_is_decoded_before_it_is_scanned() -> None:
    encoded = base64.b64encode(("\n" + _private_key_pem()).encode()).decode()
    text = f"apiVersion: v1\nkind: Secret\nmetadata: {{name: k}}\ndata:\n  ssh: {encoded}\n"
    matches = scan_bytes(text.encode(), "secret.yaml").matches
    assert [(m.line, m.also_key_material) for m in matches] == [(5, True)]


# --- class 10: requirement status with suppressions


def test_class10_only_suppressed_failures_pass_with_exceptions(write: Write, scan: Scan) -> None:
    write(
        "app.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: shop}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers: [{name: web, image: nginx:1.27}]
        """,
    )
    write(
        "waf.tf",
        """
        # c4guard:ignore TF-RATE-LIMITS reason="rate limits live in the CDN" expires=2099-01-01
        resource "aws_wafv2_web_acl" "edge" {
          name  = "edge"
          scope = "REGIONAL"
        }
        """,
    )
    result = next(r for r in scan().requirements if r.requirement.id == "4.6.2")
    assert result.status.value == "pass"
    assert "exception" in result.reason


# --- class 11: Terraform templates are listed like Helm templates


def test_class11_terraform_templates_are_not_judged_nor_input_errors(
    write: Write, scan: Scan
) -> None:
    write(
        "main.tf",
        """
        resource "kubernetes_manifest" "m" {
          manifest = yamldecode(templatefile("${path.module}/manifests/pod.yaml", {ns = "a"}))
        }
        """,
    )
    write(
        "manifests/pod.yaml",
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: "${ns}"}
        spec:
          containers: [{name: c, image: busybox, securityContext: {privileged: true}}]
        """,
    )
    write(
        "templates/job.tftpl.yaml",
        """
        apiVersion: batch/v1
        kind: Job
        metadata: {name: j}
        spec:
          template:
            spec:
        %{ if gpu }
              nodeSelector: {gpu: "true"}
        %{ endif }
              containers: [{name: c, image: busybox}]
        """,
    )
    assessment = scan()
    assert not assessment.inputs.input_errors
    assert not [f for f in assessment.findings() if f.location.path.endswith(".yaml")]
    assert [n.tool for n in assessment.inputs.render_notices].count("terraform") == 2


# --- class 12: content only the secret scanner understood is read and reported


def test_class12_a_folder_of_values_files_is_reported_not_nothing_to_assess(
    write: Write, tmp_path: Path
) -> None:
    write("values.yaml", "replicas: 2\nimage: {repository: app, tag: '1.0'}\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["summary"]["files_read"] == 1


def test_class12_secret_findings_count_their_files_as_read(write: Write, tmp_path: Path) -> None:
    write("values.yaml", "database:\n  password: Sup3rS3cretPw9x\n")
    result = CliRunner().invoke(main, ["scan", str(tmp_path), "--fail-on", "none"])
    assert "Read 1 files" in result.output, result.output


# --- class 1: what cannot be seen from the inputs is unknown, not fail


def test_class01_node_pool_of_a_cluster_defined_elsewhere_is_unknown(
    write: Write, scan: Scan
) -> None:
    write(
        "pools.tf",
        """
        data "google_container_cluster" "shared" {
          name     = var.cluster_name
          location = var.region
        }
        resource "google_container_node_pool" "gpu" {
          cluster = data.google_container_cluster.shared.name
          node_config { machine_type = "a2-highgpu-1g" }
        }
        resource "google_container_node_pool" "cpu" {
          cluster = var.cluster_name
          node_config { machine_type = "e2-standard-4" }
        }
        """,
    )
    assert results(scan(), "TF-GKE-METADATA") == ["unknown", "unknown"]


def test_class01_legacy_gke_metadata_server_spelling_passes(write: Write, scan: Scan) -> None:
    write(
        "gke.tf",
        """
        resource "google_container_cluster" "c" {
          name = "c"
          node_config {
            workload_metadata_config { node_metadata = "GKE_METADATA_SERVER" }
          }
        }
        """,
    )
    assert results(scan(), "TF-GKE-METADATA") == ["pass"]


def test_class01_aks_private_cluster_from_a_variable_is_unknown(write: Write, scan: Scan) -> None:
    write(
        "aks.tf",
        """
        variable "private_cluster" {}
        resource "azurerm_kubernetes_cluster" "k" {
          name                    = "k"
          private_cluster_enabled = var.private_cluster
        }
        """,
    )
    assert results(scan(), "TF-K8S-API-PUBLIC") == ["unknown"]


def test_agreement_terraform_string_booleans_and_a_disabled_metadata_endpoint(
    write: Write, scan: Scan
) -> None:
    write(
        "main.tf",
        """
        resource "google_compute_instance" "vm" {
          name = "vm"
          shielded_instance_config { enable_secure_boot = "true" }
        }
        resource "aws_instance" "no_imds" {
          metadata_options { http_endpoint = "disabled" }
        }
        """,
    )
    assessment = scan()
    assert results(assessment, "TF-SECURE-BOOT") == ["pass"]
    assert results(assessment, "TF-IMDSV2") == ["pass"]


def test_class03_placeholder_and_ko_images_are_not_tags(write: Write, scan: Scan) -> None:
    write(
        "ds.yaml",
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
            - {name: a, image: "FILLED BY THE OPERATOR"}
            - {name: b, image: "ko://github.com/sigstore/cosign/v3/test/cmd/getoidctoken"}
            - {name: c, image: "nginx:1.27"}
        """,
    )
    assert results(scan(), "K8S-IMAGE-DIGEST") == ["unknown", "pass", "fail"]
