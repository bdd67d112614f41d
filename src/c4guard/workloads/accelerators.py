"""Accelerator resources (GPUs, TPUs, Neuron, Gaudi...) that containers request."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any

from c4guard.model import Location
from c4guard.workloads.views import ContainerView, mapping_at

ACCELERATOR_RESOURCES = (
    "nvidia.com/gpu",
    "nvidia.com/gpu.shared",
    "nvidia.com/mig-*",
    "amd.com/gpu",
    "google.com/tpu",
    "aws.amazon.com/neuron",
    "aws.amazon.com/neuroncore",
    "aws.amazon.com/neurondevice",
    "habana.ai/gaudi",
    "gpu.intel.com/*",
    "intel.com/gpu",
    "qualcomm.com/qaic",
    "furiosa.ai/*",
    "rebellions.ai/*",
)
MIG_PREFIX = "nvidia.com/mig-"
SHARED_GPU = "nvidia.com/gpu.shared"


@lru_cache(maxsize=1024)  # a cluster names a handful of resources, a million times over
def is_accelerator(name: str) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in ACCELERATOR_RESOURCES)


@dataclass(frozen=True, slots=True)
class AcceleratorRequest:
    """One accelerator resource of a container: its request and limit, where written."""

    resource: str
    request: Any
    limit: Any
    location: Location


def accelerator_requests(container: ContainerView) -> list[AcceleratorRequest]:
    resources = container.spec.get("resources")
    if not isinstance(resources, dict):
        return []
    requests = mapping_at(resources, "requests")
    limits = mapping_at(resources, "limits")
    found = []
    for name in dict.fromkeys([*limits, *requests]):
        if is_accelerator(str(name)):
            block = "limits" if name in limits else "requests"
            found.append(
                AcceleratorRequest(
                    str(name),
                    requests.get(name),
                    limits.get(name),
                    container.locate("resources", block, name),
                )
            )
    return found
