"""What an export holds: for the gate policy and config, every selected check with its
CEL, its action(s) and its parameters, and the checks that stay with the webhook or the
scan, with why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from c4guard.catalog import Catalog, load_catalog
from c4guard.checks import all_checks
from c4guard.checks.registry import Check
from c4guard.config import Config
from c4guard.config.gate import Action, GatePolicy
from c4guard.gate.export.actions import plan_for
from c4guard.gate.export.declarations import DECLARATIONS, NOT_EXPRESSIBLE, Declaration
from c4guard.sources.kubernetes import DOMAIN

DEFAULT_EXCLUDED_NAMESPACES = ("kube-system",)
BEYOND_THE_OBJECT = "needs evidence beyond the object (left to the scan)"


@dataclass(frozen=True, slots=True)
class PolicyPlan:
    """One exported policy: a check under one action."""

    name: str
    check: Check
    action: Action
    expression: str
    message: str
    params: tuple[str, ...]
    namespace_condition: str | None

    def metadata(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "labels": {"app.kubernetes.io/managed-by": "c4guard"},
            "annotations": {
                "c4guard.dev/check": self.check.id,
                "c4guard.dev/requirement": self.check.requirement,
                "c4guard.dev/severity": self.check.severity.value,
                "c4guard.dev/action": self.action,
            },
        }


@dataclass(slots=True)
class Export:
    policies: list[PolicyPlan] = field(default_factory=list)
    params: dict[str, str] = field(default_factory=dict)
    not_expressible: dict[str, str] = field(default_factory=dict)
    left_to_scan: list[str] = field(default_factory=list)
    excluded_checks: list[str] = field(default_factory=list)
    excluded_namespaces: list[str] = field(default_factory=list)
    params_name: str = "c4guard-gate-params"
    params_namespace: str = "c4guard"


def message(check: Check) -> str:
    """Named like the gate's reasons: the check and the AISVS requirement."""
    return (
        f"c4guard: {check.title}: not met by a container or pod of this object "
        f"({check.id}, AISVS C4 {check.requirement}); `c4guard gate check` names it"
    )


def policy_name(check: Check, action: Action, split: bool) -> str:
    base = "c4guard-" + check.id.lower()
    return f"{base}-{action}" if split else base


def build_export(
    config: Config,
    policy: GatePolicy,
    *,
    excluded_namespaces: list[str] | None = None,
    params_namespace: str = "c4guard",
    catalog: Catalog | None = None,
) -> Export:
    levels = {r.id: r.level for r in (catalog or load_catalog()).requirements}
    export = Export(
        excluded_namespaces=list(excluded_namespaces or DEFAULT_EXCLUDED_NAMESPACES),
        params_namespace=params_namespace,
    )
    for check in (c for c in all_checks() if c.domain == DOMAIN):
        if not policy.checks.selects(check.id):
            export.excluded_checks.append(check.id)
        elif check.id in DECLARATIONS:
            _add(export, check, DECLARATIONS[check.id], policy, levels.get(check.requirement, 3))
            for p in DECLARATIONS[check.id].params:
                export.params[p.name] = p.value(config)
        elif check.id in NOT_EXPRESSIBLE:
            export.not_expressible[check.id] = NOT_EXPRESSIBLE[check.id]
        else:
            export.left_to_scan.append(check.id)
    return export


def _add(
    export: Export, check: Check, declaration: Declaration, policy: GatePolicy, level: int
) -> None:
    plan = plan_for(check, policy, level)
    split = len(plan.actions) > 1
    for action in plan.actions:
        export.policies.append(
            PolicyPlan(
                policy_name(check, action, split),
                check,
                action,
                declaration.allowed(),
                message(check),
                tuple(p.name for p in declaration.params),
                plan.condition(action),
            )
        )
