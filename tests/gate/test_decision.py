"""The decision for one object: which checks deny or warn under the gate policy, what one
object cannot settle, and that nothing but the gate policy suppresses a finding."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from c4guard.checks import all_checks
from c4guard.checks.registry import Check, CheckFunction, failed
from c4guard.config import Config, ExceptionRule
from c4guard.config.gate import GatePolicy, Rule
from c4guard.gate.admission import parse_review
from c4guard.gate.decision import BEYOND_THE_OBJECT, Decision, Gate
from c4guard.model import Domain, Severity
from tests.gate.harness import review
from tests.gate.objects import pod, privileged

IMAGE = "registry.example/ml/server@sha256:" + "0" * 64


def decide(
    obj: dict[str, Any],
    policy: GatePolicy | None = None,
    config: Config | None = None,
    checks: list[Check] | None = None,
) -> Decision:
    resource = parse_review(json.dumps(review(obj)).encode()).resource()
    gate = Gate(config or Config(), policy or GatePolicy(), None, checks=checks)
    return gate.decide(resource)


def codes(reasons: list) -> set[str]:
    return {r.code for r in reasons}


def with_checks(*extra: Check) -> list[Check]:
    """Every registered check and `extra` ones (the registry itself is left alone)."""
    return [*all_checks(), *extra]


def kubernetes_check(check_id: str, function: CheckFunction, severity: str = "critical") -> Check:
    return Check(
        check_id, "4.1.1", Severity(severity), check_id, "-", Domain.KUBERNETES, (), function
    )


def test_hardened_pod_is_allowed_without_warnings():
    decision = decide(pod(IMAGE))
    assert decision.allowed and not decision.warnings
    assert decision.checks_run == len([c for c in all_checks() if c.domain == "kubernetes"])


def test_default_policy_denies_level_1_high_findings_and_warns_the_rest():
    weak = pod(
        IMAGE,
        container_security={
            "privileged": True,
            "allowPrivilegeEscalation": True,
            "readOnlyRootFilesystem": False,
            "appArmorProfile": {"type": "Unconfined"},
        },
    )

    decision = decide(weak)

    assert codes(decision.denials) == {"K8S-PRIVILEGED", "K8S-PRIV-ESCALATION"}
    assert codes(decision.warnings) == {"K8S-READONLY-ROOTFS", "K8S-APPARMOR"}  # L2; medium
    assert "(K8S-PRIVILEGED, AISVS C4 4.1.1)" in decision.message()
    assert decision.warning_texts()[0].startswith("c4guard: ")


def test_first_matching_rule_decides():
    policy = GatePolicy(
        rules=[
            Rule(checks=["K8S-PRIVILEGED"], action="warn"),
            Rule(requirements=["4.1.*"], action="deny"),
        ],
        default="warn",
    )

    decision = decide(privileged(IMAGE), policy)

    assert codes(decision.warnings) == {"K8S-PRIVILEGED"}
    assert codes(decision.denials) == {"K8S-PRIV-ESCALATION"}


def test_rules_can_select_namespaces():
    policy = GatePolicy(rules=[Rule(namespaces=["dev-*"], action="warn"), Rule(action="deny")])

    assert decide(privileged(IMAGE, namespace="dev-alice"), policy).allowed
    assert not decide(privileged(IMAGE, namespace="prod"), policy).allowed


def test_checks_can_be_excluded():
    policy = GatePolicy.model_validate({"checks": {"exclude": ["K8S-PRIV*"]}})

    decision = decide(privileged(IMAGE), policy)

    assert decision.allowed
    assert not any(c.id.startswith("K8S-PRIV") for c in Gate(Config(), policy, None).checks)


def test_checks_that_need_the_namespace_are_left_to_the_scan():
    decision = decide(pod(IMAGE))

    left = {n.check: n.why for n in decision.not_judged}
    assert left["K8S-PSA-RESTRICTED"] == BEYOND_THE_OBJECT
    assert "K8S-PSA-RESTRICTED" not in codes(decision.denials + decision.warnings)


def test_new_checks_apply_without_listing_them():
    def no_gpu_sharing(inv: Any) -> Iterator[Any]:
        for c in inv.containers():
            yield failed(c, "shares a GPU")

    def needs_network_policies(inv: Any) -> Iterator[Any]:
        if not inv.kind("NetworkPolicy"):
            for c in inv.containers():
                yield failed(c, "has no network policy")

    checks = with_checks(
        kubernetes_check("TEST-OBJECT-CHECK", no_gpu_sharing),
        kubernetes_check("TEST-NAMESPACE-CHECK", needs_network_policies),
    )

    decision = decide(pod(IMAGE), checks=checks)

    assert codes(decision.denials) == {"TEST-OBJECT-CHECK"}
    assert {n.check for n in decision.not_judged} >= {"TEST-NAMESPACE-CHECK"}


def test_a_check_that_crashes_denies():
    def broken(inv: Any) -> Iterator[Any]:
        raise KeyError("spec")
        yield

    decision = decide(
        pod(IMAGE), checks=with_checks(kubernetes_check("TEST-BROKEN", broken, "low"))
    )

    assert not decision.allowed and decision.failed_closed
    assert decision.denials[0].code == "check-error"
    assert "TEST-BROKEN could not run" in decision.message()


def test_config_exceptions_do_not_suppress_at_the_gate():
    config = Config(
        exceptions=[ExceptionRule(check="K8S-PRIVILEGED", reason="driver", expires="2099-12-31")]
    )

    assert "K8S-PRIVILEGED" in codes(decide(privileged(IMAGE), config=config).denials)


def inference_service(container: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llm", "namespace": "ml"},
        "spec": {
            "predictor": {
                "model": {"modelFormat": {"name": "vLLM"}, "storageUri": "hf://org/model"},
                "containers": [container],
            }
        },
    }


def test_runtime_settings_are_left_to_the_runtime_but_written_ones_count():
    quiet = inference_service({"name": "kserve-container"})
    loud = inference_service({"name": "kserve-container", "securityContext": {"privileged": True}})

    allowed = decide(quiet)
    denied = decide(loud)

    assert allowed.allowed
    assert any("ServingRuntime" in n.why for n in allowed.not_judged)
    assert codes(denied.denials) == {"K8S-PRIVILEGED"}


def test_payload_records_the_object_and_reasons():
    payload = decide(privileged(IMAGE)).payload()

    assert payload["allowed"] is False
    assert payload["object"]["kind"] == "Pod" and payload["object"]["namespace"] == "ml"
    first = payload["denied"][0]
    assert (first["source"], first["code"], first["requirement"]) == (
        "check",
        "K8S-PRIVILEGED",
        "4.1.1",
    )
    assert "runs privileged" in first["message"]
    json.dumps(payload, allow_nan=False)
