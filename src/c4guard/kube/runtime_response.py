"""Runtime monitors and whether they terminate what they detect, as each really behaves:

- Tetragon `TracingPolicy`/`TracingPolicyNamespaced`: `Sigkill`, `Override` (or `Signal`
  9) actions on escape-relevant hooks kill; `spec.options` `policy-mode: monitor` elides
  every enforcement action.
- KubeArmor: `action: Block` rules block; `Allow` rules block everything else only under
  a `block` default posture (namespace annotation `kubearmor-<file|network|capabilities>-
  posture`, or KubeArmorConfig); the default posture is audit.
- Falco detects; Falco Talon's `kubernetes:terminate` actionner terminates; falcosidekick
  alone only forwards events.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from c4guard.kube import selectors
from c4guard.kube.objects import ObjectView, metadata_map
from c4guard.workloads.views import mapping_at

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

KILL_ACTIONS = frozenset({"sigkill", "override"})
ESCAPE_HOOKS = re.compile(
    r"setns|unshare|mount|commit_creds|setuid|setgid|setreuid|setresuid|capset|cap_capable|"
    r"ptrace|bpf|init_module|finit_module|kexec|pivot_root|chroot|security_|bprm|execve|"
    r"fd_install|file_open|keyctl|userfaultfd|perf_event_open|openat",
    re.I,
)
POSTURE_KEYS = (
    "kubearmor-file-posture",
    "kubearmor-network-posture",
    "kubearmor-capabilities-posture",
)
TERMINATE = re.compile(r"actionner\s*:\s*[\"']?kubernetes:terminate", re.I)
DRY_RUN = re.compile(r"dry_run\s*:\s*true", re.I)


@dataclass(slots=True)
class Response:
    """What monitors a namespace and whether anything terminates."""

    terminating: list[tuple[str, ObjectView]] = field(default_factory=list)
    detecting: list[tuple[str, ObjectView]] = field(default_factory=list)


def response_for(inv: Inventory, namespace: str) -> Response:
    found = Response()
    for source in (_tetragon, _kubearmor, _falco):
        for terminates, text, view in source(inv, namespace):
            (found.terminating if terminates else found.detecting).append((text, view))
    return found


# ----------------------------------------------------------------------------- Tetragon


def _tetragon(inv: Inventory, namespace: str) -> Iterator[tuple[bool, str, ObjectView]]:
    policies = inv.kind("TracingPolicy", group="cilium.io") + [
        r
        for r in inv.kind("TracingPolicyNamespaced", group="cilium.io")
        if r.namespace == namespace
    ]
    for resource in policies:
        view = ObjectView(resource, f"Tetragon {resource.kind} {resource.name}")
        if not _selects_pods_in(inv, view, namespace):
            continue
        kills = list(_kill_hooks(view.get("spec")))
        mode = _policy_mode(view)
        name = f"Tetragon {resource.kind} {resource.name}"
        if kills and mode != "monitor":
            yield True, f"{name} kills on {', '.join(kills[:3])}", view
        elif kills:
            yield (
                False,
                (
                    f"{name} has kill actions on {', '.join(kills[:3])} but runs in "
                    "policy-mode monitor, which elides them"
                ),
                view,
            )
        else:
            yield False, f"{name} only observes (no Sigkill or Override action)", view


def _policy_mode(view: ObjectView) -> str:
    for option in view.get("spec", "options") or []:
        if isinstance(option, Mapping) and option.get("name") == "policy-mode":
            return str(option.get("value", "")).lower()
    return "enforce"


def _kill_hooks(spec: Any) -> Iterator[str]:
    if not isinstance(spec, Mapping):
        return
    for section in ("kprobes", "tracepoints", "lsmhooks", "uprobes", "usdts"):
        for hook in spec.get(section) or []:
            if not isinstance(hook, Mapping):
                continue
            name = str(
                hook.get("call")
                or hook.get("hook")
                or hook.get("event")
                or hook.get("symbol")
                or ""
            )
            if ESCAPE_HOOKS.search(name) and _has_kill(hook):
                yield name


def _has_kill(hook: Mapping[str, Any]) -> bool:
    for selector in hook.get("selectors") or []:
        for action in selector.get("matchActions") or [] if isinstance(selector, Mapping) else []:
            if not isinstance(action, Mapping):
                continue
            kind = str(action.get("action", "")).lower()
            if kind in KILL_ACTIONS or (kind == "signal" and str(action.get("argSig")) == "9"):
                return True
    return False


def _selects_pods_in(inv: Inventory, view: ObjectView, namespace: str) -> bool:
    selector = view.get("spec", "podSelector")
    if selector is None or selectors.is_empty(selector):
        return True
    ns = inv.namespaces.get(namespace)
    pods = [p for w in (ns.workloads if ns else []) for p in w.pods]
    return any(selectors.matches(selector, p.labels) for p in pods)


# ---------------------------------------------------------------------------- KubeArmor


def _kubearmor(inv: Inventory, namespace: str) -> Iterator[tuple[bool, str, ObjectView]]:
    posture = _postures(inv, namespace)
    policies = inv.kind("KubeArmorClusterPolicy", group="security.kubearmor.com") + [
        r
        for r in inv.kind("KubeArmorPolicy", group="security.kubearmor.com")
        if r.namespace == namespace
    ]
    for resource in policies:
        view = ObjectView(resource, f"KubeArmor {resource.kind} {resource.name}")
        if resource.kind == "KubeArmorClusterPolicy" and not _cluster_policy_covers(
            inv, view, namespace
        ):
            continue
        actions = _kubearmor_actions(view.get("spec"))
        name = f"KubeArmor {resource.kind} {resource.name}"
        if "block" in actions:
            yield True, f"{name} blocks", view
        elif "allow" in actions and "block" in posture.values():
            blocking = ", ".join(k for k, v in posture.items() if v == "block")
            yield True, f"{name} allow-lists under a block default posture ({blocking})", view
        elif "allow" in actions:
            yield (
                False,
                (
                    f"{name} allow-lists, but the default posture is audit, so what it "
                    "does not allow is only audited"
                ),
                view,
            )
        else:
            yield False, f"{name} only audits", view


def _postures(inv: Inventory, namespace: str) -> dict[str, str]:
    found = {}
    for resource in inv.kind("KubeArmorConfig", group="operator.kubearmor.com"):
        spec = mapping_at(resource.body, "spec")
        for key, field_name in zip(
            POSTURE_KEYS,
            ("defaultFilePosture", "defaultNetworkPosture", "defaultCapabilitiesPosture"),
            strict=True,
        ):
            if spec.get(field_name):
                found[key] = str(spec[field_name]).lower()
    ns = inv.namespaces.get(namespace)
    annotations = metadata_map(ns.resource, "annotations") if ns and ns.resource else {}
    found.update({k: str(annotations[k]).lower() for k in POSTURE_KEYS if k in annotations})
    return found


def _cluster_policy_covers(inv: Inventory, view: ObjectView, namespace: str) -> bool:
    selector = view.get("spec", "selector")
    for expression in (
        (selector or {}).get("matchExpressions") or [] if isinstance(selector, Mapping) else []
    ):
        if isinstance(expression, Mapping) and expression.get("key") == "namespace":
            values = {str(v) for v in expression.get("values") or []}
            operator = expression.get("operator")
            return namespace in values if operator == "In" else namespace not in values
    return True


def _kubearmor_actions(spec: Any) -> set[str]:
    if not isinstance(spec, Mapping):
        return set()
    actions = {str(spec.get("action", "")).lower()} if spec.get("action") else set()
    for section in ("process", "file", "network", "capabilities", "syscalls"):
        block = spec.get(section)
        if isinstance(block, Mapping) and block.get("action"):
            actions.add(str(block["action"]).lower())
    return actions or {"audit"}


# -------------------------------------------------------------------------------- Falco


def _falco(inv: Inventory, _namespace: str) -> Iterator[tuple[bool, str, ObjectView]]:
    """Falco runs as a DaemonSet on every node: what it finds covers every namespace."""
    yield from inv.derived(_falco_cluster)


def _falco_cluster(inv: Inventory) -> list[tuple[bool, str, ObjectView]]:
    return list(_falco_verdicts(inv))


def _falco_verdicts(inv: Inventory) -> Iterator[tuple[bool, str, ObjectView]]:
    falco, talon, sidekick = _monitors(inv)
    if not (falco or talon or sidekick):
        return
    terminate = _talon_terminate(inv)
    if talon and terminate is not None:
        yield (
            True,
            (f"Falco Talon ({talon[0].subject}) terminates pods (kubernetes:terminate)"),
            terminate,
        )
        return
    if falco:
        missing = (
            "Falco Talon has no kubernetes:terminate rule"
            if talon
            else "no response engine such as Falco Talon terminates what it detects"
        )
        also = "; falcosidekick only forwards events" if sidekick else ""
        yield False, f"Falco ({falco[0].subject}) detects, but {missing}{also}", falco[0]
    elif sidekick:
        yield (
            False,
            "falcosidekick only forwards events (no Falco detector or response "
            "engine among the inputs)",
            sidekick[0],
        )


def _monitors(inv: Inventory) -> tuple[list[ObjectView], list[ObjectView], list[ObjectView]]:
    falco, talon, sidekick = [], [], []
    for workload in inv.workloads:
        images = " ".join(c.image.lower() for c in workload.containers())
        view = ObjectView(workload.resource, f"{workload.resource.kind} {workload.resource.name}")
        if "falco-talon" in images:
            talon.append(view)
        elif "falcosidekick" in images:
            sidekick.append(view)
        elif re.search(r"falcosecurity/falco(-no-driver|-distroless)?(:|@|$|\s)", images):
            falco.append(view)
    return falco, talon, sidekick


def _talon_terminate(inv: Inventory) -> ObjectView | None:
    for resource in inv.kind("ConfigMap"):
        data = resource.body.get("data")
        for key, text in data.items() if isinstance(data, Mapping) else []:
            if isinstance(text, str) and TERMINATE.search(text) and not DRY_RUN.search(text):
                return ObjectView(resource, f"ConfigMap {resource.name}", ("data", key))
    return None
