"""How NVIDIA GPUs are shared, as the device plugin and the gpu-operator configure it:
time-slicing and MPS (`sharing.timeSlicing` / `sharing.mps` in a device-plugin config held
in a ConfigMap; the gpu-operator ClusterPolicy's `devicePlugin.config` names it and its
default; other entries apply to nodes labelled `nvidia.com/device-plugin.config`), the
`nvidia.com/gpu.shared` resource of renamed shared GPUs, MIG slices, and GKE's node labels
for sharing and partitioning."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from c4guard.kube.accelerators import MIG_PREFIX, SHARED_GPU, gpu_operator_policies
from c4guard.kube.objects import ObjectView, embedded_yaml
from c4guard.sources.yamlload import Mapping as LineMapping
from c4guard.workloads.views import mapping_at

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads import PodView

CONFIG_LABEL = "nvidia.com/device-plugin.config"
GKE_SHARING = "cloud.google.com/gke-gpu-sharing-strategy"
GKE_PARTITION = "cloud.google.com/gke-gpu-partition-size"
MIG_NODE_LABELS = ("nvidia.com/mig.config", "nvidia.com/mig.strategy")


@dataclass(frozen=True, slots=True)
class Sharing:
    """A device-plugin sharing configuration: which resources it shares and how."""

    method: str  # "time-slicing" or "MPS"
    resources: frozenset[str]
    view: ObjectView
    key: str
    default: bool  # applies to every GPU node (not only labelled ones)


def sharing_configs(inv: Inventory) -> list[Sharing]:
    return inv.derived(_build)


def _build(inv: Inventory) -> list[Sharing]:
    defaults = {}
    for policy in gpu_operator_policies(inv):
        config = ObjectView(policy).get("spec", "devicePlugin", "config")
        if isinstance(config, Mapping) and config.get("name"):
            defaults[str(config["name"])] = str(config.get("default") or "")
    found = []
    for resource in inv.kind("ConfigMap"):
        data = resource.body.get("data")
        if not isinstance(data, Mapping):
            continue
        entries = [(k, v) for k, v in data.items() if isinstance(v, str) and "sharing" in v]
        for key, text in entries:
            line = data.line_of(key) if isinstance(data, LineMapping) else None
            parsed = embedded_yaml(text, resource.location.path, line or 0)
            method, shared = _sharing(parsed)
            if method is None:
                continue
            if resource.name in defaults:
                default = defaults[resource.name] == key
            else:
                default = len(data) == 1  # a standalone plugin's single configuration
            view = ObjectView(resource, f"ConfigMap {resource.name} ({key})", ("data", key))
            found.append(Sharing(method, shared, view, str(key), default))
    return found


def _sharing(parsed: Any) -> tuple[str | None, frozenset[str]]:
    sharing = parsed.get("sharing") if isinstance(parsed, Mapping) else None
    if not isinstance(sharing, Mapping):
        return None, frozenset()
    for key, method in (("timeSlicing", "time-slicing"), ("mps", "MPS")):
        block = sharing.get(key)
        if isinstance(block, Mapping):
            names = frozenset(
                str(r.get("name"))
                for r in block.get("resources") or []
                if isinstance(r, Mapping) and r.get("name")
            )
            if names:
                return method, names
    return None, frozenset()


@dataclass(frozen=True, slots=True)
class GpuAccess:
    """How a pod gets its GPUs: `mode` is mig, shared or whole."""

    mode: str
    how: str
    sharing: Sharing | None = None


def gpu_access(inv: Inventory, pod: PodView, resource: str) -> GpuAccess:
    selector = mapping_at(pod.spec, "nodeSelector")
    if resource.startswith(MIG_PREFIX):
        return GpuAccess("mig", f"a MIG slice ({resource})")
    if selector.get(GKE_PARTITION):
        return GpuAccess("mig", f"a MIG partition ({GKE_PARTITION}: {selector[GKE_PARTITION]})")
    mig_label = next((k for k in MIG_NODE_LABELS if k in selector), None)
    if mig_label and resource == "nvidia.com/gpu":
        return GpuAccess(
            "mig", f"MIG slices of the single strategy ({mig_label}: {selector[mig_label]})"
        )
    if selector.get(GKE_SHARING):
        return GpuAccess("shared", f"GPUs shared by {selector[GKE_SHARING]} ({GKE_SHARING})")
    if resource == SHARED_GPU:
        return GpuAccess("shared", f"time-sliced GPUs ({SHARED_GPU})")
    labelled = str(selector.get(CONFIG_LABEL, ""))
    for sharing in sharing_configs(inv):
        applies = sharing.key == labelled if labelled else sharing.default
        if applies and resource in sharing.resources:
            return GpuAccess("shared", f"{sharing.method} GPUs ({sharing.view.subject})", sharing)
    return GpuAccess("whole", f"whole GPUs ({resource})")
