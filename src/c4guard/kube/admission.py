"""Admission controllers that verify image signatures, as they really enforce:

- Kyverno `verifyImages` rules: the per-entry `failureAction` wins over the deprecated
  `spec.validationFailureAction` (and its per-namespace overrides); the default is Audit.
- Kyverno `ImageValidatingPolicy` / `NamespacedImageValidatingPolicy`: `validationActions`
  (default Deny); Audit and Warn admit unverified images.
- sigstore policy-controller `ClusterImagePolicy`: only in namespaces labelled
  `policy.sigstore.dev/include: "true"`; `mode: warn` admits.
- `ValidatingAdmissionPolicy` bound with `validationActions: [Deny]` whose validations are
  about signatures (a CEL policy cannot verify one itself; it checks what a verifier wrote).
- Gatekeeper constraints backed by Ratify: `enforcementAction` deny (the default).
- Connaisseur and c4guard's own gate: their webhook configurations, `failurePolicy: Fail`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from c4guard.kube import selectors
from c4guard.kube.images import ImageRef, sigstore_match, wildcard_match
from c4guard.kube.objects import ObjectView
from c4guard.workloads.views import mapping_at

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

SIGSTORE_OPT_IN = "policy.sigstore.dev/include"
SIGNATURE_WORDS = re.compile(r"signature|signed|cosign|notation|attest|verif", re.I)
C4GUARD_WEBHOOK = re.compile(r"(^|\.)c4guard\.dev$|c4guard")
POD_KINDS = frozenset({"Pod", "*", "v1/Pod", "*/Pod"})


@dataclass(frozen=True, slots=True)
class Control:
    """One admission control that covers an image: what it is, whether it rejects, and
    where its mode is written."""

    name: str
    enforces: bool
    mode: str
    view: ObjectView
    evaluated: bool = True  # False: it may cover the image through logic c4guard cannot read


@dataclass(slots=True)
class Coverage:
    controls: list[Control] = field(default_factory=list)

    @property
    def enforcing(self) -> list[Control]:
        return [c for c in self.controls if c.enforces and c.evaluated]

    @property
    def admitting(self) -> list[Control]:
        return [c for c in self.controls if not c.enforces]

    @property
    def unevaluated(self) -> list[Control]:
        return [c for c in self.controls if c.enforces and not c.evaluated]


@dataclass(frozen=True, slots=True)
class Target:
    """What is being admitted: an image in a namespace, created as a kind."""

    image: ImageRef
    namespace: str
    ns_labels: Mapping[str, Any]
    kind: str


def coverage(inv: Inventory, target: Target) -> Coverage:
    found = Coverage()
    for source in (_kyverno, _image_validating, _sigstore, _vap, _ratify, _webhooks):
        found.controls.extend(source(inv, target))
    return found


def verification_policies(inv: Inventory) -> Iterator[Control]:
    """Every signature-verifying control among the inputs with its mode (for the check that
    judges policies themselves)."""
    for resource in inv.kind("ClusterPolicy", group="kyverno.io") + inv.kind(
        "Policy", group="kyverno.io"
    ):
        for index, rule in enumerate(_list(resource.body.get("spec"), "rules")):
            for entry_index, entry in enumerate(_list(rule, "verifyImages")):
                yield _kyverno_control(ObjectView(resource), index, rule, entry_index, entry, None)
    for resource in _ivps(inv):
        yield _ivp_control(ObjectView(resource))
    for resource in inv.kind("ClusterImagePolicy", group="policy.sigstore.dev"):
        yield _cip_control(ObjectView(resource))
    for resource in _ratify_constraints(inv):
        yield _ratify_control(ObjectView(resource))


# ------------------------------------------------------------------------------ Kyverno


def _kyverno(inv: Inventory, target: Target) -> Iterator[Control]:
    resources = inv.kind("ClusterPolicy", group="kyverno.io") + [
        r for r in inv.kind("Policy", group="kyverno.io") if r.namespace == target.namespace
    ]
    for resource in resources:
        view = ObjectView(resource)
        if view.get("spec", "admission") is False:
            continue
        for index, rule in enumerate(_list(resource.body.get("spec"), "rules")):
            if not _kyverno_matches(rule, target):
                continue
            for entry_index, entry in enumerate(_list(rule, "verifyImages")):
                if _kyverno_images(entry, target.image):
                    yield _kyverno_control(view, index, rule, entry_index, entry, target)


def _kyverno_control(
    view: ObjectView,
    index: int,
    rule: Mapping[str, Any],
    entry_index: int,
    entry: Mapping[str, Any],
    target: Target | None,
) -> Control:
    name = f"Kyverno {view.resource.kind} {view.resource.name} rule {rule.get('name', index)}"
    keys: tuple[Any, ...] = ("spec", "rules", index, "verifyImages", entry_index, "failureAction")
    action = entry.get("failureAction")
    if action is None and target is not None:
        action = _override(view, target.namespace)
    if action is None:
        action = view.get("spec", "validationFailureAction")
        keys = ("spec", "validationFailureAction")
    mode = str(action or "Audit")
    at = ObjectView(view.resource, name, keys if action is not None else ("spec",))
    return Control(name, mode.lower() == "enforce", mode, at)


def _override(view: ObjectView, namespace: str) -> Any:
    for item in view.get("spec", "validationFailureActionOverrides") or []:
        if isinstance(item, Mapping) and any(
            fnmatchcase(namespace, str(p)) for p in item.get("namespaces") or []
        ):
            return item.get("action")
    return None


def _kyverno_matches(rule: Mapping[str, Any], target: Target) -> bool:
    match = mapping_at(rule, "match")
    exclude = mapping_at(rule, "exclude")
    return _kyverno_filter(match, target, empty=True) and not (
        exclude and _kyverno_filter(exclude, target, empty=False)
    )


def _kyverno_filter(block: Mapping[str, Any], target: Target, empty: bool) -> bool:
    """`resources` directly, or `any`/`all` lists of resource filters."""
    filters = [f for f in _list(block, "any") if isinstance(f, Mapping)]
    combined = [f for f in _list(block, "all") if isinstance(f, Mapping)]
    if isinstance(block.get("resources"), Mapping):
        combined.append(block)
    if not filters and not combined:
        return empty
    any_ok = any(_resource_filter(f, target) for f in filters) if filters else True
    all_ok = all(_resource_filter(f, target) for f in combined)
    return any_ok and all_ok


def _resource_filter(item: Mapping[str, Any], target: Target) -> bool:
    resources = mapping_at(item, "resources")
    kinds = {str(k) for k in resources.get("kinds") or []}
    if kinds and not (kinds & POD_KINDS or target.kind in kinds):
        return False
    namespaces = resources.get("namespaces")
    if namespaces and not any(fnmatchcase(target.namespace, str(n)) for n in namespaces):
        return False
    ns_selector = resources.get("namespaceSelector")
    return not (ns_selector is not None and not selectors.matches(ns_selector, target.ns_labels))


def _kyverno_images(entry: Mapping[str, Any], image: ImageRef) -> bool:
    patterns = [str(p) for p in entry.get("imageReferences") or []]
    if not patterns and entry.get("image"):
        patterns = [str(entry["image"])]
    skipped = [str(p) for p in entry.get("skipImageReferences") or []]
    return any(wildcard_match(p, image) for p in patterns) and not any(
        wildcard_match(p, image) for p in skipped
    )


# ------------------------------------------------------------------ ImageValidatingPolicy


def _ivps(inv: Inventory) -> list[Any]:
    return [
        r
        for kind in ("ImageValidatingPolicy", "NamespacedImageValidatingPolicy")
        for r in inv.kind(kind, group="policies.kyverno.io")
    ]


def _image_validating(inv: Inventory, target: Target) -> Iterator[Control]:
    for resource in _ivps(inv):
        if resource.namespace and resource.namespace != target.namespace:
            continue
        view = ObjectView(resource)
        constraints = view.get("spec", "matchConstraints") or {}
        ns_selector = (
            constraints.get("namespaceSelector") if isinstance(constraints, Mapping) else None
        )
        if (
            ns_selector is not None
            and not selectors.is_empty(ns_selector)
            and not selectors.matches(ns_selector, target.ns_labels)
        ):
            continue
        references = [
            r for r in view.get("spec", "matchImageReferences") or [] if isinstance(r, Mapping)
        ]
        globs = [str(r["glob"]) for r in references if r.get("glob")]
        control = _ivp_control(view)
        if references and not any(wildcard_match(g, target.image) for g in globs):
            if len(globs) == len(references):
                continue  # only globs, and none matches the image
            # CEL expressions decide whether it covers the image
            control = Control(
                control.name, control.enforces, control.mode, control.view, evaluated=False
            )
        yield control


def _ivp_control(view: ObjectView) -> Control:
    actions = [str(a) for a in view.get("spec", "validationActions") or []] or ["Deny"]
    name = f"Kyverno {view.resource.kind} {view.resource.name}"
    at = ObjectView(view.resource, name, ("spec", "validationActions"))
    return Control(name, "Deny" in actions, ", ".join(actions), at)


# ------------------------------------------------------------------------ sigstore CIP


def _sigstore(inv: Inventory, target: Target) -> Iterator[Control]:
    if str(target.ns_labels.get(SIGSTORE_OPT_IN, "")).lower() != "true":
        return
    for resource in inv.kind("ClusterImagePolicy", group="policy.sigstore.dev"):
        view = ObjectView(resource)
        globs = [
            str(i.get("glob"))
            for i in view.get("spec", "images") or []
            if isinstance(i, Mapping) and i.get("glob")
        ]
        if any(sigstore_match(g, target.image) for g in globs):
            yield _cip_control(view)


def _cip_control(view: ObjectView) -> Control:
    mode = str(view.get("spec", "mode") or "enforce")
    name = f"sigstore ClusterImagePolicy {view.resource.name}"
    at = ObjectView(
        view.resource, name, ("spec", "mode") if view.get("spec", "mode") else ("spec",)
    )
    return Control(name, mode.lower() == "enforce", mode, at)


def sigstore_opted_out(inv: Inventory, target: Target) -> bool:
    """ClusterImagePolicies exist but the namespace has not opted in."""
    return (
        bool(inv.kind("ClusterImagePolicy", group="policy.sigstore.dev"))
        and str(target.ns_labels.get(SIGSTORE_OPT_IN, "")).lower() != "true"
    )


# ------------------------------------------------------------- ValidatingAdmissionPolicy


def _vap(inv: Inventory, target: Target) -> Iterator[Control]:
    for binding, policy in inv.derived(_signature_bindings):
        view = ObjectView(binding)
        ns_selector = view.get("spec", "matchResources", "namespaceSelector")
        if (
            ns_selector is not None
            and not selectors.is_empty(ns_selector)
            and not selectors.matches(ns_selector, target.ns_labels)
        ):
            continue
        actions = [str(a) for a in view.get("spec", "validationActions") or []]
        name = f"ValidatingAdmissionPolicy {policy.name} (binding {binding.name})"
        at = ObjectView(binding, name, ("spec", "validationActions"))
        yield Control(name, "Deny" in actions, ", ".join(actions) or "none", at)


def _signature_bindings(inv: Inventory) -> list[tuple[Any, Any]]:
    """(binding, policy) pairs whose policy's validations are about signatures."""
    group = "admissionregistration.k8s.io"
    policies = {r.name: r for r in inv.kind("ValidatingAdmissionPolicy", group=group)}
    found = []
    for binding in inv.kind("ValidatingAdmissionPolicyBinding", group=group):
        policy = policies.get(str(ObjectView(binding).get("spec", "policyName")))
        if policy is not None and _about_signatures(policy.body.get("spec")):
            found.append((binding, policy))
    return found


def _about_signatures(spec: Any) -> bool:
    if not isinstance(spec, Mapping):
        return False
    texts = [
        str(v.get(k, ""))
        for v in spec.get("validations") or []
        if isinstance(v, Mapping)
        for k in ("expression", "message", "messageExpression")
    ]
    return any(SIGNATURE_WORDS.search(t) for t in texts)


# ------------------------------------------------------------------------------ Ratify


def _ratify_constraints(inv: Inventory) -> list[Any]:
    return inv.derived(_find_ratify_constraints)


def _find_ratify_constraints(inv: Inventory) -> list[Any]:
    return [
        r
        for r in inv.resources
        if r.api_group == "constraints.gatekeeper.sh" and "ratify" in r.kind.lower()
    ]


def _ratify(inv: Inventory, target: Target) -> Iterator[Control]:
    for resource in _ratify_constraints(inv):
        view = ObjectView(resource)
        match = view.get("spec", "match") or {}
        if not isinstance(match, Mapping):
            match = {}
        namespaces = match.get("namespaces")
        excluded = match.get("excludedNamespaces") or []
        if namespaces and not any(fnmatchcase(target.namespace, str(n)) for n in namespaces):
            continue
        if any(fnmatchcase(target.namespace, str(n)) for n in excluded):
            continue
        yield _ratify_control(view)


def _ratify_control(view: ObjectView) -> Control:
    action = str(view.get("spec", "enforcementAction") or "deny")
    name = f"Gatekeeper {view.resource.kind} {view.resource.name} (Ratify)"
    at = ObjectView(view.resource, name, ("spec", "enforcementAction"))
    return Control(name, action.lower() == "deny", action, at)


# -------------------------------------------------------- Connaisseur and c4guard's gate


def _webhooks(inv: Inventory, target: Target) -> Iterator[Control]:
    for resource, index, hook, product in inv.derived(_verifier_webhooks):
        ns_selector = hook.get("namespaceSelector")
        if (
            ns_selector is not None
            and not selectors.is_empty(ns_selector)
            and not selectors.matches(ns_selector, target.ns_labels)
        ):
            continue
        policy = str(hook.get("failurePolicy") or "Fail")
        name = f"{product} webhook {hook.get('name', resource.name)}"
        at = ObjectView(resource, name, ("webhooks", index, "failurePolicy"))
        yield Control(name, policy == "Fail", f"failurePolicy {policy}", at)


def _verifier_webhooks(inv: Inventory) -> list[tuple[Any, int, Mapping[str, Any], str]]:
    """Webhooks of image verifiers (Connaisseur, c4guard's gate)."""
    group = "admissionregistration.k8s.io"
    found = []
    for resource in inv.kind("ValidatingWebhookConfiguration", group=group) + inv.kind(
        "MutatingWebhookConfiguration", group=group
    ):
        for index, hook in enumerate(resource.body.get("webhooks") or []):
            if isinstance(hook, Mapping):
                product = _verifier(resource.name, hook)
                if product is not None:
                    found.append((resource, index, hook, product))
    return found


def _verifier(config_name: str, hook: Mapping[str, Any]) -> str | None:
    service = (
        hook.get("clientConfig", {}).get("service")
        if isinstance(hook.get("clientConfig"), Mapping)
        else None
    )
    service_name = str(service.get("name", "")) if isinstance(service, Mapping) else ""
    names = f"{config_name} {hook.get('name', '')} {service_name}".lower()
    if "connaisseur" in names:
        return "Connaisseur"
    if C4GUARD_WEBHOOK.search(str(hook.get("name", ""))) or "c4guard" in service_name:
        return "c4guard gate"
    return None


def _list(block: Any, key: str) -> list[Any]:
    value = block.get(key) if isinstance(block, Mapping) else None
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
