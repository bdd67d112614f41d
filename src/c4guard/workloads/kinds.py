"""Where each workload kind keeps its pod templates.

An extractor takes a resource and returns its `PodTemplate`s: the role (head, worker
group, replica type, predictor...), the pod spec, the template metadata and the path of
the spec inside the object. KServe and Kubeflow Trainer, which merge with runtimes, live in
their own modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from c4guard.model import Resource
from c4guard.sources.yamlload import Mapping, Sequence
from c4guard.workloads.views import EMPTY, PodTemplate

Extractor = Callable[[Resource], list[PodTemplate]]


def mapping(value: Any) -> Mapping | None:
    return value if isinstance(value, Mapping) else None


def template_at(template: Any, role: str, path: str) -> list[PodTemplate]:
    """The pod template found at `path` (a `{metadata, spec}` mapping), if any."""
    template = mapping(template)
    spec = mapping(template.get("spec")) if template else None
    if spec is None:
        return []
    metadata = mapping(template.get("metadata")) or EMPTY
    return [PodTemplate(role, spec, metadata, f"{path}.spec")]


def spec_of(resource: Resource) -> Mapping:
    return mapping(resource.body.get("spec")) or EMPTY


def _pod(resource: Resource) -> list[PodTemplate]:
    spec = mapping(resource.body.get("spec"))
    metadata = mapping(resource.body.get("metadata")) or EMPTY
    return [PodTemplate("", spec, metadata, "spec")] if spec is not None else []


def _templated(resource: Resource) -> list[PodTemplate]:
    return template_at(spec_of(resource).get("template"), "", "spec.template")


def _cron_job(resource: Resource) -> list[PodTemplate]:
    job = mapping(spec_of(resource).get("jobTemplate")) or EMPTY
    job_spec = mapping(job.get("spec")) or EMPTY
    return template_at(job_spec.get("template"), "", "spec.jobTemplate.spec.template")


def ray_cluster_templates(cluster_spec: Any, path: str) -> list[PodTemplate]:
    """Head and every worker group of a RayCluster spec."""
    cluster_spec = mapping(cluster_spec) or EMPTY
    head = mapping(cluster_spec.get("headGroupSpec")) or EMPTY
    found = template_at(head.get("template"), "head", f"{path}.headGroupSpec.template")
    for group in cluster_spec.get("workerGroupSpecs") or []:
        if isinstance(group, Mapping):
            name = str(group.get("groupName") or "workers")
            found += template_at(
                group.get("template"), f"worker {name}", f"{path}.workerGroupSpecs[{name}].template"
            )
    return found


def _ray_cluster(resource: Resource) -> list[PodTemplate]:
    return ray_cluster_templates(resource.body.get("spec"), "spec")


def _ray_job(resource: Resource) -> list[PodTemplate]:
    spec = spec_of(resource)
    found = ray_cluster_templates(spec.get("rayClusterSpec"), "spec.rayClusterSpec")
    return found + template_at(
        spec.get("submitterPodTemplate"), "submitter", "spec.submitterPodTemplate"
    )


def _ray_service(resource: Resource) -> list[PodTemplate]:
    return ray_cluster_templates(spec_of(resource).get("rayClusterConfig"), "spec.rayClusterConfig")


def replica_specs(field: str) -> Extractor:
    """Kubeflow training-operator jobs: `spec.<field>.<ReplicaType>.template`."""

    def extract(resource: Resource) -> list[PodTemplate]:
        replicas = mapping(spec_of(resource).get(field)) or EMPTY
        found: list[PodTemplate] = []
        for replica_type, replica in replicas.items():
            replica = mapping(replica) or EMPTY
            found += template_at(
                replica.get("template"), str(replica_type), f"spec.{field}.{replica_type}.template"
            )
        return found

    return extract


def jobset_templates(jobset_spec: Any, path: str) -> list[PodTemplate]:
    """Every replicated job's pod template in a JobSet spec."""
    found: list[PodTemplate] = []
    for job in (mapping(jobset_spec) or EMPTY).get("replicatedJobs") or []:
        if not isinstance(job, Mapping):
            continue
        name = str(job.get("name") or "job")
        job_template = mapping(job.get("template")) or EMPTY
        job_spec = mapping(job_template.get("spec")) or EMPTY
        found += template_at(
            job_spec.get("template"), name, f"{path}.replicatedJobs[{name}].template.spec.template"
        )
    return found


def _jobset(resource: Resource) -> list[PodTemplate]:
    return jobset_templates(resource.body.get("spec"), "spec")


def _leader_worker_set(resource: Resource) -> list[PodTemplate]:
    lws = mapping(spec_of(resource).get("leaderWorkerTemplate")) or EMPTY
    path = "spec.leaderWorkerTemplate"
    return template_at(lws.get("leaderTemplate"), "leader", f"{path}.leaderTemplate") + template_at(
        lws.get("workerTemplate"), "worker", f"{path}.workerTemplate"
    )


def _serving_runtime(resource: Resource) -> list[PodTemplate]:
    """A KServe runtime checked on its own (no InferenceService among the inputs uses it)."""
    spec = mapping(resource.body.get("spec"))
    return [PodTemplate("", spec, EMPTY, "spec")] if spec is not None else []


def _seldon_deployment(resource: Resource) -> list[PodTemplate]:
    """Seldon Core v1: every predictor's component pod specs and its explainer container."""
    found: list[PodTemplate] = []
    for index, predictor in enumerate(spec_of(resource).get("predictors") or []):
        if not isinstance(predictor, Mapping):
            continue
        name = str(predictor.get("name") or index)
        base = f"spec.predictors[{name}]"
        for number, component in enumerate(predictor.get("componentSpecs") or []):
            found += template_at(
                component, f"{name} component {number + 1}", f"{base}.componentSpecs[{number}]"
            )
        explainer = mapping(predictor.get("explainer")) or EMPTY
        container = mapping(explainer.get("containerSpec"))
        if container is not None:
            pod = Mapping(container.path, container.line)
            pod["containers"] = Sequence(container.path, container.line)
            pod["containers"].append(container)
            found.append(PodTemplate(f"{name} explainer", pod, EMPTY, f"{base}.explainer"))
    return found


def _kueue_workload(resource: Resource) -> list[PodTemplate]:
    """Kueue `Workload`: one pod template per pod set."""
    return _named_templates(resource, "podSets")


def _volcano_job(resource: Resource) -> list[PodTemplate]:
    """Volcano `Job`: one pod template per task."""
    return _named_templates(resource, "tasks")


def _named_templates(resource: Resource, field: str) -> list[PodTemplate]:
    """The pod templates of a list of named entries under `spec.<field>`, each with its
    `template`."""
    found: list[PodTemplate] = []
    for index, entry in enumerate(spec_of(resource).get(field) or []):
        if isinstance(entry, Mapping):
            name = str(entry.get("name") or index)
            found += template_at(entry.get("template"), name, f"spec.{field}[{name}].template")
    return found


def _scaled_job(resource: Resource) -> list[PodTemplate]:
    """KEDA `ScaledJob`: the Job spec it creates, under `jobTargetRef`."""
    target = mapping(spec_of(resource).get("jobTargetRef")) or EMPTY
    return template_at(target.get("template"), "", "spec.jobTargetRef.template")


def embedded_templates(resource: Resource) -> list[PodTemplate]:
    """An object of a kind c4guard does not know that embeds a pod template where
    controllers conventionally keep one: `spec.template`, `spec.jobTemplate.spec.template`,
    `spec.<field>.template` or `spec.<field>[].template`, with containers that name images.
    Each template says how it was recognised."""
    spec = spec_of(resource)
    job = mapping(spec.get("jobTemplate")) or EMPTY
    candidates = [
        (spec.get("template"), "", "spec.template"),
        ((mapping(job.get("spec")) or EMPTY).get("template"), "", "spec.jobTemplate.spec.template"),
    ]
    for key, value in spec.items():
        if key in ("template", "jobTemplate"):
            continue
        items = value if isinstance(value, Sequence) else [value]
        for index, item in enumerate(items):
            if isinstance(item, Mapping):
                where = f"spec.{key}[{index}]" if isinstance(value, Sequence) else f"spec.{key}"
                role = str(item.get("name") or key) if isinstance(value, Sequence) else str(key)
                candidates.append((item.get("template"), role, f"{where}.template"))
    found = []
    for template, role, path in candidates:
        for pod in template_at(template, role, path):
            if _runs_images(pod.spec):
                note = (
                    f"{resource.kind} ({resource.api_group or 'core'}) is judged as a workload: "
                    f"it embeds a pod template at {path}"
                )
                found.append(PodTemplate(pod.role, pod.spec, pod.metadata, pod.path, (note,)))
    return found


def _runs_images(pod_spec: Mapping) -> bool:
    containers = pod_spec.get("containers")
    return isinstance(containers, Sequence) and any(
        isinstance(c, Mapping) and isinstance(c.get("image"), str) for c in containers
    )


def _training_runtime(resource: Resource) -> list[PodTemplate]:
    template = mapping(spec_of(resource).get("template")) or EMPTY
    return jobset_templates(template.get("spec"), "spec.template.spec")


# (API group, kind) -> extractor. Kinds merged with runtimes or configs (InferenceService,
# LLMInferenceService, TrainJob, Seldon Server) and Argo workflows have their own modules.
EXTRACTORS: dict[tuple[str, str], Extractor] = {
    ("", "Pod"): _pod,
    ("", "ReplicationController"): _templated,
    ("apps", "Deployment"): _templated,
    ("apps", "StatefulSet"): _templated,
    ("apps", "DaemonSet"): _templated,
    ("apps", "ReplicaSet"): _templated,
    ("batch", "Job"): _templated,
    ("batch", "CronJob"): _cron_job,
    ("ray.io", "RayCluster"): _ray_cluster,
    ("ray.io", "RayJob"): _ray_job,
    ("ray.io", "RayService"): _ray_service,
    ("kubeflow.org", "PyTorchJob"): replica_specs("pytorchReplicaSpecs"),
    ("kubeflow.org", "TFJob"): replica_specs("tfReplicaSpecs"),
    ("kubeflow.org", "MPIJob"): replica_specs("mpiReplicaSpecs"),
    ("kubeflow.org", "XGBoostJob"): replica_specs("xgbReplicaSpecs"),
    ("kubeflow.org", "PaddleJob"): replica_specs("paddleReplicaSpecs"),
    ("jobset.x-k8s.io", "JobSet"): _jobset,
    ("leaderworkerset.x-k8s.io", "LeaderWorkerSet"): _leader_worker_set,
    ("serving.kserve.io", "ServingRuntime"): _serving_runtime,
    ("serving.kserve.io", "ClusterServingRuntime"): _serving_runtime,
    ("trainer.kubeflow.org", "TrainingRuntime"): _training_runtime,
    ("trainer.kubeflow.org", "ClusterTrainingRuntime"): _training_runtime,
    ("serving.knative.dev", "Service"): _templated,
    ("serving.knative.dev", "Configuration"): _templated,
    ("kubeflow.org", "Notebook"): _templated,
    ("machinelearning.seldon.io", "SeldonDeployment"): _seldon_deployment,
    ("kueue.x-k8s.io", "Workload"): _kueue_workload,
    ("batch.volcano.sh", "Job"): _volcano_job,
    ("argoproj.io", "Rollout"): _templated,
    ("keda.sh", "ScaledJob"): _scaled_job,
}
