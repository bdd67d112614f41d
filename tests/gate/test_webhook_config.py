"""`c4guard gate webhook-config`: the ValidatingWebhookConfiguration the gate needs."""

from __future__ import annotations

import base64

import yaml
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.gate.webhook_config import plural


def generate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["gate", "webhook-config", *args])
    return result.exit_code, result.output


def test_fails_closed_and_leaves_out_its_own_namespace_and_kube_system(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(b"-----BEGIN CERTIFICATE-----\n")
    code, output = generate(
        "--namespace", "security", "--exclude-namespace", "gpu-operator", "--ca-bundle", str(ca)
    )

    assert code == 0
    document = yaml.safe_load(output)
    assert document["kind"] == "ValidatingWebhookConfiguration"
    [hook] = document["webhooks"]
    assert hook["failurePolicy"] == "Fail"
    assert hook["sideEffects"] == "NoneOnDryRun"
    assert hook["admissionReviewVersions"] == ["v1"]
    assert hook["namespaceSelector"]["matchExpressions"] == [
        {
            "key": "kubernetes.io/metadata.name",
            "operator": "NotIn",
            "values": ["gpu-operator", "kube-system", "security"],
        }
    ]
    assert hook["clientConfig"]["service"] == {
        "namespace": "security",
        "name": "c4guard-gate",
        "path": "/validate",
        "port": 443,
    }
    assert base64.b64decode(hook["clientConfig"]["caBundle"]) == ca.read_bytes()
    assert hook["timeoutSeconds"] == 6  # default time budget 5 s, plus 1


def test_rules_cover_pods_and_the_ai_workload_kinds():
    _, output = generate("--format", "json")
    rules = yaml.safe_load(output)["webhooks"][0]["rules"]
    resources = {(g, r) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]}

    assert {
        ("", "pods"),
        ("", "pods/ephemeralcontainers"),
        ("apps", "deployments"),
        ("batch", "cronjobs"),
        ("serving.kserve.io", "inferenceservices"),
        ("serving.kserve.io", "servingruntimes"),
        ("ray.io", "rayclusters"),
        ("kubeflow.org", "pytorchjobs"),
        ("trainer.kubeflow.org", "trainjobs"),
        ("jobset.x-k8s.io", "jobsets"),
    } <= resources
    assert all(rule["operations"] == ["CREATE", "UPDATE"] for rule in rules)


def test_url_and_time_budget(write):
    config = write("c4guard.yaml", "version: 1\ngate:\n  time_budget: 9.5\n")
    code, output = generate("--config", str(config), "--url", "https://gate.example:8443")
    hook = yaml.safe_load(output)["webhooks"][0]
    assert code == 0 and hook["clientConfig"] == {"url": "https://gate.example:8443/validate"}
    assert hook["timeoutSeconds"] == 11
    assert generate("--url", "http://gate.example")[0] == 2


def test_plural_resource_names():
    assert [plural(k) for k in ("Pod", "Ingress", "NetworkPolicy", "MPIJob")] == [
        "pods",
        "ingresses",
        "networkpolicies",
        "mpijobs",
    ]
