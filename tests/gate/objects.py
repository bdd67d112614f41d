"""Kubernetes objects for the gate tests."""

from __future__ import annotations

import copy
from typing import Any

HARDENED_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
}
LIMITS = {"limits": {"cpu": "1", "memory": "1Gi"}}
HARDENED_POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def pod(
    image: str,
    *,
    name: str = "app",
    namespace: str = "ml",
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    container_security: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A Pod that passes every deny rule of the default policy; change `container_security`
    to break one."""
    security = {**HARDENED_CONTAINER_SECURITY, **(container_security or {})}
    metadata: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": copy.deepcopy(HARDENED_POD_SECURITY),
            "containers": [
                {
                    "name": "server",
                    "image": image,
                    "securityContext": security,
                    "resources": copy.deepcopy(LIMITS),
                }
            ],
        },
    }


def deployment(image: str, *, name: str = "app", namespace: str = "ml") -> dict[str, Any]:
    template = pod(image, name=name, namespace=namespace)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": template["spec"]},
        },
    }


def privileged(image: str, **kwargs: Any) -> dict[str, Any]:
    """A pod with one privileged container (which the API server only accepts with
    privilege escalation allowed)."""
    return pod(
        image, container_security={"privileged": True, "allowPrivilegeEscalation": True}, **kwargs
    )
