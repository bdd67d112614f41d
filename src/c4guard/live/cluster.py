"""`c4guard cluster`: every kind a live Kubernetes API serves, read into the same
Resources a `scan` of manifests produces, so that every Kubernetes check applies unchanged.

- Discovery (`/api`, `/apis`, one request per group's preferred version) finds the built-in
  kinds and those of installed CRDs; every kind that can be listed is read, except those that
  hold no configuration or that c4guard never reads (`SKIPPED_KINDS`: Events, Leases,
  Endpoints..., and Secrets, whose values a scanner has no business reading).
- Lists are paged (`limit` and `continue`); an expired continue token restarts the list once.
- Objects a listed workload controls (a Deployment's ReplicaSets, their Pods, a CronJob's
  Jobs, an InferenceService's Deployment) are judged through that workload, not twice. The
  kinds that control others are listed first, so that the objects they control (50,000 Pods
  in a large cluster) are dropped page by page as they arrive, never held.
- A kind the API will not list (403) becomes an evidence gap naming the permission to grant:
  the requirements whose checks read that kind become `review`. Other failures are also
  input errors.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from c4guard.live.kubeapi import ApiProblem, ClusterError, Connection
from c4guard.model import Domain, EvidenceGap, InputError, Location, Resource
from c4guard.sources import InputSet
from c4guard.sources.jsonload import mark_json
from c4guard.sources.kinds import FINALIZERS
from c4guard.sources.kubernetes import ORIGIN as K8S
from c4guard.workloads import WORKLOAD_KINDS

DOMAIN = Domain.CLUSTER
PAGE_SIZE = 500
MAX_PAGES = 20_000
WORKERS = 8
# (API group, resource) never listed: no configuration in them, or nothing c4guard may read.
SKIPPED_KINDS = frozenset(
    {
        ("", "events"),
        ("events.k8s.io", "events"),
        ("", "secrets"),
        ("", "endpoints"),
        ("discovery.k8s.io", "endpointslices"),
        ("coordination.k8s.io", "leases"),
        ("apps", "controllerrevisions"),
        ("", "componentstatuses"),
        ("wgpolicyk8s.io", "policyreports"),
        ("wgpolicyk8s.io", "clusterpolicyreports"),
        ("reports.kyverno.io", "ephemeralreports"),
        ("reports.kyverno.io", "clusterephemeralreports"),
    }
)
SKIPPED_GROUPS = frozenset({"metrics.k8s.io", "custom.metrics.k8s.io", "external.metrics.k8s.io"})
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
CONTROLLED = "objects run by a workload that is judged itself (ReplicaSets, Pods, Jobs...)"


@dataclass(frozen=True, slots=True)
class ApiKind:
    """One resource type the API serves."""

    group: str
    version: str
    resource: str
    kind: str
    namespaced: bool

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`networkpolicies.networking.k8s.io`, or `pods` for the core group."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        scope = f"/namespaces/{namespace}" if namespace and self.namespaced else ""
        return f"{base}{scope}/{self.resource}" + (f"/{name}" if name else "")


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    namespaces: tuple[str, ...] = ()
    page_size: int = PAGE_SIZE
    workers: int = WORKERS


@dataclass(slots=True)
class _Read:
    """What one list (or get) produced."""

    kind: ApiKind
    path: str
    namespace: str | None
    verb: str = "list"
    resources: list[Resource] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # objects that could not be taken in
    problem: ApiProblem | None = None
    dropped: int = 0  # objects a listed workload controls, dropped as they arrived


def discover(conn: Connection, workers: int = WORKERS) -> tuple[list[ApiKind], list[str]]:
    """Every kind that can be listed, each in the most preferred version of its group that
    serves it (KServe serves InferenceService in v1beta1 but ServingRuntime in v1alpha1), and
    the group versions whose discovery failed (aggregated APIs that are down)."""
    try:
        core = conn.get("/api")
        groups = conn.get("/apis")
    except ApiProblem as problem:
        raise ClusterError(f"the API refused discovery at {conn.server}: {problem}") from problem
    wanted = [
        (g, v)
        for g, v in [("", _strings(core.get("versions"))[:1]), *_group_versions(groups)]
        if g not in SKIPPED_GROUPS
    ]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        found = list(pool.map(lambda gv: _group_kinds(conn, *gv), wanted))
    kinds = [kind for group_kinds, _ in found for kind in group_kinds]
    return kinds, [problem for _, problems in found for problem in problems]


def _group_kinds(
    conn: Connection, group: str, versions: list[str]
) -> tuple[list[ApiKind], list[str]]:
    """The kinds of one group, each from the first (most preferred) version serving it."""
    kinds: dict[str, ApiKind] = {}
    problems = []
    for version in versions:
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            listing = conn.get(path)
        except ApiProblem as problem:
            problems.append(f"{group or 'core'}/{version} ({problem})")
            continue
        for kind in _kinds(group, version, listing):
            kinds.setdefault(kind.resource, kind)
    return list(kinds.values()), problems


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _group_versions(groups: Any) -> list[tuple[str, list[str]]]:
    """(group, versions with the preferred one first) of an APIGroupList."""
    found = []
    for group in groups.get("groups", []) if isinstance(groups, dict) else []:
        if not isinstance(group, dict) or not isinstance(group.get("name"), str):
            continue
        preferred = (group.get("preferredVersion") or {}).get("version")
        versions = [v.get("version") for v in group.get("versions") or [] if isinstance(v, dict)]
        ordered = [v for v in dict.fromkeys([preferred, *versions]) if isinstance(v, str)]
        found.append((group["name"], ordered))
    return found


def _kinds(group: str, version: str, listing: Any) -> list[ApiKind]:
    found = []
    for item in listing.get("resources", []) if isinstance(listing, dict) else []:
        name = item.get("name") if isinstance(item, dict) else None
        if (
            not isinstance(name, str)
            or "/" in name
            or "list" not in (item.get("verbs") or [])
            or (group, name) in SKIPPED_KINDS
            or not isinstance(item.get("kind"), str)
        ):
            continue
        found.append(ApiKind(group, version, name, item["kind"], bool(item.get("namespaced"))))
    return found


class ClusterReader:
    """Reads every kind of one API server into an InputSet."""

    def __init__(self, conn: Connection, options: ClusterOptions) -> None:
        self.conn = conn
        self.options = options
        self.inputs = InputSet()
        self.controllers: frozenset[str] = frozenset()  # uids of the controlling kinds' objects

    def read(self) -> InputSet:
        kinds, unavailable = discover(self.conn, self.options.workers)
        for group in unavailable:
            self.inputs.summary.skip(f"API group not answering discovery: {group}")
        first = [kind for kind in kinds if _controls_others(kind)]
        reads = self._run(first)
        self.controllers = frozenset(
            uid
            for read in reads
            if read.problem is None
            for r in read.resources
            if (uid := _uid(r)) is not None
        )
        reads += self._run([kind for kind in kinds if not _controls_others(kind)])
        resources = []
        dropped = 0
        for read in reads:
            self.inputs.summary.input_errors.extend(
                InputError(f"{self.conn.name}:{read.path}", None, error) for error in read.errors
            )
            if read.problem is not None:
                self._not_read(read)
            else:
                resources.extend(read.resources)
                dropped += read.dropped
        self._keep_judged(resources, dropped)
        self.inputs.domains.add(DOMAIN)
        for finalize in FINALIZERS:
            finalize(self.inputs)
        return self.inputs

    def _run(self, kinds: list[ApiKind]) -> list[_Read]:
        tasks = [task for kind in kinds for task in self._tasks(kind)]
        with ThreadPoolExecutor(max_workers=self.options.workers) as pool:
            return list(pool.map(lambda task: task(), tasks))

    def _tasks(self, kind: ApiKind) -> list[Callable[[], _Read]]:
        namespaces = self.options.namespaces
        if not namespaces:
            return [lambda: self._list(kind, None)]
        if kind.namespaced:
            return [partial(self._list, kind, ns) for ns in namespaces]
        if (kind.group, kind.resource) == ("", "namespaces"):
            return [partial(self._get, kind, ns) for ns in namespaces]
        return [lambda: self._list(kind, None)]

    def _list(self, kind: ApiKind, namespace: str | None) -> _Read:
        read = _Read(kind, kind.path(namespace), namespace)
        token: str | None = None
        restarted = False
        for _ in range(MAX_PAGES):
            query: list[tuple[str, Any]] = [("limit", self.options.page_size)]
            if token:
                query.append(("continue", token))
            try:
                page = self.conn.get(read.path, query)
            except ApiProblem as problem:
                if problem.status == 410 and token and not restarted:
                    read.resources, read.errors, read.dropped = [], [], 0  # the token expired
                    token, restarted = None, True
                    continue
                read.problem = problem
                return read
            items = page.get("items") if isinstance(page, dict) else None
            if not isinstance(items, list):
                read.problem = ApiProblem(200, "the answer is not a list")
                return read
            self._take(read, items)
            token = (page.get("metadata") or {}).get("continue")
            if not token:
                return read
        read.problem = ApiProblem(200, f"more than {MAX_PAGES} pages")
        return read

    def _get(self, kind: ApiKind, name: str) -> _Read:
        read = _Read(kind, kind.path(None, name), name, verb="get")
        try:
            self._take(read, [self.conn.get(read.path)])
        except ApiProblem as problem:
            read.problem = problem
        return read

    def _take(self, read: _Read, items: list[Any]) -> None:
        """Objects of one answer as resources (in the worker, so raw answers do not pile up)."""
        for item in items:
            if self.controllers and _item_controllers(item) & self.controllers:
                read.dropped += 1
                continue
            try:
                resource = self._resource(read.kind, item)
            except ValueError as exc:
                read.errors.append(str(exc))
                continue
            if resource is not None:
                read.resources.append(resource)

    def _resource(self, kind: ApiKind, item: Any) -> Resource | None:
        metadata = item.get("metadata") if isinstance(item, dict) else None
        if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
            return None
        metadata.pop("managedFields", None)
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict):
            annotations.pop(LAST_APPLIED, None)
        item.setdefault("apiVersion", kind.group_version)
        item.setdefault("kind", kind.kind)
        namespace = metadata.get("namespace") if kind.namespaced else None
        path = f"{self.conn.name}:{kind.path(namespace, metadata['name'])}"
        return Resource(
            K8S,
            kind.kind,
            metadata["name"],
            namespace,
            mark_json(item, path),
            Location(path),
            api_version=kind.group_version,
        )

    def _keep_judged(self, resources: list[Resource], dropped: int) -> None:
        """Drop objects that a listed workload controls: it is judged in their place."""
        workloads = self.controllers | {
            _uid(r) for r in resources if (r.api_group, r.kind) in WORKLOAD_KINDS
        }
        kept = [r for r in resources if not (_controller_uids(r) & workloads)]
        dropped += len(resources) - len(kept)
        if dropped:
            self.inputs.summary.skip(CONTROLLED, dropped)
        self.inputs.resources = kept
        self.inputs.summary.resources = len(kept)

    def _not_read(self, read: _Read) -> None:
        problem = read.problem
        assert problem is not None
        kind = read.kind
        if problem.status == 404 and read.verb == "list":
            self.inputs.summary.skip("kinds no longer served (404 while listing)")
            return
        scope = f'in namespace "{read.namespace}"' if read.namespace else "cluster-wide"
        verb = read.verb
        if problem.status == 403:
            group = f'API group "{kind.group}"' if kind.group else 'the core API group ("")'
            reason = (
                f"not permitted to {verb} {kind.qualified} {scope}: grant the "
                f'"{verb}" verb on "{kind.resource}" in {group} {scope}'
            )
        else:
            reason = f"could not {verb} {kind.qualified} {scope}: {problem}"
            self.inputs.summary.input_errors.append(
                InputError(f"{self.conn.name}:{read.path}", None, reason)
            )
        self.inputs.summary.gaps.append(EvidenceGap(K8S, kind.kind, reason))


def _uid(resource: Resource) -> str | None:
    uid = resource.body.get("metadata", {}).get("uid")
    return uid if isinstance(uid, str) else None


def _controls_others(kind: ApiKind) -> bool:
    """A workload kind whose objects may control others (a Pod controls nothing)."""
    return (kind.group, kind.kind) in WORKLOAD_KINDS and (kind.group, kind.kind) != ("", "Pod")


def _controller_uids(resource: Resource) -> set[str]:
    return _item_controllers(resource.body)


def _item_controllers(item: Any) -> set[str]:
    """The uids of an object's controllers (ownerReferences with `controller: true`)."""
    metadata = item.get("metadata") if isinstance(item, dict) else None
    owners = metadata.get("ownerReferences") if isinstance(metadata, dict) else None
    if not isinstance(owners, list):
        return set()
    return {
        o["uid"]
        for o in owners
        if isinstance(o, dict) and o.get("controller") is True and isinstance(o.get("uid"), str)
    }


def read_cluster(conn: Connection, options: ClusterOptions = ClusterOptions()) -> InputSet:
    """Read every listable kind of the cluster behind `conn`."""
    return ClusterReader(conn, options).read()
