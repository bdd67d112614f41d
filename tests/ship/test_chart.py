"""The Helm chart `deploy/helm/c4guard`: renders for every documented values variant, has
the gate's safety properties, and meets level 2 of c4guard's own scan."""

from __future__ import annotations

import json
from pathlib import Path

import helm_python
import pytest
import yaml
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.gate.webhook_config import gated_rules

from .helm import CHART, ROOT, VARIANTS, find, objects, render


def test_documented_variants_exist() -> None:
    names = {p.name for p in VARIANTS}
    assert {"default-values.yaml", "sqlite-values.yaml", "cert-manager-values.yaml"} <= names
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    for variant in VARIANTS:
        assert f"ci/{variant.name}" in readme, f"{variant.name} is not documented"


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda p: p.stem)
def test_variant_meets_level_2_of_its_own_scan(variant: Path) -> None:
    """The rendered chart with the release workflow that builds what it runs (provenance,
    SBOM), judged with the chart's c4guard.yaml (its exceptions and attestations)."""
    config = str(CHART / "c4guard.yaml")
    workflows = str(ROOT / ".github" / "workflows")
    result = CliRunner().invoke(
        main,
        ["scan", "-", workflows, "--level", "2", "--config", config, "--format", "json"],
        input=render(variant),
    )
    assert result.exit_code == 0, result.output[-3000:]
    report = json.loads(result.stdout)
    levels = {entry["level"]: entry for entry in report["summary"]["levels"]}
    assert levels[2]["met"], levels[2]
    assert report["summary"]["input_errors"] == 0


def test_gate_is_highly_available_and_restricted() -> None:
    docs = objects(render(CHART / "ci" / "default-values.yaml"))
    deployment = find(docs, "Deployment", "-gate")
    spec = deployment["spec"]["template"]["spec"]
    assert deployment["spec"]["replicas"] >= 2
    assert spec["affinity"]["podAntiAffinity"]
    (container,) = spec["containers"]
    assert container["readinessProbe"]["httpGet"]["port"] == "probes"
    assert container["livenessProbe"]["httpGet"]["port"] == "probes"
    assert container["resources"]["limits"] and container["resources"]["requests"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] and not security["allowPrivilegeEscalation"]
    assert security["capabilities"]["drop"] == ["ALL"] and security["runAsNonRoot"]
    assert spec["automountServiceAccountToken"] is False
    assert "--audit-from=/etc/c4guard-audit/url" in container["args"]
    assert find(docs, "PodDisruptionBudget", "-gate")["spec"]["minAvailable"] == 1
    policy = find(docs, "NetworkPolicy", "-gate")["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert find(docs, "NetworkPolicy", "-default-deny")["spec"]["podSelector"] == {}
    find(docs, "Service", "-gate")


def test_webhook_fails_closed_and_spares_its_namespace() -> None:
    docs = objects(render(CHART / "ci" / "default-values.yaml"))
    (webhook,) = find(docs, "ValidatingWebhookConfiguration")["webhooks"]
    assert webhook["failurePolicy"] == "Fail"
    (expression,) = webhook["namespaceSelector"]["matchExpressions"]
    assert expression["operator"] == "NotIn" and "c4guard" in expression["values"]
    assert webhook["clientConfig"]["service"]["name"] == "c4guard-gate"
    # The chart judges the same kinds as `c4guard gate webhook-config`.
    assert webhook["rules"] == gated_rules()


def test_tls_from_the_certs_hook_or_cert_manager() -> None:
    docs = objects(render(CHART / "ci" / "default-values.yaml"))
    job = find(docs, "Job", "-certs")
    phases = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert {"pre-install", "pre-upgrade", "post-upgrade"} <= set(phases)
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[:2] == ["gate", "certs"] and "--in-cluster=c4guard-gate-tls" in args
    assert not [d for d in docs if d["kind"] == "Certificate"]
    managed = objects(render(CHART / "ci" / "cert-manager-values.yaml"))
    certificate = find(managed, "Certificate", "-gate")
    assert certificate["spec"]["secretName"] == "c4guard-gate-tls"
    assert "c4guard-gate.c4guard.svc" in certificate["spec"]["dnsNames"]
    webhook = find(managed, "ValidatingWebhookConfiguration")
    assert webhook["metadata"]["annotations"]["cert-manager.io/inject-ca-from"]
    assert not [d for d in managed if d["kind"] == "Job"]


def test_sqlite_trail_needs_one_replica() -> None:
    docs = objects(render(CHART / "ci" / "sqlite-values.yaml"))
    deployment = find(docs, "Deployment", "-gate")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"]["type"] == "Recreate"
    find(docs, "PersistentVolumeClaim", "-audit")
    values = yaml.safe_load((CHART / "ci" / "sqlite-values.yaml").read_text())
    values["gate"]["replicas"] = 2
    with pytest.raises(helm_python.HelmRenderError, match="one writer"):
        render(values)


def test_probes_read_only_and_no_secrets() -> None:
    docs = objects(render(CHART / "ci" / "probes-values.yaml"))
    daemonset = find(docs, "DaemonSet", "-host")["spec"]["template"]["spec"]
    assert not daemonset.get("hostPID") and not daemonset.get("hostNetwork")
    host_paths = {v["name"]: v["hostPath"]["path"] for v in daemonset["volumes"] if "hostPath" in v}
    assert sorted(host_paths.values()) == ["/dev", "/proc", "/sys"]
    (container,) = daemonset["containers"]
    mounts = [m for m in container["volumeMounts"] if m["name"] in host_paths]
    assert mounts and all(m.get("readOnly") for m in mounts)
    role = find(docs, "ClusterRole", "-cluster")
    for rule in role["rules"]:
        assert "secrets" not in rule["resources"] and "*" not in rule["resources"]
        assert set(rule["verbs"]) <= {"get", "list"}
    cronjob = find(docs, "CronJob", "-cluster")["spec"]["jobTemplate"]["spec"]["template"]
    args = cronjob["spec"]["containers"][0]["args"]
    assert "--output" in args and "/reports/cluster.json" in args
    find(docs, "PersistentVolumeClaim", "-reports")


def test_api_server_addresses_are_required() -> None:
    values = yaml.safe_load((CHART / "ci" / "default-values.yaml").read_text())
    values["apiServerCIDRs"] = []
    with pytest.raises(helm_python.HelmRenderError, match="apiServerCIDRs"):
        render(values)
