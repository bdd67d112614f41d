"""Regression fixtures for the classes of false verdicts of issue 15; each failed before its
fix. Test names carry the class number."""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from c4guard.cli import main
from c4guard.engine import Assessment
from c4guard.inventory import Inventory
from c4guard.secrets.files import scan_bytes
from c4guard.secrets.placeholders import is_placeholder
from c4guard.secrets.scanner import scan_text
from c4guard.sources.kinds import read_structured
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


# --- checks below 0.90 precision: data-only images, known non-root bases, placeholder
# namespaces, identifier-only Secrets, KServe presets


def test_precision_a_data_only_scratch_image_runs_nothing(write: Write, scan: Scan) -> None:
    write(
        "bundle/Dockerfile",
        """
        FROM scratch
        LABEL operators.operatorframework.io.bundle.manifests.v1=manifests/
        COPY bundle/manifests /manifests/
        """,
    )
    write("app/Dockerfile", "FROM python:3.12-slim\nCOPY app.py /app.py\nCMD python /app.py\n")
    assert results(scan(), "DOCKER-USER") == ["fail"]


def test_precision_jupyter_docker_stacks_bases_run_as_jovyan(write: Write, scan: Scan) -> None:
    write(
        "Dockerfile",
        "FROM jupyter/tensorflow-notebook:python-3.10\nRUN pip install --no-cache-dir torch\n",
    )
    assert results(scan(), "DOCKER-USER") == ["pass"]


def test_precision_a_namespace_kubernetes_would_reject_is_a_placeholder(
    write: Write, scan: Scan
) -> None:
    write(
        "pods.yaml",
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: validator, namespace: FILLED_BY_VALIDATOR}
        spec:
          containers: [{name: a, image: busybox}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: app, namespace: apps}
        spec:
          containers: [{name: a, image: busybox}]
        """,
    )
    assert results(scan(), "K8S-NETPOL-DEFAULT-DENY") == ["fail"]


def test_precision_a_secret_of_identifiers_and_empty_values_holds_no_secret(
    write: Write, scan: Scan
) -> None:
    write(
        "secrets.yaml",
        """
        apiVersion: v1
        kind: Secret
        metadata: {name: mysql-secret}
        stringData: {username: root, password: ""}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: s3}
        stringData: {username: admin, password: "vK9mP2nL5qR8x"}
        """,
    )
    assert sorted(results(scan(), "K8S-SECRET-LITERAL")) == ["fail", "pass"]


DIGEST = "sha256:" + "0" * 64
LLM_PRESET = f"""
apiVersion: serving.kserve.io/v1alpha2
kind: LLMInferenceServiceConfig
metadata: {{name: kserve-config-llm-template, namespace: kserve}}
spec:
  template:
    containers:
      - name: main
        image: ghcr.io/llm-d/llm-d-cuda@{DIGEST}
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {{drop: [ALL]}}
"""


def test_precision_kserve_lays_its_well_known_preset_under_every_llm_service(
    write: Write, scan: Scan
) -> None:
    write("preset.yaml", LLM_PRESET)
    write(
        "svc.yaml",
        """
        apiVersion: serving.kserve.io/v1alpha2
        kind: LLMInferenceService
        metadata: {name: lora, namespace: test}
        spec:
          model: {uri: "hf://facebook/opt-125m"}
          template:
            containers:
              - name: main
                image: vllm/vllm-openai-cpu:v0.19.0
        """,
    )
    found = findings_of(scan(), "K8S-CAPS-DROP-ALL")
    assert {(f.resource.kind, f.result.value) for f in found} == {
        ("LLMInferenceService", "pass"),
        ("LLMInferenceServiceConfig", "pass"),
    }


# --- class 6: one environment variable does not make a client a model server


def test_class06_a_client_that_names_a_model_does_not_load_it() -> None:
    def untrusted(image: str) -> bool:
        manifest = f"""
        apiVersion: batch/v1
        kind: Job
        metadata: {{name: j}}
        spec:
          template:
            spec:
              containers:
                - name: c
                  image: {image}
                  env: [{{name: MODEL_ID, value: meta-llama/Llama-3.1-8B-Instruct}}]
        """
        inv = Inventory(read_structured(textwrap.dedent(manifest), "w.yaml").resources)
        return "untrusted-model" in inv.workloads[0].classes

    assert not untrusted("curlimages/curl:8.8.0")
    assert untrusted("vllm/vllm-openai:v0.6.0")


# --- class 14: Ray Serve LLM applications load hub models


def test_class14_ray_serve_llm_model_source_is_an_untrusted_model() -> None:
    manifest = """
    apiVersion: ray.io/v1
    kind: RayService
    metadata: {name: llm}
    spec:
      serveConfigV2: |
        applications:
          - name: llm
            import_path: ray.serve.llm:build_openai_app
            args:
              llm_configs:
                - model_loading_config:
                    model_id: qwen-0.5b
                    model_source: Qwen/Qwen2.5-0.5B-Instruct
      rayClusterConfig:
        headGroupSpec:
          template:
            spec:
              containers: [{name: head, image: rayproject/ray-llm:2.44.0}]
    """
    inv = Inventory(read_structured(textwrap.dedent(manifest), "w.yaml").resources)
    reason = inv.workloads[0].classes.get("untrusted-model", "")
    assert "Qwen/Qwen2.5-0.5B-Instruct" in reason
    assert "w.yaml:14" in reason


# --- class 7: a throwaway test cluster is not a production deployment


def test_class07_deploying_to_a_kind_cluster_is_a_test(write: Write, scan: Scan) -> None:
    write(
        ".github/workflows/e2e.yaml",
        """
        on: {push: {branches: [main]}}
        jobs:
          e2e:
            runs-on: ubuntu-latest
            steps:
              - run: kind create cluster --name e2e
              - run: kubectl apply -f deploy/
          release:
            runs-on: ubuntu-latest
            steps:
              - run: kubectl apply -f deploy/
        """,
    )
    assert results(scan(), "WF-VERIFY-BEFORE-DEPLOY") == ["fail"]


# --- class 15: Ray's own TLS is mutual TLS for Ray's traffic


def test_class15_ray_tls_with_ca_cert_and_key_is_mutual_tls(write: Write, scan: Scan) -> None:
    write(
        "ray.yaml",
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: ray-head, namespace: ray}
        spec:
          template:
            spec:
              containers:
                - name: ray-head
                  image: rayproject/ray:2.9.0
                  env:
                    - {name: RAY_USE_TLS, value: "1"}
                    - {name: RAY_TLS_SERVER_CERT, value: /etc/ray/tls/tls.crt}
                    - {name: RAY_TLS_SERVER_KEY, value: /etc/ray/tls/tls.key}
                    - {name: RAY_TLS_CA_CERT, value: /etc/ray/tls/ca.crt}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: ray-plain, namespace: ray}
        spec:
          template:
            spec:
              containers:
                - {name: ray-head, image: rayproject/ray:2.9.0}
        """,
    )
    found = {f.resource.name: f.result.value for f in findings_of(scan(), "K8S-MTLS")}
    assert found == {"ray-head": "pass", "ray-plain": "fail"}


# --- class 4: a secret-store entry that visibly holds a parameter has nothing to rotate


def test_class04_secret_manager_entries_holding_parameters_need_no_rotation(
    write: Write, scan: Scan
) -> None:
    write(
        "secrets.tf",
        """
        resource "google_pubsub_topic" "t" { name = "events" }
        resource "google_secret_manager_secret" "port" {
          secret_id = "port"
          replication { auto {} }
        }
        resource "google_secret_manager_secret_version" "port" {
          secret      = google_secret_manager_secret.port.id
          secret_data = "8080"
        }
        resource "google_secret_manager_secret" "topic" {
          secret_id = "topic"
          replication { auto {} }
        }
        resource "google_secret_manager_secret_version" "topic" {
          secret      = google_secret_manager_secret.topic.id
          secret_data = google_pubsub_topic.t.name
        }
        resource "google_secret_manager_secret" "password" {
          secret_id = "password"
          replication { auto {} }
        }
        resource "google_secret_manager_secret_version" "password" {
          secret      = google_secret_manager_secret.password.id
          secret_data = random_password.db.result
        }
        resource "random_password" "db" { length = 24 }
        """,
    )
    found = {f.resource.name: f.result.value for f in findings_of(scan(), "TF-SECRET-ROTATION")}
    assert found == {"google_secret_manager_secret.password": "fail"}


# --- Checkov agreement: where c4guard was wrong


def test_agreement_empty_eks_public_access_cidrs_mean_the_default(write: Write, scan: Scan) -> None:
    write(
        "eks.tf",
        """
        resource "aws_eks_cluster" "c" {
          name = "c"
          vpc_config {
            endpoint_public_access = true
            public_access_cidrs    = []
          }
        }
        """,
    )
    assert results(scan(), "TF-K8S-API-PUBLIC") == ["fail"]


def test_agreement_security_group_ports_from_an_unset_variable_are_unknown(
    write: Write, scan: Scan
) -> None:
    write(
        "sg.tf",
        """
        variable "ports" {}
        resource "aws_security_group" "dyn" {
          ingress {
            from_port   = var.ports
            to_port     = var.ports
            protocol    = "tcp"
            cidr_blocks = ["0.0.0.0/0"]
          }
        }
        resource "aws_security_group" "empty_protocol" {
          ingress {
            from_port   = 22
            to_port     = 22
            protocol    = ""
            cidr_blocks = ["0.0.0.0/0"]
          }
        }
        """,
    )
    assert results(scan(), "TF-ADMIN-PORTS-OPEN") == ["unknown", "unknown"]


# --- manifests in a chart directory outside templates/ are plain manifests


def test_manifests_beside_a_chart_outside_templates_are_judged_as_written(
    write: Write, scan: Scan
) -> None:
    write("chart/Chart.yaml", "apiVersion: v2\nname: chart\nversion: 0.1.0\n")
    write("chart/values.yaml", "image: nginx:1.27\n")
    write(
        "chart/templates/pod.yaml",
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: "{{ .Release.Name }}-app"}
        spec:
          containers: [{name: a, image: "{{ .Values.image }}"}]
        """,
    )
    write(
        "chart/examples/pod.yaml",
        """
        apiVersion: v1
        kind: Pod
        metadata: {name: example, namespace: demo}
        spec:
          containers: [{name: a, image: busybox, securityContext: {privileged: true}}]
        """,
    )
    found = {
        (f.location.path.split("chart/", 1)[-1], f.result.value)
        for f in findings_of(scan(), "K8S-PRIVILEGED")
    }
    assert found == {("templates/pod.yaml", "pass"), ("examples/pod.yaml", "fail")}


# --- class 19: workload kinds AI platforms use, and any kind that embeds a pod template


def test_class19_volcano_rollouts_scaledjobs_and_unknown_kinds_are_workloads(
    write: Write, scan: Scan
) -> None:
    pod = "spec: {containers: [{name: c, image: busybox, securityContext: {privileged: true}}]}"
    write(
        "kinds.yaml",
        f"""
        apiVersion: batch.volcano.sh/v1alpha1
        kind: Job
        metadata: {{name: vc, namespace: ml}}
        spec:
          tasks:
            - name: worker
              template: {{{pod}}}
        ---
        apiVersion: argoproj.io/v1alpha1
        kind: Rollout
        metadata: {{name: ro, namespace: ml}}
        spec:
          template: {{{pod}}}
        ---
        apiVersion: keda.sh/v1alpha1
        kind: ScaledJob
        metadata: {{name: sj, namespace: ml}}
        spec:
          jobTargetRef:
            template: {{{pod}}}
        ---
        apiVersion: example.com/v1
        kind: TrainingThing
        metadata: {{name: tt, namespace: ml}}
        spec:
          launcher:
            template: {{{pod}}}
        """,
    )
    found = {f.resource.kind: f for f in findings_of(scan(), "K8S-PRIVILEGED")}
    assert {kind: f.result.value for kind, f in found.items()} == {
        "Job": "fail",
        "Rollout": "fail",
        "ScaledJob": "fail",
        "TrainingThing": "fail",
    }
    assert "embeds a pod template at spec.launcher.template" in found["TrainingThing"].message


# --- class 9: a remediation must not break the workload


def test_class09_device_plugins_are_not_told_to_mount_their_socket_dir_read_only(
    write: Write, scan: Scan
) -> None:
    write(
        "plugin.yaml",
        """
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: nvidia-device-plugin, namespace: gpu}
        spec:
          template:
            spec:
              containers:
                - name: plugin
                  image: nvcr.io/nvidia/k8s-device-plugin:v0.15.0
                  volumeMounts:
                    - {name: dp, mountPath: /var/lib/kubelet/device-plugins}
                    - {name: logs, mountPath: /host/var/log}
              volumes:
                - {name: dp, hostPath: {path: /var/lib/kubelet/device-plugins}}
                - {name: logs, hostPath: {path: /var/log}}
        """,
    )
    fixes = {
        f.evidence["hostPath"]: f.remediation for f in findings_of(scan(), "K8S-HOSTPATH-WRITABLE")
    }
    assert "readOnly: true" not in fixes["/var/lib/kubelet/device-plugins"]
    assert "must stay writable" in fixes["/var/lib/kubelet/device-plugins"]
    assert "readOnly: true" in fixes["/var/log"]


# --- class 5: named build contexts are not images


def test_class05_named_build_contexts_are_not_unpinned_images(write: Write, scan: Scan) -> None:
    write(
        "Dockerfile",
        """
        FROM base_ctx
        COPY --from=my_context /src /src
        COPY --from=pinned /bin/tool /bin/tool
        COPY --from=busybox /bin/sh /bin/sh
        USER 1000
        """,
    )
    write(
        ".github/workflows/build.yaml",
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: >-
                  docker buildx build --build-context my_context=./src
                  --build-context pinned=docker-image://alpine@sha256:%s .
              - uses: docker/build-push-action@v6
                with:
                  build-contexts: |
                    base_ctx=docker-image://debian:12
        """
        % ("0" * 64),
    )
    found = {
        f.location.line: (f.result.value, f.message)
        for f in findings_of(scan(), "DOCKER-BASE-DIGEST")
    }
    assert found[1] == ("fail", "final stage uses debian:12 by tag, not by digest")
    assert found[2][0] == "pass" and "named build context my_context (./src" in found[2][1]
    assert found[3][0] == "pass" and "pins alpine by digest" in found[3][1]
    assert found[4][0] == "fail" and "busybox" in found[4][1]


# --- class 13: Services that model controllers generate count for exposure


def test_class13_ray_service_exposed_through_its_generated_services(
    write: Write, scan: Scan
) -> None:
    cluster = (
        "{headGroupSpec: {template: {spec: {containers: [{name: head, "
        "image: rayproject/ray-ml:2.9.0, resources: {limits: {nvidia.com/gpu: 1}}}]}}}}"
    )
    write(
        "ray.yaml",
        f"""
        apiVersion: ray.io/v1
        kind: RayService
        metadata: {{name: llm, namespace: ai}}
        spec:
          rayClusterConfig: {cluster}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {{name: llm, namespace: ai}}
        spec:
          rules:
            - http:
                paths:
                  - path: /
                    pathType: Prefix
                    backend: {{service: {{name: llm-serve-svc, port: {{number: 8000}}}}}}
        ---
        apiVersion: ray.io/v1
        kind: RayService
        metadata: {{name: lb, namespace: ai}}
        spec:
          serveService:
            spec: {{type: LoadBalancer}}
          rayClusterConfig: {cluster}
        """,
    )
    found = {f.resource.name: f.message for f in findings_of(scan(), "K8S-EXHAUSTION-PROTECTION")}
    assert "Ingress llm routes to KubeRay's Service llm-serve-svc" in found["llm"]
    assert "KubeRay's Service lb-serve-svc of type LoadBalancer" in found["lb"]
