"""The gate policy's rules for one check, as the CEL that picks deny or warn from the
request's namespace (`GatePolicy.action_for`, with everything but the namespace fixed)."""

from __future__ import annotations

from dataclasses import dataclass

from c4guard.checks.registry import Check
from c4guard.config.gate import Action, GatePolicy
from c4guard.gate.export.cel import glob_regex, literal

NAMESPACE = "request.namespace"


@dataclass(frozen=True, slots=True)
class Plan:
    """The actions a check can take and, when more than one, the CEL choosing them."""

    actions: tuple[Action, ...]
    chooser: str | None  # CEL evaluating to 'deny' or 'warn'; None when only one action

    def condition(self, action: Action) -> str | None:
        """The match condition for the policy that takes `action`, if one is needed."""
        return None if self.chooser is None else f"({self.chooser}) == {literal(action)}"


def plan_for(check: Check, policy: GatePolicy, level: int) -> Plan:
    """Walk the rules as `action_for` does; namespace globs become RE2 tests."""
    steps: list[tuple[str | None, Action]] = []
    for rule in policy.rules:
        anywhere = rule.model_copy(update={"namespaces": []})
        if not anywhere.matches(check.id, check.requirement, level, check.severity, None):
            continue
        if not rule.namespaces:
            steps.append((None, rule.action))
            break
        steps.append((glob_regex(rule.namespaces), rule.action))
    else:
        steps.append((None, policy.default))
    actions = tuple(dict.fromkeys(action for _, action in steps))
    if len(actions) == 1:
        return Plan(actions, None)
    chooser = literal(steps[-1][1])
    for regex, action in reversed(steps[:-1]):
        chooser = f"({NAMESPACE}.matches({literal(regex or '')}) ? {literal(action)} : {chooser})"
    return Plan(actions, chooser)
