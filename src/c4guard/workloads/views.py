"""Views of workloads: pods (effective pod specs) and their containers, each able to say
where a setting is written, or where it should be."""

from __future__ import annotations

from collections import abc
from dataclasses import dataclass, field
from typing import Any

from c4guard.model import Location, Resource, ResourceRef
from c4guard.sources.merge import where
from c4guard.sources.yamlload import Mapping, Sequence

CONTAINER_GROUPS = ("initContainers", "containers", "ephemeralContainers")
# securityContext fields that a pod sets for all its containers (containers override them).
POD_LEVEL_SECURITY = frozenset(
    {
        "runAsUser",
        "runAsGroup",
        "runAsNonRoot",
        "seLinuxOptions",
        "seccompProfile",
        "appArmorProfile",
        "windowsOptions",
    }
)
EMPTY = Mapping(None, None)


@dataclass(frozen=True, slots=True)
class Setting:
    """A setting's effective value, where it is written (or should be), and its path."""

    value: Any
    location: Location
    path: str
    source: str | None  # "container", "pod", "annotation" or None when absent

    @property
    def present(self) -> bool:
        return self.source is not None


@dataclass(frozen=True, slots=True)
class PodTemplate:
    """What an extractor finds in a workload: one pod template (or effective pod spec)."""

    role: str
    spec: Mapping
    metadata: Mapping
    path: str
    notes: tuple[str, ...] = ()


def locate(block: Any, keys: tuple[str | int, ...], fallback: Location) -> Location:
    """The location of the deepest of `keys` (mapping keys, or list indexes) that exists
    under `block`."""
    path, line = fallback.path, fallback.line
    if getattr(block, "line", None) is not None:
        path, line = getattr(block, "path", None) or path, block.line
    node = block
    for key in keys:
        if isinstance(key, int):
            if not isinstance(node, list) or not 0 <= key < len(node):
                break
            if isinstance(node, Sequence) and key < len(node.item_lines):
                line = node.item_lines[key] or line
            node = node[key]
            line = getattr(node, "line", None) or line
            continue
        if not isinstance(node, dict) or key not in node:
            break
        key_path, key_line = where(node, key)
        path, line = key_path or path, key_line or line
        node = node[key]
    return Location(path or fallback.path, line)


@dataclass(eq=False, slots=True)
class Workload:
    """A resource that runs pods, with its classes (and why it has each)."""

    resource: Resource
    pods: list[PodView] = field(default_factory=list)
    classes: dict[str, str] = field(default_factory=dict)
    environment: str | None = None
    environment_reason: str = ""

    @property
    def ref(self) -> ResourceRef:
        return self.resource.ref

    @property
    def namespace(self) -> str | None:
        return self.resource.namespace

    def containers(self) -> list[ContainerView]:
        return [c for pod in self.pods for c in pod.containers]

    def why(self, name: str) -> str:
        """`class (reason)` for a class the workload has, for messages."""
        return f"{name}: {self.classes[name]}" if name in self.classes else ""


@dataclass(eq=False, slots=True)
class PodView:
    workload: Workload
    role: str
    spec: Mapping
    metadata: Mapping
    path: str
    notes: tuple[str, ...] = ()
    containers: list[ContainerView] = field(default_factory=list)

    @property
    def ref(self) -> ResourceRef:
        return self.workload.ref

    @property
    def subject(self) -> str:
        return f"pod ({self.role})" if self.role else "pod"

    @property
    def annotations(self) -> dict[str, Any]:
        return _string_map(self.metadata.get("annotations"))

    @property
    def labels(self) -> dict[str, Any]:
        return _string_map(self.metadata.get("labels"))

    def fallback(self) -> Location:
        return self.workload.resource.location

    def locate(self, *keys: str) -> Location:
        return locate(self.spec, keys, self.fallback())

    def setting(self, *keys: str) -> Setting:
        """A pod-level setting (`hostPID`, `securityContext.runAsUser`, ...)."""
        value = dig(self.spec, keys)
        return Setting(
            value,
            self.locate(*keys),
            f"{self.path}.{'.'.join(keys)}",
            "pod" if value is not None else None,
        )


@dataclass(eq=False, slots=True)
class ContainerView:
    pod: PodView
    name: str
    group: str
    spec: Mapping
    path: str

    @property
    def ref(self) -> ResourceRef:
        return self.pod.ref

    @property
    def subject(self) -> str:
        kind = {"initContainers": "init container", "ephemeralContainers": "ephemeral container"}
        role = f" ({self.pod.role})" if self.pod.role else ""
        return f"{kind.get(self.group, 'container')} {self.name}{role}"

    @property
    def image(self) -> str:
        image = self.spec.get("image")
        return image if isinstance(image, str) else ""

    def locate(self, *keys: str) -> Location:
        return locate(self.spec, keys, self.pod.fallback())

    def security(self, key: str, *subkeys: str) -> Setting:
        """The effective `securityContext.<key>`: the container's, else the pod's."""
        keys = ("securityContext", key, *subkeys)
        own = dig(self.spec, keys)
        if own is not None:
            return Setting(own, self.locate(*keys), f"{self.path}.{'.'.join(keys)}", "container")
        if key in POD_LEVEL_SECURITY:
            inherited = dig(self.pod.spec, keys)
            if inherited is not None:
                return Setting(
                    inherited, self.pod.locate(*keys), f"{self.pod.path}.{'.'.join(keys)}", "pod"
                )
        return Setting(None, self.locate(*keys), f"{self.path}.{'.'.join(keys)}", None)


def mapping_at(block: abc.Mapping[str, Any], key: str) -> abc.Mapping[str, Any]:
    """The mapping under `key`, else an empty one (absent, or not a mapping)."""
    value = block.get(key)
    return value if isinstance(value, abc.Mapping) else {}


def dig(block: Any, keys: tuple[str | int, ...]) -> Any:
    """The value at `keys` (mapping keys and list indexes), or None."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(block, list) or not -len(block) <= key < len(block):
                return None
            block = block[key]
        elif isinstance(block, dict):
            block = block.get(key)
        else:
            return None
    return block


def _string_map(value: Any) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


def container_views(pod: PodView) -> list[ContainerView]:
    """initContainers, containers and ephemeralContainers of a pod, in that order."""
    views = []
    for group in CONTAINER_GROUPS:
        items = pod.spec.get(group)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            if isinstance(item, Mapping):
                name = str(item.get("name") or f"#{index}")
                views.append(ContainerView(pod, name, group, item, f"{pod.path}.{group}[{name}]"))
    return views
