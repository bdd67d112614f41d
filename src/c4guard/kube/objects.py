"""Any Kubernetes object (or a block inside one) as the subject of a finding, able to say
where a setting is written or should be."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from c4guard.model import Location, Resource, ResourceRef
from c4guard.sources.yamlload import Mapping, YAMLLimitError, load_documents
from c4guard.workloads.views import ContainerView, PodView, Setting, dig, locate

Key = str | int


def dotted(keys: tuple[Key, ...]) -> str:
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else f".{key}"
    return text.lstrip(".")


@dataclass(frozen=True, slots=True)
class ObjectView:
    """A Kubernetes object, or the block at `base` inside it, as a finding's subject."""

    resource: Resource
    label: str = ""
    base: tuple[Key, ...] = ()

    @property
    def ref(self) -> ResourceRef:
        return self.resource.ref

    @property
    def subject(self) -> str:
        return self.label or f"{self.resource.kind} {self.resource.name}"

    @property
    def path(self) -> str:
        return dotted(self.base) or "metadata"

    @property
    def body(self) -> Any:
        return dig(self.resource.body, self.base) if self.base else self.resource.body

    def get(self, *keys: Key) -> Any:
        return dig(self.body, keys)

    def locate(self, *keys: Key) -> Location:
        return locate(self.resource.body, (*self.base, *keys), self.resource.location)

    def setting(self, *keys: Key) -> Setting:
        """The value at `keys` under the block, with where it is written (or should be)."""
        value = self.get(*keys)
        return Setting(
            value,
            self.locate(*keys),
            dotted((*self.base, *keys)),
            self.resource.kind if value is not None else None,
        )

    def at(self, *keys: Key, label: str = "") -> ObjectView:
        """The view of a block inside this one."""
        return ObjectView(self.resource, label or self.label, (*self.base, *keys))


def metadata_map(resource: Resource, key: str) -> dict[str, Any]:
    """`metadata.labels` or `metadata.annotations` of a resource, as strings."""
    metadata = resource.body.get("metadata")
    found = metadata.get(key) if isinstance(metadata, dict) else None
    return {str(k): v for k, v in found.items()} if isinstance(found, dict) else {}


def annotation_setting(pod: PodView, key: str, value: Any) -> Setting:
    """A pod annotation as a setting, located at its line in the template (or object)."""
    annotations = pod.metadata.get("annotations")
    location = pod.workload.resource.location
    if isinstance(annotations, Mapping):
        path, line = annotations.where(key)
        location = Location(path or location.path, line)
    return Setting(value, location, f"metadata.annotations.{key}", "annotation")


def container_setting(container: ContainerView, *keys: Key) -> Setting:
    """A setting under a container (`image`, `env[2].value`...), where it is written or the
    innermost block that exists."""
    value = dig(container.spec, keys)
    return Setting(
        value,
        locate(container.spec, keys, container.locate()),
        f"{container.path}.{dotted(keys)}",
        "container" if value is not None else None,
    )


def pod_labels(pod: PodView) -> dict[str, Any]:
    """The labels a pod will carry: its template's, else (for kinds whose controller builds
    the pod from the object, such as KServe) the object's own."""
    return pod.labels or metadata_map(pod.workload.resource, "labels")


def pod_annotations(pod: PodView) -> dict[str, Any]:
    return pod.annotations or metadata_map(pod.workload.resource, "annotations")


MAX_EMBEDDED = 1024 * 1024


def embedded_yaml(text: str, path: str, key_line: int) -> Any:
    """YAML held in a string (a ConfigMap value), parsed safely and numbered as lines of
    the file that holds it (exact for block scalars, which start on the next line)."""
    if len(text) > MAX_EMBEDDED:
        return None
    try:
        documents = list(load_documents("\n" * key_line + text, path))
    except (YAMLLimitError, yaml.YAMLError):
        return None
    return documents[0].value if documents else None
