"""RBAC as the API server resolves it: bindings, the (Cluster)Roles they grant (aggregated
ClusterRoles included), and which subjects each binding reaches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from c4guard.kube import selectors
from c4guard.kube.objects import ObjectView, metadata_map
from c4guard.model import Resource

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

RBAC_GROUP = "rbac.authorization.k8s.io"
READ_VERBS = frozenset({"get", "list", "watch", "*"})
# Built-in ClusterRoles that are usually not among the inputs.
BUILT_IN = {
    "cluster-admin": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
    "admin": [
        {
            "apiGroups": [""],
            "resources": ["secrets"],
            "verbs": ["get", "list", "watch", "create", "delete"],
        }
    ],
    "edit": [
        {
            "apiGroups": [""],
            "resources": ["secrets"],
            "verbs": ["get", "list", "watch", "create", "delete"],
        }
    ],
}
BROAD_GROUPS = frozenset(
    {"system:authenticated", "system:unauthenticated", "system:serviceaccounts"}
)


@dataclass(frozen=True, slots=True)
class Grant:
    """One binding reaching a subject, with the rules of the role it binds."""

    binding: Resource
    role: str
    role_resource: Resource | None
    rules: tuple[dict[str, Any], ...]
    subject_index: int

    @property
    def view(self) -> ObjectView:
        return ObjectView(
            self.binding,
            f"{self.binding.kind} {self.binding.name}",
            ("subjects", self.subject_index),
        )

    @property
    def scope(self) -> str:
        return (
            "cluster-wide"
            if self.binding.kind == "ClusterRoleBinding"
            else f"in namespace {self.binding.namespace}"
        )


class RBAC:
    def __init__(self, inv: Inventory) -> None:
        self.cluster_roles = {r.name: r for r in inv.kind("ClusterRole", group=RBAC_GROUP)}
        self.roles = {(r.namespace, r.name): r for r in inv.kind("Role", group=RBAC_GROUP)}
        self.bindings = inv.kind("RoleBinding", group=RBAC_GROUP) + inv.kind(
            "ClusterRoleBinding", group=RBAC_GROUP
        )
        self._grants = list(self._resolve())
        self._by_account: dict[tuple[str, str], list[Grant]] = {}
        self._by_group: dict[str, list[Grant]] = {}
        for grant, subject in self._grants:
            if subject.get("kind") == "ServiceAccount":
                key = (
                    str(subject.get("namespace") or grant.binding.namespace),
                    str(subject.get("name")),
                )
                self._by_account.setdefault(key, []).append(grant)
            elif subject.get("kind") == "Group":
                self._by_group.setdefault(str(subject.get("name")), []).append(grant)

    def role_rules(self, binding: Resource) -> tuple[str, Resource | None, tuple[Any, ...]]:
        ref = binding.body.get("roleRef")
        ref = ref if isinstance(ref, dict) else {}
        name, kind = str(ref.get("name", "")), str(ref.get("kind", "ClusterRole"))
        if kind == "Role":
            role = self.roles.get((binding.namespace, name))
        else:
            role = self.cluster_roles.get(name)
        if role is None:
            return (
                f"{kind} {name}",
                None,
                tuple(BUILT_IN.get(name, ()) if kind == "ClusterRole" else ()),
            )
        return f"{kind} {name}", role, tuple(self._rules(role))

    def _rules(self, role: Resource) -> Iterator[dict[str, Any]]:
        yield from (r for r in role.body.get("rules") or [] if isinstance(r, dict))
        aggregation = role.body.get("aggregationRule")
        for selector in (
            (aggregation or {}).get("clusterRoleSelectors") or []
            if isinstance(aggregation, dict)
            else []
        ):
            for other in self.cluster_roles.values():
                if other is not role and selectors.matches(selector, metadata_map(other, "labels")):
                    yield from (r for r in other.body.get("rules") or [] if isinstance(r, dict))

    def grants(self) -> list[tuple[Grant, dict[str, Any]]]:
        """Every (grant, subject) pair."""
        return self._grants

    def _resolve(self) -> Iterator[tuple[Grant, dict[str, Any]]]:
        for binding in self.bindings:
            role, resource, rules = self.role_rules(binding)
            for index, subject in enumerate(binding.body.get("subjects") or []):
                if isinstance(subject, dict):
                    yield Grant(binding, role, resource, rules, index), subject

    def service_account_grants(self, namespace: str, name: str) -> list[Grant]:
        """Grants that reach a service account: by name, or through the
        system:serviceaccounts(:<namespace>) and system:authenticated groups."""
        groups = (
            "system:serviceaccounts",
            f"system:serviceaccounts:{namespace}",
            "system:authenticated",
        )
        found = list(self._by_account.get((namespace, name), []))
        for group in groups:
            found += self._by_group.get(group, [])
        return found


def rbac(inv: Inventory) -> RBAC:
    return inv.derived(RBAC)


def wildcard(rule: dict[str, Any]) -> str | None:
    """What a rule grants by wildcard, or None."""
    verbs, resources = _strings(rule.get("verbs")), _strings(rule.get("resources"))
    if "*" in verbs and "*" in resources:
        return "every verb on every resource"
    if "*" in verbs:
        return f"every verb on {', '.join(sorted(resources))}"
    if "*" in resources:
        return f"{', '.join(sorted(verbs))} on every resource"
    return None


def reads_secrets(rule: dict[str, Any]) -> bool:
    groups, resources = _strings(rule.get("apiGroups")), _strings(rule.get("resources"))
    verbs = _strings(rule.get("verbs"))
    return (
        bool(groups & {"", "*"}) and bool(resources & {"secrets", "*"}) and bool(verbs & READ_VERBS)
    )


def broad_subject(subject: dict[str, Any]) -> str | None:
    """Why a subject is broad (everyone, every service account, a default account)."""
    kind, name = subject.get("kind"), str(subject.get("name", ""))
    if kind == "Group" and (name in BROAD_GROUPS or name.startswith("system:serviceaccounts:")):
        return f"group {name}"
    if kind == "User" and name == "system:anonymous":
        return "user system:anonymous"
    if kind == "ServiceAccount" and name == "default":
        return f"the default service account of namespace {subject.get('namespace', '?')}"
    return None


def _strings(value: Any) -> set[str]:
    return {str(v) for v in value} if isinstance(value, list) else set()
