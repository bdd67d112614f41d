"""Service meshes as they decide mTLS and egress: Istio (sidecar or ambient injection,
PeerAuthentication precedence, mesh config), Linkerd (injection and default inbound
policy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from c4guard.kube import selectors
from c4guard.kube.objects import (
    ObjectView,
    embedded_yaml,
    metadata_map,
    pod_annotations,
    pod_labels,
)
from c4guard.model import Resource

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads import PodView

ISTIO_ROOT_NAMESPACE = "istio-system"
INJECT = "sidecar.istio.io/inject"
AMBIENT = "istio.io/dataplane-mode"
LINKERD_INJECT = "linkerd.io/inject"
LINKERD_POLICY = "config.linkerd.io/default-inbound-policy"
LINKERD_AUTHENTICATED = frozenset({"all-authenticated", "cluster-authenticated"})
STRICT, PERMISSIVE = "STRICT", "PERMISSIVE"


@dataclass(slots=True)
class MeshConfig:
    """Istio's mesh-wide settings found among the inputs (IstioOperator, the `istio`
    ConfigMap, Telemetry)."""

    root_namespace: str = ISTIO_ROOT_NAMESPACE
    registry_only: ObjectView | None = None
    outbound_mode: str | None = None
    outbound_at: ObjectView | None = None
    access_log: ObjectView | None = None
    namespace_access_logs: dict[str, ObjectView] = field(default_factory=dict)


def mesh_config(inv: Inventory) -> MeshConfig:
    return inv.derived(_build_mesh_config)


def _build_mesh_config(inv: Inventory) -> MeshConfig:
    config = MeshConfig()
    for resource in inv.kind("IstioOperator", group="install.istio.io"):
        _read_mesh(
            config, ObjectView(resource, "IstioOperator " + resource.name, ("spec", "meshConfig"))
        )
    for resource in inv.kind("ConfigMap"):
        if resource.name == "istio" or resource.name.startswith("istio-"):
            mesh = _configmap_mesh(resource)
            if mesh is not None:
                _read_mesh(config, mesh)
    for resource in inv.kind("Telemetry", group="telemetry.istio.io"):
        _read_telemetry(config, resource)
    return config


def _configmap_mesh(resource: Resource) -> ObjectView | None:
    """The `mesh` key of an Istio ConfigMap, parsed (safely) with the file's line numbers."""
    data = resource.body.get("data")
    text = data.get("mesh") if isinstance(data, dict) else None
    if not isinstance(text, str):
        return None
    parsed = embedded_yaml(text, resource.location.path, data.line_of("mesh") or 0)
    if not isinstance(parsed, dict):
        return None
    copy = Resource(
        resource.origin,
        resource.kind,
        resource.name,
        resource.namespace,
        parsed,
        resource.location,
        resource.api_version,
    )
    return ObjectView(copy, f"ConfigMap {resource.name} (mesh)")


def _read_mesh(config: MeshConfig, mesh: ObjectView) -> None:
    if not isinstance(mesh.body, dict):
        return
    root = mesh.get("rootNamespace")
    if isinstance(root, str) and root:
        config.root_namespace = root
    mode = mesh.get("outboundTrafficPolicy", "mode")
    if isinstance(mode, str):
        config.outbound_mode = mode
        config.outbound_at = mesh.at("outboundTrafficPolicy", "mode")
        if mode == "REGISTRY_ONLY":
            config.registry_only = config.outbound_at
    log_file = mesh.get("accessLogFile")
    if isinstance(log_file, str) and log_file.strip():
        config.access_log = mesh.at("accessLogFile")


def _read_telemetry(config: MeshConfig, resource: Resource) -> None:
    view = ObjectView(resource, f"Telemetry {resource.name}")
    for index, entry in enumerate(view.get("spec", "accessLogging") or []):
        if isinstance(entry, dict) and entry.get("disabled") is not True:
            at = view.at("spec", "accessLogging", index)
            if resource.namespace == config.root_namespace and not view.get("spec", "selector"):
                config.access_log = config.access_log or at
            elif resource.namespace:
                config.namespace_access_logs.setdefault(resource.namespace, at)


# ---------------------------------------------------------------------------- membership


@dataclass(frozen=True, slots=True)
class Membership:
    """How a pod joins a mesh (or why it does not)."""

    mesh: str | None  # "istio", "istio-ambient", "linkerd" or None
    reason: str


def membership(inv: Inventory, pod: PodView) -> Membership:
    namespace = pod.workload.namespace or ""
    ns_view = inv.namespaces.get(namespace)
    ns_labels = ns_view.labels if ns_view else {}
    ns_annotations = (
        metadata_map(ns_view.resource, "annotations") if ns_view and ns_view.resource else {}
    )
    labels, annotations = pod_labels(pod), pod_annotations(pod)
    opt_out = str(labels.get(INJECT, annotations.get(INJECT, ""))).lower()
    if opt_out == "false":
        return Membership(None, f"opts out of Istio injection ({INJECT}: false)")
    if ns_labels.get(AMBIENT) == "ambient" or labels.get(AMBIENT) == "ambient":
        return Membership("istio-ambient", f"runs in Istio ambient mode ({AMBIENT}: ambient)")
    if opt_out == "true":
        return Membership("istio", f"has an Istio sidecar ({INJECT}: true)")
    if ns_labels.get("istio-injection") == "enabled":
        return Membership("istio", f"namespace {namespace} has istio-injection: enabled")
    if "istio.io/rev" in ns_labels and ns_labels.get("istio-injection") != "disabled":
        return Membership("istio", f"namespace {namespace} has istio.io/rev")
    linkerd = annotations.get(LINKERD_INJECT) or ns_annotations.get(LINKERD_INJECT)
    if str(linkerd) in ("enabled", "ingress"):
        return Membership("linkerd", f"is meshed by Linkerd ({LINKERD_INJECT}: {linkerd})")
    return Membership(None, "is in no service mesh (no Istio or Linkerd injection)")


def linkerd_policy(inv: Inventory, pod: PodView) -> str:
    """The Linkerd default inbound policy for a pod (Linkerd's own default:
    all-unauthenticated)."""
    ns_view = inv.namespaces.get(pod.workload.namespace or "")
    ns_annotations = (
        metadata_map(ns_view.resource, "annotations") if ns_view and ns_view.resource else {}
    )
    return str(
        pod_annotations(pod).get(LINKERD_POLICY)
        or ns_annotations.get(LINKERD_POLICY)
        or "all-unauthenticated"
    )


# ------------------------------------------------------------------ peer authentication


@dataclass(frozen=True, slots=True)
class PeerAuth:
    """The effective Istio mTLS mode for a pod, the policy that set it, and port overrides."""

    mode: str
    source: ObjectView | None
    chain: str
    ports: dict[str, tuple[str, ObjectView]]


def peer_authentication(inv: Inventory, pod: PodView) -> PeerAuth:
    """Istio's precedence: a workload-selector policy over the namespace's policy over the
    root namespace's mesh-wide policy; UNSET inherits from the level above; with none,
    PERMISSIVE."""
    namespace = pod.workload.namespace or ""
    root = mesh_config(inv).root_namespace
    labels = pod_labels(pod)
    mesh_wide = ns_wide = workload = None
    for resource in inv.kind("PeerAuthentication", group="security.istio.io"):
        selector = _selector(resource)
        if selector is None:
            if resource.namespace == root and mesh_wide is None:
                mesh_wide = resource
            if resource.namespace == namespace and namespace != root and ns_wide is None:
                ns_wide = resource
        elif (
            resource.namespace == namespace
            and workload is None
            and selectors.matches({"matchLabels": selector}, labels)
        ):
            workload = resource
    mode, source, chain = PERMISSIVE, None, "no PeerAuthentication applies (Istio default)"
    for level, applied in (
        ("mesh-wide", mesh_wide),
        ("namespace", ns_wide),
        ("workload", workload),
    ):
        if applied is None:
            continue
        own = _mode(applied)
        if own != "UNSET":
            mode, source = (
                own,
                ObjectView(applied, f"PeerAuthentication {applied.name}", ("spec", "mtls", "mode")),
            )
            chain = f"{level} PeerAuthentication {applied.namespace}/{applied.name}"
    return PeerAuth(mode, source, chain, _port_modes(workload))


def _selector(resource: Resource) -> dict[str, Any] | None:
    spec = resource.body.get("spec")
    selector = spec.get("selector") if isinstance(spec, dict) else None
    labels = selector.get("matchLabels") if isinstance(selector, dict) else None
    return dict(labels) if isinstance(labels, dict) and labels else None


def _mode(resource: Resource) -> str:
    spec = resource.body.get("spec")
    mtls = spec.get("mtls") if isinstance(spec, dict) else None
    mode = mtls.get("mode") if isinstance(mtls, dict) else None
    return str(mode).upper() if mode else "UNSET"


def _port_modes(resource: Resource | None) -> dict[str, tuple[str, ObjectView]]:
    if resource is None:
        return {}
    spec = resource.body.get("spec")
    ports = spec.get("portLevelMtls") if isinstance(spec, dict) else None
    found = {}
    for port, block in ports.items() if isinstance(ports, dict) else []:
        mode = block.get("mode") if isinstance(block, dict) else None
        if mode and str(mode).upper() != "UNSET":
            found[str(port)] = (
                str(mode).upper(),
                ObjectView(
                    resource,
                    f"PeerAuthentication {resource.name}",
                    ("spec", "portLevelMtls", port, "mode"),
                ),
            )
    return found
