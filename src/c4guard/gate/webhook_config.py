"""The ValidatingWebhookConfiguration that sends the gate every workload kind c4guard
understands (Pods, controllers, and the AI kinds: KServe, Ray, Kubeflow, JobSet, LWS)."""

from __future__ import annotations

import base64
import math
import re
from collections import defaultdict
from typing import Any

from c4guard.gate.admission import VALIDATE_PATH
from c4guard.model import Resource
from c4guard.workloads import MERGED_KINDS
from c4guard.workloads.kinds import EXTRACTORS

WEBHOOK_NAME = "gate.c4guard.dev"
# Pods also change through this subresource (`kubectl debug` adds ephemeral containers).
POD_SUBRESOURCES = ("pods/ephemeralcontainers",)
NAMESPACE_LABEL = "kubernetes.io/metadata.name"
MAX_TIMEOUT_SECONDS = 30


def plural(kind: str) -> str:
    """The resource name of a kind, as Kubernetes derives it for CRDs."""
    lower = kind.lower()
    if re.search(r"(s|x|z|ch|sh)$", lower):
        return lower + "es"
    if re.search(r"[^aeiou]y$", lower):
        return lower[:-1] + "ies"
    return lower + "s"


def gated_kinds() -> list[tuple[str, str]]:
    """(API group, kind) of every workload kind the inventory understands."""
    return [*EXTRACTORS, *MERGED_KINDS]


def is_gated(resource: Resource) -> bool:
    """Whether the webhook receives objects like this one."""
    return resource.origin == "k8s" and (resource.api_group, resource.kind) in gated_kinds()


def gated_rules() -> list[dict[str, Any]]:
    """One rule per API group: CREATE and UPDATE of every workload kind."""
    by_group: dict[str, list[str]] = defaultdict(list)
    for group, kind in gated_kinds():
        by_group[group].append(plural(kind))
    by_group[""].extend(POD_SUBRESOURCES)
    return [
        {
            "apiGroups": [group],
            "apiVersions": ["*"],
            "operations": ["CREATE", "UPDATE"],
            "resources": sorted(resources),
            "scope": "*",
        }
        for group, resources in sorted(by_group.items())
    ]


def webhook_configuration(
    *, name: str, client_config: dict[str, Any], time_budget: float, exclude_namespaces: list[str]
) -> dict[str, Any]:
    """The ValidatingWebhookConfiguration object: fail closed, no side effects on dry
    runs, the gate's own namespace and kube-system left out."""
    timeout = min(MAX_TIMEOUT_SECONDS, math.ceil(time_budget) + 1)
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/name": "c4guard-gate"}},
        "webhooks": [
            {
                "name": WEBHOOK_NAME,
                "admissionReviewVersions": ["v1"],
                "clientConfig": client_config,
                "rules": gated_rules(),
                "failurePolicy": "Fail",
                "matchPolicy": "Equivalent",
                "sideEffects": "NoneOnDryRun",
                "timeoutSeconds": timeout,
                "namespaceSelector": {
                    "matchExpressions": [
                        {
                            "key": NAMESPACE_LABEL,
                            "operator": "NotIn",
                            "values": sorted(set(exclude_namespaces)),
                        }
                    ]
                },
            }
        ],
    }


def service_client_config(
    namespace: str, service: str, port: int, ca_bundle: bytes | None
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "service": {"namespace": namespace, "name": service, "path": VALIDATE_PATH, "port": port}
    }
    return _with_ca(config, ca_bundle)


def url_client_config(url: str, ca_bundle: bytes | None) -> dict[str, Any]:
    if not url.startswith("https://"):
        raise ValueError("the webhook URL must start with https://")
    return _with_ca({"url": url.rstrip("/") + VALIDATE_PATH}, ca_bundle)


def _with_ca(config: dict[str, Any], ca_bundle: bytes | None) -> dict[str, Any]:
    if ca_bundle is not None:
        config["caBundle"] = base64.b64encode(ca_bundle).decode()
    return config
