"""C4.3 Network security and access control: Kubernetes evidence for 4.3.1-4.3.5
(NetworkPolicy, Cilium and Calico semantics; Istio and Linkerd mTLS; cert-manager; cloud
identities shared across environments)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed, unknown, verdict
from c4guard.kube.environments import namespace_environments
from c4guard.kube.mesh import (
    LINKERD_AUTHENTICATED,
    STRICT,
    linkerd_policy,
    membership,
    mesh_config,
    peer_authentication,
)
from c4guard.kube.netpol import (
    EGRESS,
    INGRESS,
    METADATA_ADDRESSES,
    NetworkModel,
    Rule,
    network_model,
)
from c4guard.kube.objects import ObjectView, metadata_map, pod_labels

if TYPE_CHECKING:
    from c4guard.inventory import Inventory, NamespaceView
    from c4guard.workloads import ContainerView, PodView, Workload

NETPOL = "https://kubernetes.io/docs/concepts/services-networking/network-policies/"
ISTIO_PA = "https://istio.io/latest/docs/reference/config/security/peer_authentication/"
ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
CLOUD_IDENTITY_ANNOTATIONS = (
    "eks.amazonaws.com/role-arn",
    "iam.gke.io/gcp-service-account",
    "azure.workload.identity/client-id",
)
MAX_CERT_HOURS = 90 * 24


def _direction_names(directions: list[str]) -> str:
    return " and ".join(directions)


def _policy_names(policies: list[Any]) -> str:
    return ", ".join(sorted({p.resource.name for p in policies}))


# ---------------------------------------------------------------------------- 4.3.1


@check(
    "K8S-NETPOL-DEFAULT-DENY",
    requirement="4.3.1",
    severity="high",
    title="Namespaces that run workloads deny ingress and egress by default",
    remediation="Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress, "
    "Egress]` (no rules) to the namespace, then allow what is needed.",
    references=(NETPOL,),
)
def default_deny(inv: Inventory) -> Iterator[Outcome]:
    """A namespace without a default-deny policy lets every pod talk to, and be reached
    from, anything. Only policies in the namespace (or cluster-wide Cilium/Calico policies
    covering it) count, and they must select every pod."""
    model = network_model(inv)
    for ns in inv.namespaces_with_workloads():
        covered = {d: model.default_deny(ns.name, d) for d in (INGRESS, EGRESS)}
        missing = [d for d, policies in covered.items() if not policies]
        found = [p for policies in covered.values() for p in policies]
        if not missing:
            yield passed(
                ns,
                f"denies ingress and egress by default ({_policy_names(found)})",
                evidence={"policies": sorted({p.resource.name for p in found})},
            )
            continue
        have = [d for d in covered if covered[d]]
        extra = f"; {_direction_names(have)} is denied by {_policy_names(found)}" if have else ""
        yield failed(
            ns,
            f"has no NetworkPolicy that selects all pods and denies "
            f"{_direction_names(missing)} by default{extra}",
            evidence={"missing": missing},
        )


@check(
    "K8S-NETPOL-ALLOW-ALL",
    requirement="4.3.1",
    severity="high",
    title="Network policies have no allow-all rules",
    remediation="Replace rules without `from`/`to`, and 0.0.0.0/0 or ::/0 blocks, with the "
    "specific pods, namespaces or CIDRs the traffic needs.",
    references=(NETPOL,),
)
def no_allow_all(inv: Inventory) -> Iterator[Outcome]:
    """A rule without peers, or with 0.0.0.0/0, undoes a default deny for the pods it
    selects."""
    for policy in network_model(inv).policies:
        broad = [r for r in policy.rules if r.internet_peers]
        for rule in broad:
            yield failed(
                rule.view,
                _broad_rule_message(rule),
                setting=rule.view.setting(),
                evidence={"peers": _peer_texts(rule)},
            )
        if not broad:
            yield passed(policy.view, "has no allow-all rule")


def _broad_rule_message(rule: Rule) -> str:
    ports = f" on {rule.ports}" if rule.ports else ""
    what = "source" if rule.direction == INGRESS else "destination"
    if rule.open_to_all:
        return f"allows every {what}{ports} (no {'from' if rule.direction == INGRESS else 'to'})"
    return f"allows {', '.join(p.description for p in rule.internet_peers)}{ports}"


def _peer_texts(rule: Rule) -> list[str]:
    return [p.description for p in rule.peers]


# ---------------------------------------------------------------------------- 4.3.2


@check(
    "K8S-SERVICE-ADMIN-PORT",
    requirement="4.3.2",
    severity="high",
    title="Services do not expose SSH or RDP",
    remediation="Remove SSH/RDP ports from Services; reach workloads with `kubectl exec` "
    "through the API server's authentication instead.",
    references=("https://kubernetes.io/docs/concepts/services-networking/service/",),
)
def no_admin_ports(inv: Inventory) -> Iterator[Outcome]:
    """SSH or RDP on a Service opens an administration protocol beside the API server."""
    for service in inv.kind("Service"):
        view = ObjectView(service)
        exposed = []
        for index, port in enumerate(view.get("spec", "ports") or []):
            if isinstance(port, Mapping):
                for key in ("port", "targetPort"):
                    if port.get(key) in ADMIN_PORTS:
                        exposed.append((index, key, port[key]))
                        break
        if exposed:
            index, key, number = exposed[0]
            yield failed(
                view,
                f"exposes {ADMIN_PORTS[number]} (port {number}, "
                f"type {view.get('spec', 'type') or 'ClusterIP'})",
                setting=view.setting("spec", "ports", index, key),
            )
        else:
            yield passed(view, "exposes no SSH or RDP port")


@check(
    "K8S-EGRESS-METADATA",
    requirement="4.3.2",
    severity="high",
    title="Pods cannot reach the cloud metadata endpoint",
    remediation="Deny egress by default and except 169.254.169.254/32 (and fd00:ec2::254/128) "
    "from every ipBlock that would include it.",
    references=(
        NETPOL,
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html",
    ),
)
def metadata_blocked(inv: Inventory) -> Iterator[Outcome]:
    """The metadata endpoint hands out the node's cloud credentials to any pod that can
    reach it."""
    model = network_model(inv)
    for ns in inv.namespaces_with_workloads():
        if not model.default_deny(ns.name, EGRESS):
            yield failed(
                ns,
                "does not deny egress by default: pods can reach the cloud "
                "metadata endpoint 169.254.169.254",
            )
            continue
        leaking = [
            r
            for r in model.rules_in(ns.name, EGRESS)
            if any(p.reaches(a) for p in r.peers for a in METADATA_ADDRESSES)
        ]
        for rule in leaking:
            yield failed(
                rule.view,
                f"lets pods of namespace {ns.name} reach the metadata "
                f"endpoint ({', '.join(_peer_texts(rule))} does not except "
                "169.254.169.254/32)",
                setting=rule.view.setting(),
            )
        if not leaking:
            yield passed(ns, "denies egress by default and no rule reaches the metadata endpoint")


# ---------------------------------------------------------------------------- 4.3.3


@check(
    "K8S-EGRESS-DESTINATIONS",
    requirement="4.3.3",
    severity="medium",
    title="Egress is limited to named destinations",
    remediation="Deny egress by default and allow only specific pods, namespaces, CIDRs or "
    "FQDNs (Cilium `toFQDNs`), or set Istio's `outboundTrafficPolicy.mode: "
    "REGISTRY_ONLY` for meshed namespaces.",
    references=(NETPOL, "https://docs.cilium.io/en/stable/security/dns/"),
)
def egress_destinations(inv: Inventory) -> Iterator[Outcome]:
    """Egress to the whole internet lets a compromised model server exfiltrate weights and
    data anywhere."""
    model = network_model(inv)
    mesh = mesh_config(inv)
    for ns in inv.namespaces_with_workloads():
        if mesh.registry_only is not None and _all_meshed(inv, ns):
            yield passed(
                ns,
                "is meshed and the mesh allows egress only to registered services (REGISTRY_ONLY)",
                setting=mesh.registry_only.setting(),
            )
            continue
        if not model.default_deny(ns.name, EGRESS):
            yield failed(
                ns,
                "does not restrict egress (no default-deny egress policy, and no "
                "REGISTRY_ONLY mesh)",
            )
            continue
        broad = [r for r in model.rules_in(ns.name, EGRESS) if r.internet_peers]
        for rule in broad:
            yield failed(
                rule.view,
                f"allows egress from namespace {ns.name} to "
                f"{', '.join(p.description for p in rule.internet_peers)}",
                setting=rule.view.setting(),
            )
        if not broad:
            yield passed(ns, "allows egress only to named destinations")


def _all_meshed(inv: Inventory, ns: NamespaceView) -> bool:
    pods = [p for w in ns.workloads for p in w.pods]
    return bool(pods) and all(membership(inv, p).mesh in ("istio", "istio-ambient") for p in pods)


@check(
    "K8S-EGRESS-LOGGING",
    requirement="4.3.3",
    severity="medium",
    title="Egress traffic is logged",
    remediation="Log egress: Istio access logs (`meshConfig.accessLogFile` or a Telemetry "
    "`accessLogging`) for meshed namespaces, Cilium Hubble (`enable-hubble` in "
    "cilium-config) or Calico `action: Log` egress rules. VPC flow logs "
    "(Terraform) also record it; record that with an exception.",
    references=(
        "https://istio.io/latest/docs/tasks/observability/logs/access-log/",
        "https://docs.cilium.io/en/stable/observability/hubble/",
    ),
)
def egress_logged(inv: Inventory) -> Iterator[Outcome]:
    """Without flow or access logs, exfiltration leaves no trace."""
    mesh = mesh_config(inv)
    hubble = _hubble(inv)
    model = network_model(inv)
    for ns in inv.namespaces_with_workloads():
        mesh_log = mesh.namespace_access_logs.get(ns.name) or mesh.access_log
        calico = [
            p
            for p in model.policies
            if EGRESS in p.logs and p.applies_in(ns.name, model.namespace_labels(ns.name))
        ]
        if mesh_log is not None and _all_meshed(inv, ns):
            yield passed(
                ns, f"is meshed and logged by {mesh_log.subject}", setting=mesh_log.setting()
            )
        elif hubble is not None:
            yield passed(
                ns, f"is observed by Cilium Hubble ({hubble.subject})", setting=hubble.setting()
            )
        elif calico:
            yield passed(ns, f"has Calico Log rules for egress ({_policy_names(calico)})")
        else:
            yield failed(
                ns,
                "has no visible egress logging (Istio access logs for meshed "
                "pods, Cilium Hubble, Calico Log rules)",
            )


def _hubble(inv: Inventory) -> ObjectView | None:
    for resource in inv.kind("ConfigMap"):
        if resource.name == "cilium-config":
            view = ObjectView(resource, "ConfigMap cilium-config", ("data",))
            if str(view.get("enable-hubble")).lower() == "true":
                return view.at("enable-hubble")
    return None


# ---------------------------------------------------------------------------- 4.3.4


RAY_TLS_FILES = ("RAY_TLS_SERVER_CERT", "RAY_TLS_SERVER_KEY", "RAY_TLS_CA_CERT")


@check(
    "K8S-MTLS",
    requirement="4.3.4",
    severity="high",
    title="Workload traffic is mutually authenticated (strict mTLS)",
    remediation="Mesh the namespace and require mTLS: Istio PeerAuthentication `mode: "
    "STRICT` (mesh-wide in the root namespace, or per namespace), Linkerd "
    "with `config.linkerd.io/default-inbound-policy: all-authenticated`, or "
    "Cilium policies with `authentication.mode: required`.",
    references=(ISTIO_PA, "https://linkerd.io/2/features/server-policy/"),
)
def strict_mtls(inv: Inventory) -> Iterator[Outcome]:
    """A pod that accepts plaintext can be reached without a verified identity. Istio's
    precedence applies: workload policy over namespace policy over mesh-wide policy, and
    port-level settings over the workload's mode."""
    for pod in inv.pods():
        yield _mtls(inv, pod)


def _mtls(inv: Inventory, pod: PodView) -> Outcome:
    member = membership(inv, pod)
    if member.mesh is None and _ray_tls(pod):
        return passed(
            pod,
            "uses Ray's own mutual TLS for Ray's internal traffic (RAY_USE_TLS with "
            "CA, certificate and key in every container)",
        )
    if member.mesh is None:
        cilium = _cilium_mutual_auth(inv, pod)
        return verdict(
            bool(cilium),
            pod,
            f"requires Cilium mutual authentication on every ingress rule ({cilium})",
            f"{member.reason}: its traffic is not mutually authenticated",
        )
    if member.mesh == "linkerd":
        policy = linkerd_policy(inv, pod)
        return verdict(
            policy in LINKERD_AUTHENTICATED,
            pod,
            f"{member.reason} and requires authenticated clients ({policy})",
            f"{member.reason}, but its default inbound policy {policy} accepts "
            "unauthenticated clients",
        )
    auth = peer_authentication(inv, pod)
    setting = auth.source.setting() if auth.source else None
    loose = {port: mode for port, (mode, _view) in auth.ports.items() if mode != STRICT}
    if auth.mode != STRICT:
        return failed(
            pod,
            f"{member.reason}, but accepts plaintext: mTLS mode {auth.mode} ({auth.chain})",
            setting=setting,
        )
    if loose:
        port, mode = next(iter(loose.items()))
        return failed(
            pod,
            f"{member.reason}, but port {port} is {mode} ({auth.chain})",
            setting=auth.ports[port][1].setting(),
        )
    return passed(pod, f"{member.reason} and requires mTLS ({auth.chain})", setting=setting)


def _ray_tls(pod: PodView) -> bool:
    """Ray's TLS: with `RAY_USE_TLS` on, every Ray process presents the certificate and key
    and verifies its peer against the CA (RAY_TLS_*), i.e. mutual TLS on Ray's gRPC."""
    containers = [c for c in pod.containers if c.group == "containers"]
    return bool(containers) and all(_sets_ray_tls(c) for c in containers)


def _sets_ray_tls(container: ContainerView) -> bool:
    env = {
        item.get("name"): item
        for item in container.spec.get("env") or []
        if isinstance(item, Mapping) and isinstance(item.get("name"), str)
    }
    use = env.get("RAY_USE_TLS", {}).get("value")
    return str(use).lower() in ("1", "true") and all(name in env for name in RAY_TLS_FILES)


def _cilium_mutual_auth(inv: Inventory, pod: PodView) -> str | None:
    """The Cilium policies that isolate the pod's ingress, when every ingress rule that
    applies to it requires mutual authentication."""
    model = network_model(inv)
    namespace, labels = pod.workload.namespace or "", pod_labels(pod)
    isolating = model.isolating(namespace, labels, INGRESS)
    rules = model.allowed(namespace, labels, INGRESS)
    if isolating and rules and all(r.authenticated for r in rules):
        return _policy_names(isolating)
    return None


@check(
    "K8S-DESTINATIONRULE-TLS",
    requirement="4.3.4",
    severity="high",
    title="Istio DestinationRules do not disable TLS or its verification",
    remediation="Use `tls.mode: ISTIO_MUTUAL` (or MUTUAL with certificates) and remove "
    "`insecureSkipVerify`.",
    references=(
        "https://istio.io/latest/docs/reference/config/networking/"
        "destination-rule/#ClientTLSSettings",
    ),
)
def destination_rule_tls(inv: Inventory) -> Iterator[Outcome]:
    """`tls.mode: DISABLE` sends plaintext to the destination even inside a STRICT mesh."""
    for resource in inv.kind("DestinationRule", group="networking.istio.io"):
        view = ObjectView(resource)
        problems = list(_tls_problems(view))
        for keys, message in problems:
            yield failed(view, message, setting=view.setting(*keys))
        if not problems:
            yield passed(view, "keeps TLS on (mesh mTLS or verified TLS)")


def _tls_problems(view: ObjectView) -> Iterator[tuple[tuple[Any, ...], str]]:
    blocks: list[tuple[Any, ...]] = [("spec", "trafficPolicy")]
    for index, _ in enumerate(view.get("spec", "trafficPolicy", "portLevelSettings") or []):
        blocks.append(("spec", "trafficPolicy", "portLevelSettings", index))
    for index, _ in enumerate(view.get("spec", "subsets") or []):
        blocks.append(("spec", "subsets", index, "trafficPolicy"))
    for keys in blocks:
        tls = view.get(*keys, "tls")
        if not isinstance(tls, Mapping):
            continue
        if str(tls.get("mode", "")).upper() == "DISABLE":
            yield (*keys, "tls", "mode"), "disables TLS to its destination (tls.mode: DISABLE)"
        if tls.get("insecureSkipVerify") is True:
            yield (
                (*keys, "tls", "insecureSkipVerify"),
                "does not verify the destination's certificate (insecureSkipVerify: true)",
            )


SKIP_VERIFY_KEYS = frozenset(
    {
        "insecureSkipVerify",
        "insecure_skip_verify",
        "insecureSkipTLSVerify",
        "insecure-skip-tls-verify",
        "skipTLSVerify",
        "tlsInsecureSkipVerify",
        "skip_tls_verify",
    }
)
SKIP_VERIFY_TEXT = re.compile(
    r"--(?:insecure-skip-tls-verify|kubelet-insecure-tls|insecure-skip-verify|"
    r"skip-tls-verify)(?:=true)?\b(?!=false)"
    r"|insecure[_-]?skip[_-]?(?:tls[_-]?)?verify[\"']?\s*[:=]\s*[\"']?true",
    re.I,
)
MAX_WALK = 50_000


@check(
    "K8S-TLS-VERIFY",
    requirement="4.3.4",
    severity="high",
    title="TLS certificate verification is not disabled",
    remediation="Remove `insecureSkipVerify: true` / `--insecure-skip-tls-verify` and give "
    "the client the CA bundle it needs.",
    references=("https://kubernetes.io/docs/tasks/tls/managing-tls-in-a-cluster/",),
)
def tls_verified(inv: Inventory) -> Iterator[Outcome]:
    """A client that skips verification accepts any certificate, so mTLS and TLS stop
    authenticating the peer."""
    for resource in inv.resources:
        if resource.origin != "k8s" or resource.kind == "CustomResourceDefinition":
            continue
        view = ObjectView(resource)
        for keys, value, text in _tls_settings(resource.body):
            setting = view.setting(*keys)
            if value is True or text:
                yield failed(
                    view,
                    f"disables TLS verification ({text or keys[-1] + ': true'})",
                    setting=setting,
                )
            elif value is False:
                yield passed(view, f"verifies TLS ({keys[-1]}: false)", setting=setting)


def _tls_settings(body: Any) -> Iterator[tuple[tuple[Any, ...], Any, str]]:
    stack: list[tuple[tuple[Any, ...], Any]] = [((), body)]
    seen = 0
    while stack and seen < MAX_WALK:
        keys, node = stack.pop()
        seen += 1
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for key, value in items:
            path = (*keys, key)
            if key in SKIP_VERIFY_KEYS and isinstance(value, bool | str):
                flag = value if isinstance(value, bool) else str(value).lower() == "true"
                yield path, flag, ""
            elif isinstance(value, str):
                match = SKIP_VERIFY_TEXT.search(value)
                if match:
                    yield path, None, match.group(0)
            elif isinstance(value, dict | list):
                stack.append((path, value))


@check(
    "K8S-CERT-ROTATION",
    requirement="4.3.4",
    severity="medium",
    title="cert-manager certificates are short-lived and rotate their keys",
    remediation="Keep `duration` at or under 2160h (90 days; cert-manager's default) and do "
    "not set `privateKey.rotationPolicy: Never`.",
    references=("https://cert-manager.io/docs/usage/certificate/",),
)
def certificate_rotation(inv: Inventory) -> Iterator[Outcome]:
    """Long-lived certificates and reused keys keep a stolen key useful for longer."""
    for resource in inv.resources:
        if resource.kind != "Certificate" or resource.api_group not in (
            "cert-manager.io",
            "certmanager.k8s.io",
        ):
            continue
        view = ObjectView(resource)
        duration = view.get("spec", "duration")
        hours = go_duration_hours(duration) if duration is not None else 2160.0
        if hours is None:
            yield unknown(
                view,
                f"has a duration c4guard cannot read ({duration!r})",
                setting=view.setting("spec", "duration"),
            )
        elif hours > MAX_CERT_HOURS:
            yield failed(
                view,
                f"lives {hours / 24:.0f} days (duration {duration}), longer than 90 days",
                setting=view.setting("spec", "duration"),
            )
        elif str(view.get("spec", "privateKey", "rotationPolicy")) == "Never":
            yield failed(
                view,
                "reuses its private key on every renewal (rotationPolicy: Never)",
                setting=view.setting("spec", "privateKey", "rotationPolicy"),
            )
        else:
            yield passed(
                view,
                f"lives {hours / 24:.0f} days and is renewed by cert-manager",
                setting=view.setting("spec", "duration"),
            )


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_HOURS = {
    "h": 1.0,
    "m": 1 / 60,
    "s": 1 / 3600,
    "ms": 1 / 3.6e6,
    "us": 1 / 3.6e9,
    "µs": 1 / 3.6e9,
    "ns": 1 / 3.6e12,
}


def go_duration_hours(value: Any) -> float | None:
    """A Go duration string (`2160h`, `720h0m0s`) in hours."""
    text = str(value).strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _HOURS[u] for n, u in parts)


# ---------------------------------------------------------------------------- 4.3.5


@check(
    "K8S-ENV-SHARED-IDENTITY",
    requirement="4.3.5",
    severity="high",
    title="Environments do not share cloud identities",
    remediation="Give each environment its own IAM role / Google service account / Azure "
    "identity and annotate each environment's ServiceAccounts with its own.",
    references=(
        "https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html",
    ),
)
def environments_do_not_share_identities(inv: Inventory) -> Iterator[Outcome]:
    """One cloud identity used by dev and prod lets a dev compromise reach prod data."""
    identities = _cloud_identities(inv)
    environments: dict[str, set[str]] = defaultdict(set)
    for workload, identity, _setting in identities:
        environments[identity].add(str(workload.environment))
    for workload, identity, setting in identities:
        shared = sorted(environments[identity])
        subject = workload.pods[0]
        if len(shared) > 1:
            yield failed(
                subject,
                f"uses the cloud identity {identity}, shared by the "
                f"environments {', '.join(shared)} (this workload: "
                f"{workload.environment}, {workload.environment_reason})",
                setting=setting,
            )
        else:
            yield passed(
                subject,
                f"uses the cloud identity {identity} only in environment {workload.environment}",
                setting=setting,
            )


def _cloud_identities(inv: Inventory) -> list[tuple[Workload, str, Any]]:
    found = []
    for workload in inv.workloads:
        if workload.environment is None or not workload.pods:
            continue
        pod = workload.pods[0]
        name = str(
            pod.spec.get("serviceAccountName") or pod.spec.get("serviceAccount") or "default"
        )
        account = inv.find("ServiceAccount", workload.namespace, name)
        if account is None:
            continue
        annotations = metadata_map(account, "annotations")
        for key in CLOUD_IDENTITY_ANNOTATIONS:
            if annotations.get(key):
                view = ObjectView(account)
                found.append(
                    (workload, f"{annotations[key]}", view.setting("metadata", "annotations", key))
                )
    return found


@check(
    "K8S-NETPOL-CROSS-ENV",
    requirement="4.3.5",
    severity="high",
    title="Network policies do not admit other environments",
    remediation="Select peers by namespaces of the same environment only (for example "
    "`namespaceSelector: {matchLabels: {environment: prod}}`).",
    references=(NETPOL,),
)
def no_cross_environment_rules(inv: Inventory) -> Iterator[Outcome]:
    """A prod policy that admits dev namespaces joins the environments' networks."""
    model = network_model(inv)
    envs = namespace_environments(inv)
    if len(set(envs.values())) < 2:
        return
    for policy in model.policies:
        own = envs.get(policy.namespace or "")
        if policy.namespace is None or own is None:
            continue
        crossing = list(_crossing(model, policy.rules, own, envs))
        for rule, others in crossing:
            yield failed(
                rule.view,
                f"admits namespaces of other environments ({others}) into "
                f"{own} namespace {policy.namespace}",
                setting=rule.view.setting(),
            )
        if not crossing:
            yield passed(policy.view, f"admits only {own} namespaces")


def _crossing(
    model: NetworkModel, rules: list[Rule], own: str, envs: dict[str, str]
) -> Iterator[tuple[Rule, str]]:
    for rule in rules:
        others: set[str] = set()
        for peer in rule.peers:
            namespaces = model.peer_namespaces(rule, peer)
            if namespaces is None:
                others |= {e for e in envs.values() if e != own}
            else:
                others |= {envs[n] for n in namespaces if n in envs and envs[n] != own}
        if others:
            yield rule, ", ".join(sorted(others))
