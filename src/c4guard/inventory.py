"""The inventory: resources indexed for the checks, and the views derived from them
(workloads with effective pod specs, namespaces, classes)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from c4guard.classify import classify
from c4guard.config import Config
from c4guard.model import ANY_KIND, KindKey, Location, Resource, ResourceRef
from c4guard.sources.kubernetes import ORIGIN as K8S
from c4guard.sources.kubernetes import UNSPECIFIED_NAMESPACE
from c4guard.workloads import WORKLOAD_KINDS, ContainerView, PodView, Workload, build_workloads
from c4guard.workloads.views import locate

WORKLOAD_READS = frozenset((K8S, kind) for _, kind in WORKLOAD_KINDS)
NAMESPACE_READS = WORKLOAD_READS | {(K8S, "Namespace")}
# A namespace name Kubernetes accepts (a DNS-1123 label). Any other name
# (`FILLED_BY_VALIDATOR`, `{{ .Release.Namespace }}`) is a placeholder a tool fills in.
NAMESPACE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
T = TypeVar("T")


@dataclass(eq=False, slots=True)
class NamespaceView:
    """A namespace: declared by a Namespace object, or implied by the resources in it."""

    name: str
    resource: Resource | None = None
    workloads: list[Workload] = field(default_factory=list)

    @property
    def ref(self) -> ResourceRef:
        return self.resource.ref if self.resource else ResourceRef(K8S, "Namespace", self.name)

    @property
    def subject(self) -> str:
        return f"namespace {self.name}"

    @property
    def path(self) -> str:
        return "metadata"

    @property
    def labels(self) -> dict[str, Any]:
        if self.resource is None:
            return {}
        metadata = self.resource.body.get("metadata")
        labels = metadata.get("labels") if isinstance(metadata, dict) else None
        return dict(labels) if isinstance(labels, dict) else {}

    @property
    def declared(self) -> bool:
        return self.resource is not None

    @property
    def unspecified(self) -> bool:
        return self.name == UNSPECIFIED_NAMESPACE

    def locate(self, *keys: str) -> Location:
        """Where a namespace-level setting is (or should be): the Namespace object, else the
        first workload that implies the namespace."""
        if self.resource is not None:
            return locate(self.resource.body, keys, self.resource.location)
        return self.workloads[0].resource.location if self.workloads else Location("<none>")


class Inventory:
    """Everything the checks read, indexed once.

    `reads` collects the (origin, kind) of what has been asked for since the engine last
    cleared it, so that evidence the inputs lack (a kind a cluster would not list) turns
    exactly the requirements whose checks read it to `review`."""

    def __init__(
        self,
        resources: list[Resource],
        config: Config | None = None,
        files_by_domain: dict[str, int] | None = None,
    ) -> None:
        self.config = config or Config()
        self.files_by_domain = files_by_domain or {}
        self.reads: set[KindKey] = set()
        self._resources = resources
        self._by_kind: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for resource in resources:
            self._by_kind[(resource.origin, resource.kind)].append(resource)
        self._workloads = build_workloads([r for r in resources if r.origin == K8S])
        # Kinds that are workloads here: the known ones, and any that embed a pod template.
        self._workload_reads = WORKLOAD_READS | {(K8S, w.resource.kind) for w in self._workloads}
        classify(self._workloads, self.config, self._namespace_labels())
        self._namespaces = self._index_namespaces()
        self._derived: dict[Callable[[Inventory], Any], tuple[Any, set[KindKey]]] = {}
        self.reads.clear()

    def derived(self, build: Callable[[Inventory], T]) -> T:
        """A view derived from the whole inventory (network model, RBAC graph...), built
        once and shared by every check that needs it; each check that uses it is recorded
        as reading what the view read."""
        if build not in self._derived:
            outer, self.reads = self.reads, set()
            value = build(self)
            self._derived[build] = (value, self.reads)
            self.reads = outer
        value, read = self._derived[build]
        self.reads |= read
        return value

    @property
    def resources(self) -> list[Resource]:
        self.reads.add(ANY_KIND)
        return self._resources

    @property
    def workloads(self) -> list[Workload]:
        self.reads.update(self._workload_reads)
        return self._workloads

    @property
    def namespaces(self) -> dict[str, NamespaceView]:
        """Namespaces declared or implied (dict name -> view)."""
        self.reads.update(NAMESPACE_READS | self._workload_reads)
        return self._namespaces

    def kind(self, kind: str, origin: str = K8S, group: str | None = None) -> list[Resource]:
        """Resources of a kind (optionally of one API group)."""
        self.reads.add((origin, kind))
        found = self._by_kind.get((origin, kind), [])
        return found if group is None else [r for r in found if r.api_group == group]

    def pods(self) -> Iterator[PodView]:
        for workload in self.workloads:
            yield from workload.pods

    def containers(self) -> Iterator[ContainerView]:
        for workload in self.workloads:
            for pod in workload.pods:
                yield from pod.containers

    def find(self, kind: str, namespace: str | None, name: str) -> Resource | None:
        return next(
            (r for r in self.kind(kind) if r.namespace == namespace and r.name == name), None
        )

    def namespaces_with_workloads(self) -> list[NamespaceView]:
        """Namespaces with workloads, as namespace-level checks judge them: a name that
        Kubernetes would reject is a placeholder, not a namespace to judge."""
        return [
            ns
            for ns in self.namespaces.values()
            if ns.workloads and (ns.unspecified or NAMESPACE_NAME.fullmatch(ns.name))
        ]

    def _namespace_labels(self) -> dict[str, dict[str, Any]]:
        return {r.name: NamespaceView(r.name, r).labels for r in self.kind("Namespace")}

    def _index_namespaces(self) -> dict[str, NamespaceView]:
        views: dict[str, NamespaceView] = {}
        for resource in self.kind("Namespace"):
            views[resource.name] = NamespaceView(resource.name, resource)
        for resource in self._resources:
            if resource.origin == K8S and resource.namespace:
                views.setdefault(resource.namespace, NamespaceView(resource.namespace))
        for workload in self._workloads:
            if workload.namespace:
                views[workload.namespace].workloads.append(workload)
        return views
