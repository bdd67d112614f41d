"""A generated cluster of any size in the proportions of issue 18's "100,000 objects":
per 100 objects one Namespace, 10 Deployments each with its ReplicaSet and 5 Pods (50),
15 Services and 14 NetworkPolicies, so that 100,000 objects are 50,000 Pods in 1,000
namespaces. Owner references carry the uids the recorded API server gives, so that
`c4guard cluster` judges Pods and ReplicaSets through their Deployments."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tests.live.apiserver import server_uid

PER_NAMESPACE = 100
DEPLOYMENTS = 10
PODS_PER_DEPLOYMENT = 5
SERVICES = 15
POLICIES = 14


def _container(app: str) -> dict[str, Any]:
    return {
        "name": app,
        "image": f"registry.example/{app}:1.4.2",
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "LOG_LEVEL", "value": "info"}],
        "resources": {
            "limits": {"cpu": "2", "memory": "4Gi"},
            "requests": {"cpu": "500m", "memory": "1Gi"},
        },
        "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
        "imagePullPolicy": "IfNotPresent",
        "terminationMessagePath": "/dev/termination-log",
    }


def _pod_spec(app: str) -> dict[str, Any]:
    return {
        "containers": [_container(app)],
        "serviceAccountName": app,
        "restartPolicy": "Always",
        "dnsPolicy": "ClusterFirst",
    }


def _owned(kind: str, name: str, ns: str, owner: dict[str, Any]) -> dict[str, Any]:
    meta = owner["metadata"]
    return {
        "name": name,
        "namespace": ns,
        "labels": {"app": meta["labels"]["app"]},
        "ownerReferences": [
            {
                "apiVersion": owner["apiVersion"],
                "kind": kind,
                "name": meta["name"],
                "uid": server_uid(owner),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }


def _deployment(ns: str, index: int) -> Iterator[dict[str, Any]]:
    """A Deployment, its ReplicaSet and its Pods."""
    app = f"app-{index}"
    labels = {"app": app}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": app, "namespace": ns, "labels": labels},
        "spec": {
            "replicas": PODS_PER_DEPLOYMENT,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": _pod_spec(app)},
        },
    }
    replicaset = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": _owned("Deployment", f"{app}-7d9f8c", ns, deployment),
        "spec": deployment["spec"],
    }
    yield deployment
    yield replicaset
    for pod in range(PODS_PER_DEPLOYMENT):
        yield {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": _owned("ReplicaSet", f"{app}-7d9f8c-{pod:05d}", ns, replicaset),
            "spec": {**_pod_spec(app), "nodeName": f"node-{pod}"},
            "status": {"phase": "Running", "podIP": f"10.0.{pod}.{index}"},
        }


def _service(ns: str, index: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"svc-{index}", "namespace": ns},
        "spec": {
            "selector": {"app": f"app-{index % DEPLOYMENTS}"},
            "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}],
            "type": "ClusterIP",
        },
    }


def _policy(ns: str, index: int) -> dict[str, Any]:
    app = f"app-{index % DEPLOYMENTS}"
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"allow-{index}", "namespace": ns},
        "spec": {
            "podSelector": {"matchLabels": {"app": app}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "frontend"}}}]}],
            "egress": [{"to": [{"namespaceSelector": {}}], "ports": [{"port": 53}]}],
        },
    }


def _namespace(ns: str) -> dict[str, Any]:
    labels = {"pod-security.kubernetes.io/enforce": "restricted", "team": ns}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}


def big_cluster(count: int) -> Iterator[dict[str, Any]]:
    """`count` objects (a multiple of 100), namespace by namespace."""
    if count % PER_NAMESPACE:
        raise ValueError(f"{count} is not a multiple of {PER_NAMESPACE}")
    for n in range(count // PER_NAMESPACE):
        ns = f"team-{n:04d}"
        yield _namespace(ns)
        for index in range(DEPLOYMENTS):
            yield from _deployment(ns, index)
        yield from (_service(ns, i) for i in range(SERVICES))
        yield from (_policy(ns, i) for i in range(POLICIES))


def write_list(count: int, out: Any) -> None:
    """The cluster as one `kind: List` JSON document (what `kubectl get ... -o json` of
    every kind gives), written object by object."""
    out.write('{"apiVersion": "v1", "kind": "List", "metadata": {}, "items": [')
    for index, obj in enumerate(big_cluster(count)):
        out.write(("," if index else "") + json.dumps(obj))
    out.write("]}\n")
