"""C4.6 Resource management, backup and recovery: Kubernetes evidence for 4.6.1 (limits,
quotas, LimitRanges, Kueue quotas for accelerators), 4.6.2 (rate limits, bounded autoscaling
or priority for exposed AI services) and 4.6.3 (Velero backup locations with their own
credentials)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, not_applicable, passed, verdict
from c4guard.kube import selectors
from c4guard.kube.mesh import mesh_config
from c4guard.kube.objects import ObjectView, container_setting, metadata_map, pod_labels
from c4guard.model import NotApplicable
from c4guard.workloads.accelerators import accelerator_requests
from c4guard.workloads.views import mapping_at

if TYPE_CHECKING:
    from c4guard.inventory import Inventory, NamespaceView
    from c4guard.model import Resource
    from c4guard.workloads import Workload

LIMITS = "https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"
QUOTAS = "https://kubernetes.io/docs/concepts/policy/resource-quotas/"
KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
CPU_KEYS = ("cpu", "requests.cpu", "limits.cpu")
MEMORY_KEYS = ("memory", "requests.memory", "limits.memory")


# ---------------------------------------------------------------------------- 4.6.1


@check(
    "K8S-RESOURCE-LIMITS",
    requirement="4.6.1",
    severity="medium",
    title="Containers have CPU and memory limits",
    remediation="Set `resources.limits.cpu` and `resources.limits.memory` on every container "
    "(or let a LimitRange default them).",
    references=(LIMITS,),
)
def container_limits(inv: Inventory) -> Iterator[Outcome]:
    """Without limits one container can exhaust its node's CPU and memory."""
    for container in inv.containers():
        if container.group == "ephemeralContainers":
            continue
        limits = (
            container.spec.get("resources", {}).get("limits")
            if isinstance(container.spec.get("resources"), Mapping)
            else None
        )
        limits = limits if isinstance(limits, Mapping) else {}
        missing = [k for k in ("cpu", "memory") if limits.get(k) in (None, "")]
        setting = container_setting(container, "resources", "limits")
        yield verdict(
            not missing,
            container,
            f"is limited to {limits.get('cpu')} CPU and {limits.get('memory')} memory",
            f"has no {' or '.join(missing)} limit",
            setting=setting,
        )


@check(
    "K8S-ACCELERATOR-LIMITS",
    requirement="4.6.1",
    severity="medium",
    title="Accelerator requests equal their limits",
    remediation="Set accelerator resources under `limits` (requests then default to them) "
    "and keep any request equal to the limit.",
    references=("https://kubernetes.io/docs/tasks/manage-gpus/scheduling-gpus/",),
)
def accelerator_limits(inv: Inventory) -> Iterator[Outcome]:
    """Extended resources cannot be overcommitted: a request without an equal limit is
    rejected or unbounded."""
    for container in inv.containers():
        for request in accelerator_requests(container):
            setting = container_setting(container, "resources", "limits", request.resource)
            if request.limit is None:
                yield failed(
                    container,
                    f"requests {request.resource} without a limit",
                    setting=container_setting(container, "resources", "requests", request.resource),
                )
            elif request.request is not None and str(request.request) != str(request.limit):
                yield failed(
                    container,
                    f"requests {request.request} {request.resource} but is "
                    f"limited to {request.limit}",
                    setting=setting,
                )
            else:
                yield passed(
                    container, f"is limited to {request.limit} {request.resource}", setting=setting
                )


@check(
    "K8S-RESOURCE-QUOTA",
    requirement="4.6.1",
    severity="medium",
    title="Namespaces that run workloads have a ResourceQuota (with accelerators)",
    remediation="Add a ResourceQuota with cpu and memory, and `requests.<accelerator>` (for "
    "example `requests.nvidia.com/gpu`) where GPUs are used, or queue GPU jobs "
    "through a Kueue LocalQueue whose ClusterQueue sets a nominalQuota.",
    references=(QUOTAS, "https://kueue.sigs.k8s.io/docs/concepts/cluster_queue/"),
)
def namespace_quota(inv: Inventory) -> Iterator[Outcome]:
    """Without a quota one team's jobs can take every GPU and node of the cluster."""
    for ns in inv.namespaces_with_workloads():
        quotas = [r for r in inv.kind("ResourceQuota") if r.namespace == ns.name]
        hard: dict[str, Any] = {}
        for quota in quotas:
            spec_hard = ObjectView(quota).get("spec", "hard")
            hard.update(spec_hard if isinstance(spec_hard, Mapping) else {})
        accelerators = sorted(
            {
                r.resource
                for w in ns.workloads
                for c in w.containers()
                for r in accelerator_requests(c)
            }
        )
        missing = [
            name
            for name, keys in (("cpu", CPU_KEYS), ("memory", MEMORY_KEYS))
            if not any(k in hard for k in keys)
        ]
        kueue = _kueue_quotas(inv, ns)
        missing += [a for a in accelerators if f"requests.{a}" not in hard and a not in kueue]
        setting = ObjectView(quotas[0]).setting("spec", "hard") if quotas else None
        if not quotas and not kueue:
            yield failed(ns, "has no ResourceQuota")
        elif missing:
            yield failed(ns, f"has no quota for {', '.join(missing)}", setting=setting)
        else:
            via = f" (accelerators through Kueue: {', '.join(sorted(kueue))})" if kueue else ""
            yield passed(
                ns,
                f"has a ResourceQuota for cpu, memory and its accelerators{via}",
                setting=setting,
            )


def _kueue_quotas(inv: Inventory, ns: NamespaceView) -> set[str]:
    """Resources with a nominal quota in the ClusterQueues that the namespace's queued
    workloads reach through its LocalQueues."""
    queued = {
        str(
            pod_labels(p).get(KUEUE_QUEUE_LABEL)
            or metadata_map(w.resource, "labels").get(KUEUE_QUEUE_LABEL)
        )
        for w in ns.workloads
        for p in w.pods
    }
    covered: set[str] = set()
    for local in inv.kind("LocalQueue", group="kueue.x-k8s.io"):
        if local.namespace != ns.name or local.name not in queued:
            continue
        cluster_queue = inv.find(
            "ClusterQueue", None, str(ObjectView(local).get("spec", "clusterQueue"))
        )
        if cluster_queue is None:
            continue
        for group in ObjectView(cluster_queue).get("spec", "resourceGroups") or []:
            for flavor in group.get("flavors") or [] if isinstance(group, Mapping) else []:
                for item in flavor.get("resources") or [] if isinstance(flavor, Mapping) else []:
                    if isinstance(item, Mapping) and item.get("nominalQuota") is not None:
                        covered.add(str(item.get("name")))
    return covered


@check(
    "K8S-LIMIT-RANGE",
    requirement="4.6.1",
    severity="low",
    title="Namespaces that run workloads have a LimitRange",
    remediation="Add a LimitRange with `type: Container` defaults and maximums so containers "
    "without limits still get them.",
    references=("https://kubernetes.io/docs/concepts/policy/limit-range/",),
)
def namespace_limit_range(inv: Inventory) -> Iterator[Outcome]:
    """A LimitRange bounds containers that forget their limits."""
    for ns in inv.namespaces_with_workloads():
        ranges = [r for r in inv.kind("LimitRange") if r.namespace == ns.name]
        bounded = [
            r
            for r in ranges
            if any(
                isinstance(item, Mapping)
                and item.get("type") == "Container"
                and (item.get("default") or item.get("max"))
                for item in ObjectView(r).get("spec", "limits") or []
            )
        ]
        if bounded:
            yield passed(
                ns,
                f"bounds containers with LimitRange {bounded[0].name}",
                setting=ObjectView(bounded[0]).setting("spec", "limits"),
            )
        else:
            yield failed(ns, "has no LimitRange with Container defaults or maximums")


# ---------------------------------------------------------------------------- 4.6.2

SERVING_KINDS = frozenset(
    {
        "InferenceService",
        "LLMInferenceService",
        "SeldonDeployment",
        "Server",
        "RayService",
        "Deployment",
        "StatefulSet",
        "LeaderWorkerSet",
        "Service",
    }
)
SELF_EXPOSED = {
    ("serving.kserve.io", "InferenceService"): "networking.kserve.io/visibility",
    ("serving.kserve.io", "LLMInferenceService"): "networking.kserve.io/visibility",
    ("serving.knative.dev", "Service"): "networking.knative.dev/visibility",
}
RATE_LIMIT_ANNOTATIONS = (
    "nginx.ingress.kubernetes.io/limit-rps",
    "nginx.ingress.kubernetes.io/limit-rpm",
    "nginx.ingress.kubernetes.io/limit-connections",
    "nginx.ingress.kubernetes.io/global-rate-limit",
)
MAX_SCALE = ("autoscaling.knative.dev/max-scale", "autoscaling.knative.dev/maxScale")


@check(
    "K8S-EXHAUSTION-PROTECTION",
    requirement="4.6.2",
    severity="medium",
    title="Exposed AI services are protected against exhaustion",
    remediation="Put a rate limit in front of the service (ingress-nginx `limit-rps`, an "
    "Istio/Envoy local rate limit, Envoy Gateway BackendTrafficPolicy, Kong or "
    "Traefik plugins) and bound its autoscaling (HPA/KEDA `maxReplicas`, KServe "
    "`maxReplicas`, Knative `max-scale`) or give it a PriorityClass.",
    references=(
        "https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/"
        "annotations/#rate-limiting",
        "https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/",
    ),
)
def exhaustion_protection(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """A public inference endpoint without rate limits or bounds lets one client consume
    every GPU, or scale the bill without limit."""
    serving = [
        w
        for w in inv.workloads
        if "ai" in w.classes
        and w.pods
        and (
            w.resource.kind in SERVING_KINDS
            or (w.resource.api_group, w.resource.kind) in SELF_EXPOSED
        )
    ]
    if not serving:
        yield not_applicable(
            "4.6.2",
            "workloads were scanned and none serves an AI model "
            "(no AI Deployment, InferenceService, Knative or Seldon "
            "service)",
        )
        return
    for workload in serving:
        exposure = _exposure(inv, workload)
        pod = workload.pods[0]
        why = workload.why("ai")
        if exposure is None:
            yield passed(pod, f"is not exposed outside the cluster ({why})")
            continue
        protections = list(_protections(inv, workload))
        yield verdict(
            bool(protections),
            pod,
            f"is exposed ({exposure}) and protected by {'; '.join(protections)} ({why})",
            f"is exposed ({exposure}) with no rate limit, bounded autoscaling "
            f"or priority class ({why})",
        )


def _services_for(inv: Inventory, workload: Workload) -> list[Resource]:
    labels = [pod_labels(p) for p in workload.pods]
    return [
        s
        for s in inv.kind("Service")
        if s.namespace == workload.namespace
        and any(selectors.matches_map(ObjectView(s).get("spec", "selector"), lab) for lab in labels)
    ]


def _exposure(inv: Inventory, workload: Workload) -> str | None:
    key = (workload.resource.api_group, workload.resource.kind)
    if key in SELF_EXPOSED:
        labels = metadata_map(workload.resource, "labels")
        if labels.get(SELF_EXPOSED[key]) != "cluster-local":
            return (
                f"{workload.resource.kind} routes are external unless labelled "
                f"{SELF_EXPOSED[key]}: cluster-local"
            )
    services = [
        (s.name, ObjectView(s).get("spec", "type"), "Service") for s in _services_for(inv, workload)
    ]
    services += [(name, kind, "KubeRay's Service") for name, kind in _kuberay_services(workload)]
    for name, kind, what in services:
        if kind in ("LoadBalancer", "NodePort"):
            return f"{what} {name} of type {kind}"
        for route in _routes_to(inv, workload.namespace, name):
            return f"{route.kind} {route.name} routes to {what} {name}"
    return None


def _kuberay_services(workload: Workload) -> list[tuple[str, Any]]:
    """The Services KubeRay creates for a RayCluster or RayService, which no manifest
    shows: `<name>-head-svc` (typed by `headGroupSpec.serviceType`) and, for a RayService,
    `<name>-serve-svc` (or `serveService` as written), as (name, type)."""
    resource = workload.resource
    if resource.api_group != "ray.io" or resource.kind not in ("RayCluster", "RayService"):
        return []
    spec = mapping_at(resource.body, "spec")
    cluster = mapping_at(spec, "rayClusterConfig") if resource.kind == "RayService" else spec
    head = mapping_at(cluster, "headGroupSpec")
    found = [(f"{resource.name}-head-svc", head.get("serviceType"))]
    if resource.kind == "RayService":
        serve = mapping_at(spec, "serveService")
        name = mapping_at(serve, "metadata").get("name") or f"{resource.name}-serve-svc"
        found.append((str(name), mapping_at(serve, "spec").get("type")))
    return found


def _routes_to(inv: Inventory, namespace: str | None, service: str) -> Iterator[Resource]:
    for ingress in inv.kind("Ingress", group="networking.k8s.io"):
        if ingress.namespace == namespace and service in _backend_names(ingress.body.get("spec")):
            yield ingress
    for route in inv.kind("HTTPRoute", group="gateway.networking.k8s.io"):
        if route.namespace == namespace and service in _backend_names(route.body.get("spec")):
            yield route


def _backend_names(spec: Any) -> set[str]:
    """Service names referenced anywhere under an Ingress/HTTPRoute spec."""
    names: set[str] = set()
    stack = [spec]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            service = node.get("service")
            if isinstance(service, Mapping) and service.get("name"):
                names.add(str(service["name"]))
            if node.get("serviceName"):
                names.add(str(node["serviceName"]))
            if "backendRefs" in node:
                names |= {
                    str(r.get("name"))
                    for r in node.get("backendRefs") or []
                    if isinstance(r, Mapping)
                }
            stack.extend(v for v in node.values() if isinstance(v, Mapping | list))
        elif isinstance(node, list):
            stack.extend(node)
    return names


def _protections(inv: Inventory, workload: Workload) -> Iterator[str]:
    names = [s.name for s in _services_for(inv, workload)]
    names += [name for name, _kind in _kuberay_services(workload)]
    for name in names:
        for route in _routes_to(inv, workload.namespace, name):
            annotations = metadata_map(route, "annotations")
            limit = next((a for a in RATE_LIMIT_ANNOTATIONS if a in annotations), None)
            if limit or "konghq.com/plugins" in annotations:
                yield f"rate limit on {route.kind} {route.name}"
    yield from _namespace_rate_limits(inv, workload.namespace or "")
    yield from _autoscaling(inv, workload)
    priority = next(
        (p.spec.get("priorityClassName") for p in workload.pods if p.spec.get("priorityClassName")),
        None,
    )
    if priority:
        yield f"PriorityClass {priority}"


def _namespace_rate_limits(inv: Inventory, namespace: str) -> Iterator[str]:
    root = mesh_config(inv).root_namespace
    for resource in inv.kind("EnvoyFilter", group="networking.istio.io"):
        if resource.namespace in (namespace, root) and "local_ratelimit" in str(resource.body):
            yield f"Envoy local rate limit (EnvoyFilter {resource.name})"
    for resource in inv.kind("BackendTrafficPolicy", group="gateway.envoyproxy.io"):
        if resource.namespace == namespace and ObjectView(resource).get("spec", "rateLimit"):
            yield f"Envoy Gateway rate limit (BackendTrafficPolicy {resource.name})"
    for resource in inv.kind("Middleware", group="traefik.io") + inv.kind(
        "Middleware", group="traefik.containo.us"
    ):
        if resource.namespace == namespace and ObjectView(resource).get("spec", "rateLimit"):
            yield f"Traefik rate limit (Middleware {resource.name})"


def _autoscaling(inv: Inventory, workload: Workload) -> Iterator[str]:
    name, kind = workload.resource.name, workload.resource.kind
    for hpa in inv.kind("HorizontalPodAutoscaler", group="autoscaling"):
        target = ObjectView(hpa).get("spec", "scaleTargetRef") or {}
        if (
            hpa.namespace == workload.namespace
            and target.get("name") == name
            and ObjectView(hpa).get("spec", "maxReplicas")
        ):
            yield (
                f"HorizontalPodAutoscaler {hpa.name} (maxReplicas "
                f"{ObjectView(hpa).get('spec', 'maxReplicas')})"
            )
    for scaled in inv.kind("ScaledObject", group="keda.sh"):
        target = ObjectView(scaled).get("spec", "scaleTargetRef") or {}
        if scaled.namespace == workload.namespace and target.get("name") == name:
            yield f"KEDA ScaledObject {scaled.name}"
    view = ObjectView(workload.resource)
    if kind == "InferenceService" and view.get("spec", "predictor", "maxReplicas"):
        yield f"KServe maxReplicas {view.get('spec', 'predictor', 'maxReplicas')}"
    template = metadata_map(workload.resource, "annotations")
    for pod in workload.pods:
        template = {**template, **pod.annotations}
    bound = next((template[k] for k in MAX_SCALE if k in template), None)
    if bound:
        yield f"Knative max-scale {bound}"


# ---------------------------------------------------------------------------- 4.6.3


@check(
    "K8S-BACKUP-CREDENTIALS",
    requirement="4.6.3",
    severity="medium",
    title="Backup locations use their own credentials",
    remediation="Give each Velero BackupStorageLocation its own `credential` (a Secret key "
    "for an identity that can only write backups) and point it at a bucket "
    "with object lock.",
    references=("https://velero.io/docs/main/api-types/backupstoragelocation/",),
)
def backup_credentials(inv: Inventory) -> Iterator[Outcome]:
    """Backups written with the cluster's everyday credentials are deleted with them."""
    for resource in inv.kind("BackupStorageLocation", group="velero.io"):
        view = ObjectView(resource)
        credential = view.get("spec", "credential")
        if isinstance(credential, Mapping) and credential.get("name"):
            yield passed(
                view,
                f"writes backups with its own credential (Secret {credential['name']})",
                setting=view.setting("spec", "credential"),
            )
        else:
            yield failed(
                view,
                "writes backups with the Velero server's default credential",
                setting=view.setting("spec"),
            )
