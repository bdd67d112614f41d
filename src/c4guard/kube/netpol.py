"""Network policies as the APIs define them, reduced to one model: which pods a policy
isolates in which direction, and which peers its rules allow.

Kubernetes NetworkPolicy: a pod is isolated in a direction once any policy that selects it
names that direction (`policyTypes`, defaulting to Ingress plus Egress when `egress` rules
exist); what is allowed is the union of the rules of every policy that selects it; a rule
without `from`/`to` allows every peer; `podSelector` alone means the policy's namespace;
`ipBlock.except` carves addresses out of a CIDR. Cilium (`CiliumNetworkPolicy`,
`CiliumClusterwideNetworkPolicy`) and Calico (`NetworkPolicy`, `GlobalNetworkPolicy`)
policies map onto the same model; their deny rules allow nothing.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from c4guard.kube import selectors
from c4guard.kube.objects import Key, ObjectView
from c4guard.model import Resource
from c4guard.workloads.views import mapping_at

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

INGRESS, EGRESS = "ingress", "egress"
DIRECTIONS = (INGRESS, EGRESS)
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
METADATA_ADDRESSES = tuple(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254"))
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
WORLD_ENTITIES = frozenset({"world", "all", "world-ipv4", "world-ipv6"})
CILIUM_NAMESPACE_LABELS = ("k8s:io.kubernetes.pod.namespace", "io.kubernetes.pod.namespace")
CALICO_NAMESPACE_LABEL = "projectcalico.org/namespace"


@dataclass(frozen=True, slots=True)
class Peer:
    """One allowed peer of a rule. `kind`: any (no restriction), cidr, pods, fqdn, entity,
    service."""

    kind: str
    description: str
    network: Network | None = None
    excepts: tuple[Network, ...] = ()
    namespace_selector: Any = None  # None: the policy's own namespace
    pod_selector: Any = None
    entity: str = ""

    @property
    def internet(self) -> bool:
        """Reaches arbitrary public addresses (everything, a /0, Cilium's world)."""
        if self.kind == "any":
            return True
        if self.kind == "entity":
            return self.entity in WORLD_ENTITIES
        return self.network is not None and self.network.prefixlen == 0

    def reaches(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        """Whether traffic to `address` is allowed by this peer."""
        if self.kind == "any" or (self.kind == "entity" and self.entity in WORLD_ENTITIES):
            return True
        if self.network is None or address.version != self.network.version:
            return False
        return address in self.network and not any(address in e for e in self.excepts)


@dataclass(eq=False, slots=True)
class Rule:
    """One allow rule: its peers (a single `any` peer when it names none)."""

    policy: Policy
    direction: str
    index: int
    keys: tuple[Key, ...]
    peers: tuple[Peer, ...]
    ports: str = ""
    authenticated: bool = False  # Cilium `authentication.mode: required` (mutual auth)

    @property
    def view(self) -> ObjectView:
        label = (
            f"{self.policy.resource.kind} {self.policy.resource.name} {self.direction} "
            f"rule {self.index + 1}"
        )
        return ObjectView(self.policy.resource, label, self.keys)

    @property
    def open_to_all(self) -> bool:
        return any(p.kind == "any" for p in self.peers)

    @property
    def internet_peers(self) -> list[Peer]:
        return [p for p in self.peers if p.internet]


PodMatcher = Callable[[str, Mapping[str, Any], Mapping[str, Any]], bool]


@dataclass(eq=False, slots=True)
class Policy:
    """A policy reduced to: where it applies, whom it selects, what it isolates, its rules."""

    resource: Resource
    namespace: str | None  # None: cluster-wide
    selects: PodMatcher  # (namespace, pod labels, namespace labels) -> bool
    selects_all: Callable[[str, Mapping[str, Any]], bool]  # (namespace, ns labels) -> bool
    isolates: frozenset[str]
    rules: list[Rule] = field(default_factory=list)
    logs: frozenset[str] = frozenset()  # directions whose traffic it logs (Calico Log)
    scope: Callable[[str, Mapping[str, Any]], bool] = lambda _ns, _nsl: True

    @property
    def view(self) -> ObjectView:
        return ObjectView(self.resource)

    def applies_in(self, namespace: str, ns_labels: Mapping[str, Any]) -> bool:
        """Whether the policy can select pods of `namespace` at all."""
        if self.namespace is not None:
            return self.namespace == namespace
        return self.scope(namespace, ns_labels)


class NetworkModel:
    """Every network policy among the inputs, queryable per pod and per namespace."""

    def __init__(self, inv: Inventory) -> None:
        self.inv = inv
        self.policies: list[Policy] = []
        for resource in inv.resources:
            build = _BUILDERS.get((resource.api_group, resource.kind))
            if build is not None and isinstance(
                resource.body.get("spec") or resource.body.get("specs"), Mapping | list
            ):
                self.policies.extend(build(resource))
        self._by_namespace: dict[str | None, list[Policy]] = {}
        for policy in self.policies:
            self._by_namespace.setdefault(policy.namespace, []).append(policy)

    def _candidates(self, namespace: str, ns_labels: Mapping[str, Any]) -> list[Policy]:
        """The namespace's own policies and the cluster-wide ones that reach it."""
        cluster = [p for p in self._by_namespace.get(None, []) if p.scope(namespace, ns_labels)]
        return self._by_namespace.get(namespace, []) + cluster

    def namespace_labels(self, namespace: str) -> dict[str, Any]:
        view = self.inv.namespaces.get(namespace)
        labels = dict(view.labels) if view is not None else {}
        labels[NAMESPACE_NAME_LABEL] = namespace
        return labels

    def selecting(self, namespace: str, pod_labels: Mapping[str, Any]) -> list[Policy]:
        """Policies that select a pod with `pod_labels` in `namespace`."""
        ns_labels = self.namespace_labels(namespace)
        return [
            p
            for p in self._candidates(namespace, ns_labels)
            if p.selects(namespace, pod_labels, ns_labels)
        ]

    def isolating(
        self, namespace: str, pod_labels: Mapping[str, Any], direction: str
    ) -> list[Policy]:
        return [p for p in self.selecting(namespace, pod_labels) if direction in p.isolates]

    def allowed(self, namespace: str, pod_labels: Mapping[str, Any], direction: str) -> list[Rule]:
        """The allow rules that apply to a pod in a direction (meaningful once isolated)."""
        return [
            r
            for p in self.selecting(namespace, pod_labels)
            for r in p.rules
            if r.direction == direction
        ]

    def default_deny(self, namespace: str, direction: str) -> list[Policy]:
        """Policies that select every pod of `namespace` and isolate it in `direction`."""
        ns_labels = self.namespace_labels(namespace)
        return [
            p
            for p in self._candidates(namespace, ns_labels)
            if direction in p.isolates and p.selects_all(namespace, ns_labels)
        ]

    def rules_in(self, namespace: str, direction: str) -> list[Rule]:
        """Every allow rule of the policies that apply in `namespace` (any selector)."""
        ns_labels = self.namespace_labels(namespace)
        return [
            r
            for p in self._candidates(namespace, ns_labels)
            for r in p.rules
            if r.direction == direction
        ]

    def peer_namespaces(self, rule: Rule, peer: Peer) -> list[str] | None:
        """The known namespaces a peer admits; None when it admits every namespace."""
        if peer.kind != "pods":
            return []
        if peer.namespace_selector is None:
            return [rule.policy.namespace] if rule.policy.namespace else None
        if selectors.is_empty(peer.namespace_selector):
            return None
        return [
            ns
            for ns in self.inv.namespaces
            if selectors.matches(peer.namespace_selector, self.namespace_labels(ns))
        ]


def network_model(inv: Inventory) -> NetworkModel:
    return inv.derived(NetworkModel)


# ------------------------------------------------------------------ Kubernetes NetworkPolicy


def _kubernetes(resource: Resource) -> list[Policy]:
    spec = resource.body.get("spec")
    if not isinstance(spec, Mapping):
        return []
    pod_selector = spec.get("podSelector")
    if pod_selector is None:
        pod_selector = {}
    types = spec.get("policyTypes")
    if isinstance(types, list) and types:
        isolates = frozenset(str(t).lower() for t in types) & set(DIRECTIONS)
    else:
        isolates = frozenset({INGRESS} | ({EGRESS} if spec.get("egress") else set()))
    namespace = resource.namespace or ""
    policy = Policy(
        resource,
        namespace,
        selects=lambda _ns, labels, _nsl: selectors.matches(pod_selector, labels),
        selects_all=lambda _ns, _nsl: selectors.is_empty(pod_selector),
        isolates=isolates,
    )
    for direction, key, peers_key in ((INGRESS, "ingress", "from"), (EGRESS, "egress", "to")):
        if direction not in isolates:
            continue  # rules of a direction the policy does not name are ignored
        for index, rule in enumerate(spec.get(key) or []):
            if isinstance(rule, Mapping):
                peers = tuple(
                    _k8s_peer(p) for p in rule.get(peers_key) or [] if isinstance(p, Mapping)
                )
                policy.rules.append(
                    Rule(
                        policy,
                        direction,
                        index,
                        ("spec", key, index),
                        peers or (Peer("any", "every peer"),),
                        _ports(rule.get("ports")),
                    )
                )
    return [policy]


def _k8s_peer(peer: Mapping[str, Any]) -> Peer:
    block = peer.get("ipBlock")
    if isinstance(block, Mapping):
        return _cidr_peer(block.get("cidr"), block.get("except"))
    pods, namespaces = peer.get("podSelector"), peer.get("namespaceSelector")
    return Peer(
        "pods",
        _describe_pods(pods, namespaces),
        namespace_selector=namespaces,
        pod_selector=pods if pods is not None else {},
    )


def _cidr_peer(cidr: Any, excepts: Any) -> Peer:
    network = _network(cidr)
    carved = tuple(n for n in (_network(e) for e in excepts or []) if n is not None)
    text = str(cidr) + (f" except {', '.join(str(e) for e in carved)}" if carved else "")
    if network is None:
        return Peer("cidr", f"unparseable CIDR {cidr!r}")
    return Peer("cidr", text, network, carved)


def _network(value: Any) -> Network | None:
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return None


def _describe_pods(pods: Any, namespaces: Any) -> str:
    who = "all pods" if pods is None or selectors.is_empty(pods) else f"pods {_labels(pods)}"
    if namespaces is None:
        return f"{who} of the policy's namespace"
    where = (
        "every namespace" if selectors.is_empty(namespaces) else f"namespaces {_labels(namespaces)}"
    )
    return f"{who} in {where}"


def _labels(selector: Any) -> str:
    if not isinstance(selector, Mapping):
        return "?"
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    parts += [
        f"{e.get('key')} {e.get('operator')} {e.get('values') or ''}".strip()
        for e in selector.get("matchExpressions") or []
        if isinstance(e, Mapping)
    ]
    return ",".join(parts) or "{}"


def _ports(ports: Any) -> str:
    if not isinstance(ports, list) or not ports:
        return ""
    found = []
    for port in ports:
        if isinstance(port, Mapping):
            found.append(f"{port.get('port', '*')}/{port.get('protocol', 'TCP')}")
    return ", ".join(found)


# ------------------------------------------------------------------------------ Cilium


def _cilium(resource: Resource) -> list[Policy]:
    body = resource.body
    specs = [body.get("spec")] if isinstance(body.get("spec"), Mapping) else []
    specs += [s for s in body.get("specs") or [] if isinstance(s, Mapping)]
    base = ("spec",) if isinstance(body.get("spec"), Mapping) else ("specs",)
    policies = []
    for index, spec in enumerate(specs):
        keys: tuple[Key, ...] = base if base == ("spec",) and index == 0 else ("specs", index)
        policies.append(_cilium_spec(resource, spec, keys))
    return policies


def _cilium_spec(resource: Resource, spec: Mapping[str, Any], keys: tuple[Key, ...]) -> Policy:
    clusterwide = resource.kind == "CiliumClusterwideNetworkPolicy"
    selector = spec.get("endpointSelector")
    selector = _strip_cilium(selector) if isinstance(selector, Mapping) else None
    only_namespace = _cilium_namespace(selector) if clusterwide else None
    default_deny = mapping_at(spec, "enableDefaultDeny")
    isolates = set()
    for direction in DIRECTIONS:
        named = spec.get(direction) is not None or spec.get(f"{direction}Deny") is not None
        if named and default_deny.get(direction) is not False:
            isolates.add(direction)

    def selects(namespace: str, labels: Mapping[str, Any], _nsl: Mapping[str, Any]) -> bool:
        if selector is None or (only_namespace and only_namespace != namespace):
            return False
        scoped = {**labels, **dict.fromkeys(CILIUM_NAMESPACE_LABELS, namespace)}
        return selectors.matches(selector, scoped)

    def selects_all(namespace: str, _nsl: Mapping[str, Any]) -> bool:
        if selector is None:
            return False
        if only_namespace:
            rest = {
                k: v
                for k, v in (selector.get("matchLabels") or {}).items()
                if k not in CILIUM_NAMESPACE_LABELS
            }
            return only_namespace == namespace and not rest and not selector.get("matchExpressions")
        return selectors.is_empty(selector)

    policy = Policy(
        resource,
        None if clusterwide else (resource.namespace or ""),
        selects,
        selects_all,
        frozenset(isolates),
        scope=lambda ns, _nsl: not only_namespace or only_namespace == ns,
    )
    for direction in DIRECTIONS:
        for index, rule in enumerate(spec.get(direction) or []):
            if isinstance(rule, Mapping):
                peers = _cilium_peers(rule, direction)
                auth = rule.get("authentication")
                required = isinstance(auth, Mapping) and auth.get("mode") == "required"
                if peers:
                    policy.rules.append(
                        Rule(
                            policy,
                            direction,
                            index,
                            (*keys, direction, index),
                            peers,
                            _cilium_ports(rule),
                            required,
                        )
                    )
    return policy


def _strip_cilium(selector: Mapping[str, Any]) -> dict[str, Any]:
    """Cilium label sources (`k8s:`, `any:`) do not change which pod labels match."""
    labels = selector.get("matchLabels") or {}
    stripped = {}
    for key, value in labels.items() if isinstance(labels, Mapping) else []:
        key = str(key)
        source, _, rest = key.partition(":")
        keep = key in CILIUM_NAMESPACE_LABELS or source not in ("k8s", "any")
        stripped[key if keep else rest] = value
    return {"matchLabels": stripped, "matchExpressions": selector.get("matchExpressions") or []}


def _cilium_namespace(selector: Mapping[str, Any] | None) -> str | None:
    labels = (selector or {}).get("matchLabels") or {}
    return next((str(labels[k]) for k in CILIUM_NAMESPACE_LABELS if k in labels), None)


def _cilium_peers(rule: Mapping[str, Any], direction: str) -> tuple[Peer, ...]:
    side = "from" if direction == INGRESS else "to"
    peers: list[Peer] = []
    for endpoint in rule.get(f"{side}Endpoints") or []:
        if isinstance(endpoint, Mapping):
            stripped = _strip_cilium(endpoint)
            namespace = _cilium_namespace(stripped)
            ns_selector = {"matchLabels": {NAMESPACE_NAME_LABEL: namespace}} if namespace else None
            peers.append(
                Peer(
                    "pods",
                    f"endpoints {_labels(stripped)}",
                    namespace_selector=ns_selector,
                    pod_selector=stripped,
                )
            )
    for cidr in rule.get(f"{side}CIDR") or []:
        peers.append(_cidr_peer(cidr, None))
    for block in rule.get(f"{side}CIDRSet") or []:
        if isinstance(block, Mapping):
            peers.append(_cidr_peer(block.get("cidr"), block.get("except")))
    for entity in rule.get(f"{side}Entities") or []:
        peers.append(Peer("entity", f"entity {entity}", entity=str(entity)))
    for fqdn in rule.get("toFQDNs") or [] if direction == EGRESS else []:
        if isinstance(fqdn, Mapping):
            name = fqdn.get("matchName") or fqdn.get("matchPattern")
            peers.append(Peer("fqdn", f"FQDN {name}"))
    for _service in rule.get("toServices") or [] if direction == EGRESS else []:
        peers.append(Peer("service", "a Kubernetes service"))
    if not peers and rule.get("toPorts"):
        peers.append(Peer("any", "every peer"))  # an L4-only rule allows every peer
    return tuple(peers)


def _cilium_ports(rule: Mapping[str, Any]) -> str:
    found = []
    for block in rule.get("toPorts") or []:
        if isinstance(block, Mapping):
            for port in block.get("ports") or []:
                if isinstance(port, Mapping):
                    found.append(f"{port.get('port', '*')}/{port.get('protocol', 'ANY')}")
    return ", ".join(found)


# ------------------------------------------------------------------------------ Calico


_CALICO_TERM = re.compile(
    r"^\s*(?:(?P<all>all\(\))|(?P<neg>!)?\s*has\((?P<has>[^)]+)\)"
    r"|(?P<key>[\w./-]+)\s*(?P<op>==|!=|not in|in)\s*(?P<value>'[^']*'|\"[^\"]*\"|\{[^}]*\}))\s*$"
)


def calico_selector(expression: Any) -> Callable[[Mapping[str, Any]], bool] | None:
    """A Calico selector (`all()`, `has(k)`, `k == 'v'`, `k in {...}` joined by &&) as a
    predicate; None when it uses syntax c4guard does not evaluate."""
    text = str(expression).strip() if expression is not None else ""
    if not text:
        return lambda _labels: True
    predicates = []
    for term in text.split("&&"):
        match = _CALICO_TERM.match(term)
        if match is None:
            return None
        predicates.append(_calico_term(match))
    return lambda labels: all(p(labels) for p in predicates)


def _calico_term(match: re.Match[str]) -> Callable[[Mapping[str, Any]], bool]:
    if match["all"]:
        return lambda _labels: True
    if match["has"]:
        key, negate = match["has"].strip(), bool(match["neg"])
        return lambda labels: (key in labels) != negate
    key, op = match["key"], match["op"]
    raw = match["value"]
    values = (
        {v.strip().strip("'\"") for v in raw.strip("{}").split(",")}
        if raw.startswith("{")
        else {raw.strip("'\"")}
    )
    if op in ("==", "in"):
        return lambda labels: str(labels.get(key, "\0")) in values
    return lambda labels: str(labels.get(key, "\0")) not in values


def _calico(resource: Resource) -> list[Policy]:
    spec = resource.body.get("spec")
    if not isinstance(spec, Mapping):
        return []
    pods = calico_selector(spec.get("selector"))
    namespaces = calico_selector(spec.get("namespaceSelector"))
    is_global = resource.kind == "GlobalNetworkPolicy"
    types = spec.get("types")
    if isinstance(types, list) and types:
        isolates = frozenset(str(t).lower() for t in types) & set(DIRECTIONS)
    else:
        isolates = frozenset({INGRESS} | ({EGRESS} if spec.get("egress") else set()))
    everything = str(spec.get("selector") or "").strip() in ("", "all()")

    def selects(namespace: str, labels: Mapping[str, Any], ns_labels: Mapping[str, Any]) -> bool:
        scoped = {**labels, CALICO_NAMESPACE_LABEL: namespace}
        in_scope = namespaces is not None and namespaces(ns_labels)
        return in_scope and pods is not None and pods(scoped)

    def selects_all(namespace: str, ns_labels: Mapping[str, Any]) -> bool:
        if everything:
            return namespaces is not None and namespaces(ns_labels)
        # a global selector that only excludes namespaces (`projectcalico.org/namespace not
        # in {...}`) selects every pod of the namespaces it keeps
        return (
            pods is not None
            and is_global
            and pods({CALICO_NAMESPACE_LABEL: namespace})
            and CALICO_NAMESPACE_LABEL in str(spec.get("selector"))
        )

    policy = Policy(
        resource,
        None if is_global else (resource.namespace or ""),
        selects,
        selects_all,
        isolates,
        scope=lambda _ns, ns_labels: namespaces is not None and namespaces(ns_labels),
    )
    logs = set()
    for direction in DIRECTIONS:
        for index, rule in enumerate(spec.get(direction) or []):
            if not isinstance(rule, Mapping):
                continue
            action = str(rule.get("action", "")).lower()
            if action == "log":
                logs.add(direction)
            if action == "allow":
                side = rule.get("source" if direction == INGRESS else "destination")
                policy.rules.append(
                    Rule(policy, direction, index, ("spec", direction, index), _calico_peers(side))
                )
    policy.logs = frozenset(logs)
    return [policy]


def _calico_peers(side: Any) -> tuple[Peer, ...]:
    if not isinstance(side, Mapping) or not side:
        return (Peer("any", "every peer"),)
    peers = [_cidr_peer(net, side.get("notNets")) for net in side.get("nets") or []]
    if side.get("selector") or side.get("namespaceSelector"):
        peers.append(
            Peer(
                "pods",
                f"pods {side.get('selector') or 'all()'} in namespaces "
                f"{side.get('namespaceSelector') or 'of the policy'}",
            )
        )
    peers += [Peer("fqdn", f"domain {d}") for d in side.get("domains") or []]
    if side.get("services"):
        peers.append(Peer("service", "a Kubernetes service"))
    return tuple(peers) or (Peer("any", "every peer"),)


_BUILDERS: dict[tuple[str, str], Callable[[Resource], list[Policy]]] = {
    ("networking.k8s.io", "NetworkPolicy"): _kubernetes,
    ("extensions", "NetworkPolicy"): _kubernetes,
    ("cilium.io", "CiliumNetworkPolicy"): _cilium,
    ("cilium.io", "CiliumClusterwideNetworkPolicy"): _cilium,
    ("projectcalico.org", "NetworkPolicy"): _calico,
    ("projectcalico.org", "GlobalNetworkPolicy"): _calico,
    ("crd.projectcalico.org", "NetworkPolicy"): _calico,
    ("crd.projectcalico.org", "GlobalNetworkPolicy"): _calico,
}


def iter_rules(model: NetworkModel) -> Iterator[Rule]:
    for policy in model.policies:
        yield from policy.rules
