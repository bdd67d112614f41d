"""`c4guard gate export`: the objects validate against the vendored Kubernetes and Kyverno
schemas, honour the gate policy, and say what they cannot enforce."""

from __future__ import annotations

import json
import textwrap
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from c4guard.checks import all_checks
from c4guard.cli import main
from c4guard.config import Config
from c4guard.config.gate import GatePolicy, Rule
from c4guard.gate.export.actions import plan_for
from c4guard.gate.export.declarations import DECLARATIONS, NOT_EXPRESSIBLE
from c4guard.gate.export.engine import engine
from c4guard.model import Severity

SCHEMAS = Path(__file__).resolve().parents[2] / "data" / "schemas"
WARN_AND_NAMESPACES = """\
    version: 1
    runtime_classes:
      sandbox: [gvisor, "kata-*"]
    gate:
      checks:
        exclude: ["K8S-APPARMOR"]
      rules:
        - checks: ["K8S-READONLY-ROOTFS"]
          action: warn
        - namespaces: ["sandbox-*", "lab"]
          max_level: 2
          action: deny
        - namespaces: ["legacy-*"]
          action: warn
        - max_level: 1
          min_severity: high
          action: deny
      default: warn
      images:
        verify: false
"""


@cache
def validator(kind: str) -> jsonschema.protocols.Validator:
    if kind in ("ValidatingPolicy", "ImageValidatingPolicy"):
        schema = json.loads((SCHEMAS / "kyverno-policies.kyverno.io-v1.json").read_text())
        return jsonschema.Draft7Validator(_strict(schema["kinds"][kind]))
    bundle = json.loads((SCHEMAS / "kubernetes-1.30-admissionregistration-v1.json").read_text())
    schema = {**bundle["kinds"][kind], "$defs": bundle["$defs"]}
    return jsonschema.Draft202012Validator(schema)


def _strict(schema: Any) -> Any:
    """A CRD schema that rejects unknown fields (as `kubectl apply` does, strict field
    validation) instead of pruning them."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    strict = {k: _strict(v) for k, v in schema.items()}
    if (
        "properties" in schema
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        strict["additionalProperties"] = False
    return strict


def export(fmt: str, *args: str) -> tuple[str, list[dict[str, Any]]]:
    result = CliRunner().invoke(main, ["gate", "export", "--format", fmt, *args])
    assert result.exit_code == 0, result.output
    return result.output, [d for d in yaml.safe_load_all(result.output) if d]


def assert_valid(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        errors = list(validator(obj["kind"]).iter_errors(obj))
        assert not errors, f"{obj['kind']} {obj['metadata']['name']}: {errors[0].message}"


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c4guard.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_default_policy_exports_valid_vap_with_bindings_and_params():
    text, objects = export("vap")
    assert_valid(objects)
    kinds = [o["kind"] for o in objects]
    assert kinds[0] == "ConfigMap"
    policies = {o["metadata"]["name"]: o for o in objects if o["kind"].endswith("Policy")}
    bindings = {o["spec"]["policyName"]: o for o in objects if o["kind"].endswith("Binding")}
    assert set(policies) == set(bindings)
    assert {o["metadata"]["annotations"]["c4guard.dev/check"] for o in policies.values()} == set(
        DECLARATIONS
    )
    privileged = policies["c4guard-k8s-privileged"]
    assert bindings["c4guard-k8s-privileged"]["spec"]["validationActions"] == ["Deny"]
    assert "(K8S-PRIVILEGED, AISVS C4 4.1.1)" in privileged["spec"]["validations"][0]["message"]
    readonly = bindings["c4guard-k8s-readonly-rootfs"]["spec"]
    assert readonly["validationActions"] == ["Warn", "Audit"]  # level 2: the default warns
    seccomp = policies["c4guard-k8s-seccomp"]["spec"]
    assert seccomp["paramKind"] == {"apiVersion": "v1", "kind": "ConfigMap"}
    assert bindings["c4guard-k8s-seccomp"]["spec"]["paramRef"]["parameterNotFoundAction"] == "Deny"
    assert "sandboxRuntimeClasses" in objects[0]["data"]
    excluded = readonly["matchResources"]["namespaceSelector"]["matchExpressions"][0]
    assert excluded["operator"] == "NotIn" and {"kube-system", "c4guard"} <= set(excluded["values"])
    rules = privileged["spec"]["matchConstraints"]["resourceRules"]
    resources = {r for rule in rules for r in rule["resources"]}
    assert {"pods", "deployments", "rayclusters", "pytorchjobs", "jobsets"} <= resources
    assert {"leaderworkersets", "servingruntimes", "pods/ephemeralcontainers"} <= resources
    for check_id in NOT_EXPRESSIBLE:
        assert check_id in text.split("\n---\n")[0]
    assert "Image verification" in text and "not expressible in CEL" in text


def test_warn_and_namespace_rules_split_policies_by_namespace(tmp_path: Path):
    config = write_config(tmp_path, WARN_AND_NAMESPACES)
    for fmt in ("vap", "kyverno"):
        text, objects = export(fmt, "--config", str(config), "--exclude-namespace", "monitoring")
        assert_valid(objects)
        names = {o["metadata"]["name"] for o in objects}
        assert "c4guard-k8s-apparmor" not in names and "K8S-APPARMOR" in text.split("---")[0]
        # level 2 (4.1.3): denied in sandbox-* and lab, warned elsewhere
        assert {"c4guard-k8s-hostpath-writable-deny", "c4guard-k8s-hostpath-writable-warn"} <= names
        # the first rule makes K8S-READONLY-ROOTFS warn everywhere: one policy
        assert "c4guard-k8s-readonly-rootfs" in names
    kyverno = {o["metadata"]["name"]: o for o in objects}
    spec = kyverno["c4guard-k8s-seccomp-warn"]["spec"]
    assert spec["validationActions"] == ["Warn", "Audit"]
    assert spec["variables"][0]["name"] == "sandboxRuntimeClasses"
    assert "variables.sandboxRuntimeClasses" in spec["validations"][0]["expression"]
    selector = spec["matchConstraints"]["namespaceSelector"]["matchExpressions"][0]
    assert "monitoring" in selector["values"]


@pytest.mark.parametrize("namespace", ["sandbox-a", "lab", "labs", "legacy-x", "ml", ""])
def test_namespace_choice_in_cel_equals_the_gate_policy(namespace: str, tmp_path: Path):
    """The CEL that picks deny or warn agrees with GatePolicy.action_for, check by check."""
    data = yaml.safe_load(textwrap.dedent(WARN_AND_NAMESPACES))
    policy = GatePolicy.model_validate(data["gate"])
    cel = engine()
    levels = {"4.1.1": 1, "4.1.2": 1, "4.1.3": 2, "4.2.3": 1, "4.4.5": 1, "4.6.1": 2}
    context = cel.bind({"request": {"namespace": namespace}})
    for check in (c for c in all_checks() if c.id in DECLARATIONS):
        level = levels[check.requirement]
        expected = policy.action_for(check.id, check.requirement, level, check.severity, namespace)
        plan = plan_for(check, policy, level)
        chosen = (
            plan.actions[0]
            if plan.chooser is None
            else cel.evaluate(cel.compile(plan.chooser), context)
        )
        assert chosen == expected, (check.id, namespace)


def test_kyverno_image_policies_from_the_trust_policy(tmp_path: Path):
    key = tmp_path / "release.pub"
    key.write_text("-----BEGIN PUBLIC KEY-----\nMFkw...\n-----END PUBLIC KEY-----\n")
    (tmp_path / "root.json").write_text("{}")
    (tmp_path / "trust.yaml").write_text(
        textwrap.dedent(
            """\
            version: 1
            signers:
              release: {key: release.pub}
              ci:
                keyless:
                  identity: https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main
                  issuer: https://token.actions.githubusercontent.com
                  trusted_root: root.json
            artifacts:
              - match: "registry.example/ml/*"
                signers: [release]
                signature: {}
                provenance: {builder_id: "https://github.com/actions/runner", signers: [ci]}
                vulnerabilities: {max_severity: high}
              - match: "*"
                signers: [ci]
                signature: {}
            """
        )
    )
    config = write_config(tmp_path, "version: 1\ngate:\n  images:\n    trust_policy: trust.yaml\n")
    text, objects = export("kyverno", "--config", str(config))
    assert_valid(objects)
    images = [o for o in objects if o["kind"] == "ImageValidatingPolicy"]
    assert [o["spec"]["matchImageReferences"] for o in images] == [
        [{"glob": "registry.example/ml/*"}],
        [{"glob": "*"}],
    ]
    first = images[0]["spec"]
    assert {a["name"] for a in first["attestors"]} == {"release", "ci"}
    assert first["attestations"][0]["intoto"]["type"] == "https://slsa.dev/provenance/v1"
    keyless = images[1]["spec"]["attestors"][0]["cosign"]["keyless"]["identities"][0]
    assert keyless["issuer"] == "https://token.actions.githubusercontent.com"
    header = text.split("\n---\n")[0]
    for unmapped in ("builder_id", "max_severity", "trusted root", "first matching entry"):
        assert unmapped in header


def test_every_exported_check_is_an_object_level_kubernetes_check():
    registered = {c.id: c for c in all_checks()}
    for check_id in (*DECLARATIONS, *NOT_EXPRESSIBLE):
        assert registered[check_id].domain == "kubernetes"
    assert not set(DECLARATIONS) & set(NOT_EXPRESSIBLE)


def test_severity_filter_of_rules_applies_per_check():
    policy = GatePolicy(rules=[Rule(min_severity=Severity.CRITICAL, action="deny")])
    by_id = {c.id: c for c in all_checks()}
    assert plan_for(by_id["K8S-PRIVILEGED"], policy, 1).actions == ("deny",)
    assert plan_for(by_id["K8S-SECCOMP"], policy, 1).actions == ("warn",)


def test_unused_config_is_accepted():
    assert Config().runtime_classes.sandbox


@pytest.mark.parametrize(
    "check_id, says",
    [
        ("K8S-PRIVILEGED", "exported as CEL"),
        ("K8S-ENV-LITERAL-SECRET", "not expressible in CEL"),
        ("K8S-NETPOL-DEFAULT-DENY", "needs evidence beyond the object"),
    ],
)
def test_explain_says_what_the_export_does_with_a_check(check_id: str, says: str):
    output = CliRunner().invoke(main, ["explain", check_id]).output
    assert "Native admission policies:" in output and says in output
