"""ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) objects for the exported
checks: one policy and binding per check and action, and one params ConfigMap."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from c4guard.gate.export.cel import template_variables
from c4guard.gate.export.kinds import NATIVE_KINDS
from c4guard.gate.export.plan import Export, PolicyPlan

API = "admissionregistration.k8s.io/v1"
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
# The gate leaves alone what changes nothing that runs (docs/gate.md, Safety).
CHANGES_WHAT_RUNS = (
    "request.operation == 'CREATE' || !has(oldObject.spec) || !has(object.spec) || "
    "object.spec != oldObject.spec"
)
NOT_BEING_DELETED = "!has(object.metadata.deletionTimestamp)"
POD_SUBRESOURCES = ("pods/ephemeralcontainers",)


def resource_rules() -> list[dict[str, Any]]:
    """CREATE and UPDATE of every kind whose pod templates the policies can reach."""
    by_group: dict[str, list[str]] = defaultdict(list)
    for kind in NATIVE_KINDS:
        by_group[kind.group].append(kind.resource)
    by_group[""].extend(POD_SUBRESOURCES)
    return [
        {
            "apiGroups": [group],
            "apiVersions": ["*"],
            "operations": ["CREATE", "UPDATE"],
            "resources": sorted(set(resources)),
            "scope": "*",
        }
        for group, resources in sorted(by_group.items())
    ]


def match_conditions(plan: PolicyPlan) -> list[dict[str, str]]:
    conditions = [
        {"name": "c4guard-changes-what-runs", "expression": CHANGES_WHAT_RUNS},
        {"name": "c4guard-not-being-deleted", "expression": NOT_BEING_DELETED},
    ]
    if plan.namespace_condition:
        conditions.append({"name": "c4guard-action", "expression": plan.namespace_condition})
    return conditions


def namespace_selector(excluded: list[str]) -> dict[str, Any]:
    return {
        "matchExpressions": [
            {"key": NAMESPACE_LABEL, "operator": "NotIn", "values": sorted(set(excluded))}
        ]
    }


def validation_actions(action: str) -> list[str]:
    return ["Deny"] if action == "deny" else ["Warn", "Audit"]


def policy_object(plan: PolicyPlan, export: Export) -> dict[str, Any]:
    spec: dict[str, Any] = {"failurePolicy": "Fail"}
    if plan.params:
        spec["paramKind"] = {"apiVersion": "v1", "kind": "ConfigMap"}
    spec["matchConstraints"] = {"resourceRules": resource_rules()}
    spec["matchConditions"] = match_conditions(plan)
    spec["variables"] = template_variables()
    spec["validations"] = [
        {"expression": plan.expression, "message": plan.message, "reason": "Forbidden"}
    ]
    return {
        "apiVersion": API,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": plan.metadata(),
        "spec": spec,
    }


def binding_object(plan: PolicyPlan, export: Export) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "policyName": plan.name,
        "validationActions": validation_actions(plan.action),
        "matchResources": {"namespaceSelector": namespace_selector(export.excluded_namespaces)},
    }
    if plan.params:
        spec["paramRef"] = {
            "name": export.params_name,
            "namespace": export.params_namespace,
            "parameterNotFoundAction": "Deny",
        }
    return {
        "apiVersion": API,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": plan.metadata(),
        "spec": spec,
    }


def params_object(export: Export) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": export.params_name,
            "namespace": export.params_namespace,
            "labels": {"app.kubernetes.io/managed-by": "c4guard"},
        },
        "data": dict(sorted(export.params.items())),
    }


def vap_objects(export: Export) -> list[dict[str, Any]]:
    """The params ConfigMap (when a check has settings), then policy and binding pairs."""
    objects: list[dict[str, Any]] = [params_object(export)] if export.params else []
    for plan in export.policies:
        objects += [policy_object(plan, export), binding_object(plan, export)]
    return objects
