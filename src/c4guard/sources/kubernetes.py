"""Kubernetes objects from YAML/JSON documents: multi-document streams, `List` kinds and
`kubectl get -o json` output."""

from __future__ import annotations

from typing import Any

from c4guard.model import Domain, Location, Origin, Resource
from c4guard.sources.structured import Interpreter
from c4guard.sources.yamlload import Document, Mapping

ORIGIN = Origin.KUBERNETES
DOMAIN = Domain.KUBERNETES
UNSPECIFIED_NAMESPACE = "<unspecified>"

CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "StorageClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "PriorityClass",
        "RuntimeClass",
        "APIService",
        "CSIDriver",
        "CSINode",
        "IngressClass",
        "PodSecurityPolicy",
        "VolumeSnapshotClass",
        "ClusterIssuer",
        "ClusterPolicy",
        "ClusterImagePolicy",
        "ClusterServingRuntime",
        "ClusterStorageContainer",
        "ClusterTrainingRuntime",
        "ClusterSecretStore",
        "ClusterExternalSecret",
        "ImageValidatingPolicy",
        "CiliumClusterwideNetworkPolicy",
        "GlobalNetworkPolicy",
        "GlobalNetworkSet",
        "TracingPolicy",
        "ClusterQueue",
        "ResourceFlavor",
        "Cohort",
        "ConstraintTemplate",
        "KubeArmorClusterPolicy",
        "ClusterPolicyReport",
        "MeshConfig",
        "GatewayClass",
        "NodeFeatureRule",
        "ClusterTrustBundle",
        "DeviceClass",
        "CcRuntime",
    }
)


def is_manifest(value: Any) -> bool:
    """A mapping with string `apiVersion` and `kind` is a Kubernetes object."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("apiVersion"), str)
        and isinstance(value.get("kind"), str)
    )


def is_list(value: dict[str, Any]) -> bool:
    return value["kind"].endswith("List") and isinstance(value.get("items"), list)


def resources_from_document(
    document: Document,
    path: str,
    namespace_override: str | None = None,
) -> list[Resource] | None:
    """The Kubernetes objects of one document, or None when it is not Kubernetes."""
    value = document.value
    if not is_manifest(value):
        return None
    if is_list(value):
        items = [item for item in value["items"] if is_manifest(item)]
        return [
            _resource(
                item,
                path,
                (_line(item), _item_end(items, index, document.end_line)),
                namespace_override,
            )
            for index, item in enumerate(items)
        ]
    return [_resource(value, path, (document.start_line, document.end_line), namespace_override)]


def _line(body: Any) -> int | None:
    return body.line if isinstance(body, Mapping) else None


def _item_end(items: list[Any], index: int, document_end: int) -> int:
    """A `List` item's text ends where the next item begins."""
    following = _line(items[index + 1]) if index + 1 < len(items) else None
    return following - 1 if following else document_end


def _resource(
    body: dict[str, Any],
    path: str,
    span: tuple[int | None, int],
    namespace_override: str | None,
) -> Resource:
    kind = body["kind"]
    metadata = body.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    name = metadata.get("name") or (
        f"{metadata['generateName']}*" if metadata.get("generateName") else "<unnamed>"
    )
    return Resource(
        origin=ORIGIN,
        kind=kind,
        name=str(name),
        namespace=_namespace(kind, metadata, namespace_override),
        body=body,
        location=Location(path, _line(body)),
        api_version=body["apiVersion"],
        start_line=span[0],
        end_line=span[1],
    )


def _namespace(kind: str, metadata: dict[str, Any], override: str | None) -> str | None:
    if kind in CLUSTER_SCOPED_KINDS:
        return None
    written = metadata.get("namespace")
    return override or (str(written) if written else UNSPECIFIED_NAMESPACE)


INTERPRETER = Interpreter(DOMAIN, resources_from_document)
