"""C4.7 AI hardware security: Kubernetes evidence for 4.7.1 (accelerators attested before
use) and 4.7.2 (GPU memory isolated between tenants: MIG rather than time-slicing or MPS
shared across namespaces)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, not_applicable, passed
from c4guard.kube.accelerators import accelerator_requests, gpu_operator_policies
from c4guard.kube.gpu_sharing import gpu_access
from c4guard.kube.objects import ObjectView, container_setting
from c4guard.kube.tee import tee_posture
from c4guard.model import NotApplicable

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads import ContainerView, PodView

GPU_OPERATOR = "https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/"
ATTESTATION_IMAGES = (
    "nvtrust",
    "nv-attestation",
    "gpu-verifier",
    "gpu-attestation",
    "attestation-sdk",
)


def _accelerated(inv: Inventory) -> list[tuple[ContainerView, str]]:
    return [(c, r.resource) for c in inv.containers() for r in accelerator_requests(c)]


@check(
    "K8S-ACCELERATOR-ATTESTATION",
    requirement="4.7.1",
    severity="medium",
    title="Accelerators are attested before workloads run on them",
    remediation="Enable GPU confidential computing with the gpu-operator (`ccManager.enabled: "
    'true`, `defaultMode: "on"`) and run GPU workloads in confidential runtime '
    "classes, or verify the GPU (NVIDIA nvtrust) in an init container.",
    references=(
        GPU_OPERATOR + "gpu-operator-confidential-containers.html",
        "https://github.com/NVIDIA/nvtrust",
    ),
)
def accelerator_attested(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """A tampered GPU or firmware sees every tensor the workload computes."""
    pods: dict[int, PodView] = {id(c.pod): c.pod for c, _ in _accelerated(inv)}
    if not pods:
        yield not_applicable("4.7.1", "workloads were scanned and none requests an accelerator")
        return
    cc = [
        p
        for p in gpu_operator_policies(inv)
        if ObjectView(p).get("spec", "ccManager", "enabled") is True
    ]
    for pod in pods.values():
        verifier = next(
            (
                c
                for c in pod.containers
                if c.group == "initContainers"
                and any(i in c.image.lower() for i in ATTESTATION_IMAGES)
            ),
            None,
        )
        tee = tee_posture(inv, pod)
        if verifier is not None:
            yield passed(
                pod,
                f"verifies the accelerator in {verifier.subject} before the workload starts",
                setting=container_setting(verifier, "image"),
            )
        elif cc and tee.confidential and tee.attests:
            view = ObjectView(cc[0])
            yield passed(
                pod,
                f"uses GPUs in confidential-computing mode (ClusterPolicy "
                f"{cc[0].name} ccManager) inside a {tee.how}",
                setting=view.setting("spec", "ccManager", "enabled"),
            )
        else:
            yield failed(
                pod,
                "uses accelerators that nothing attests before it runs (no GPU "
                "confidential computing in an attesting TEE, no verification "
                "step)",
                setting=pod.setting("runtimeClassName"),
            )


@check(
    "K8S-GPU-ISOLATION",
    requirement="4.7.2",
    severity="high",
    title="GPU memory is not shared between tenants",
    remediation="Give tenants MIG slices (`nvidia.com/mig-*`, or the single strategy) or "
    "whole GPUs; do not time-slice or MPS-share GPUs across namespaces.",
    references=(GPU_OPERATOR + "gpu-sharing.html", GPU_OPERATOR + "gpu-operator-mig.html"),
)
def gpu_memory_isolated(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Time-slicing and MPS give workloads the same GPU memory without isolation; across
    tenants one can read another's weights and activations."""
    accelerated = _accelerated(inv)
    if not accelerated:
        yield not_applicable("4.7.2", "workloads were scanned and none requests an accelerator")
        return
    judged = [(c, r, gpu_access(inv, c.pod, r)) for c, r in accelerated]
    tenants: dict[str, set[str]] = defaultdict(set)
    for container, _resource, access in judged:
        if access.mode == "shared":
            tenants[access.how].add(container.pod.workload.namespace or "")
    for container, resource, access in judged:
        setting = container_setting(container, "resources", "limits", resource)
        if access.mode == "mig":
            yield passed(
                container,
                f"gets {access.how}: its GPU memory is isolated in hardware",
                setting=setting,
            )
        elif access.mode == "whole":
            yield passed(
                container,
                f"gets {access.how}, not shared with other pods (memory is "
                "cleared between jobs only by the driver; MIG isolates "
                "further)",
                setting=setting,
            )
        elif len(tenants[access.how]) > 1:
            others = ", ".join(sorted(tenants[access.how]))
            yield failed(
                container,
                f"gets {access.how}, shared by the namespaces {others}: "
                "GPU memory is not isolated between tenants",
                setting=setting,
            )
        else:
            yield passed(
                container,
                f"gets {access.how}, shared only within namespace "
                f"{container.pod.workload.namespace} (one tenant; its pods "
                "share GPU memory)",
                setting=setting,
            )
