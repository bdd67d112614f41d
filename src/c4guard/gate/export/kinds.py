"""Where each workload kind keeps its pod templates, declared as paths, and the CEL that
collects them from the admitted `object`.

The table mirrors `workloads.kinds.EXTRACTORS`; the differential tests prove, object by
object, that the CEL below finds the same pod specs as the Python extractors. Kinds that
merge with a runtime or overlay defaults (KServe InferenceService, TrainJob, Argo
workflows, ...) are left to the webhook: their pods are admitted as Pods or Deployments,
which the native policies judge.
"""

from __future__ import annotations

from dataclasses import dataclass

from c4guard.gate.webhook_config import plural

# A path step: a field name, "[]" (every item of a list) or "{}" (every value of a map).
EACH_ITEM, EACH_VALUE = "[]", "{}"


@dataclass(frozen=True, slots=True)
class TemplatePath:
    """Pod templates at `steps`: `template` ({metadata, spec}), `podspec` (a pod spec
    without metadata) or `container` (one container, a pod of its own)."""

    steps: tuple[str, ...]
    shape: str = "template"


@dataclass(frozen=True, slots=True)
class NativeKind:
    group: str
    kind: str
    paths: tuple[TemplatePath, ...]

    @property
    def resource(self) -> str:
        return plural(self.kind)


def _t(path: str, shape: str = "template") -> TemplatePath:
    return TemplatePath(tuple(path.split(".")) if path else (), shape)


_TEMPLATED = (_t("spec.template"),)
_RAY = ("headGroupSpec.template", "workerGroupSpecs.[].template")


def _ray(base: str) -> tuple[TemplatePath, ...]:
    return tuple(_t(f"{base}.{p}") for p in _RAY)


def _replicas(field: str) -> tuple[TemplatePath, ...]:
    return (_t(f"spec.{field}.{{}}.template"),)


NATIVE_KINDS: tuple[NativeKind, ...] = (
    NativeKind("", "Pod", (_t(""),)),
    NativeKind("", "ReplicationController", _TEMPLATED),
    NativeKind("apps", "Deployment", _TEMPLATED),
    NativeKind("apps", "StatefulSet", _TEMPLATED),
    NativeKind("apps", "DaemonSet", _TEMPLATED),
    NativeKind("apps", "ReplicaSet", _TEMPLATED),
    NativeKind("batch", "Job", _TEMPLATED),
    NativeKind("batch", "CronJob", (_t("spec.jobTemplate.spec.template"),)),
    NativeKind("ray.io", "RayCluster", _ray("spec")),
    NativeKind("ray.io", "RayJob", (*_ray("spec.rayClusterSpec"), _t("spec.submitterPodTemplate"))),
    NativeKind("ray.io", "RayService", _ray("spec.rayClusterConfig")),
    NativeKind("kubeflow.org", "PyTorchJob", _replicas("pytorchReplicaSpecs")),
    NativeKind("kubeflow.org", "TFJob", _replicas("tfReplicaSpecs")),
    NativeKind("kubeflow.org", "MPIJob", _replicas("mpiReplicaSpecs")),
    NativeKind("kubeflow.org", "XGBoostJob", _replicas("xgbReplicaSpecs")),
    NativeKind("kubeflow.org", "PaddleJob", _replicas("paddleReplicaSpecs")),
    NativeKind("jobset.x-k8s.io", "JobSet", (_t("spec.replicatedJobs.[].template.spec.template"),)),
    NativeKind(
        "leaderworkerset.x-k8s.io",
        "LeaderWorkerSet",
        (
            _t("spec.leaderWorkerTemplate.leaderTemplate"),
            _t("spec.leaderWorkerTemplate.workerTemplate"),
        ),
    ),
    NativeKind("serving.kserve.io", "ServingRuntime", (_t("spec", "podspec"),)),
    NativeKind("serving.kserve.io", "ClusterServingRuntime", (_t("spec", "podspec"),)),
    NativeKind(
        "trainer.kubeflow.org",
        "TrainingRuntime",
        (_t("spec.template.spec.replicatedJobs.[].template.spec.template"),),
    ),
    NativeKind(
        "trainer.kubeflow.org",
        "ClusterTrainingRuntime",
        (_t("spec.template.spec.replicatedJobs.[].template.spec.template"),),
    ),
    NativeKind("serving.knative.dev", "Service", _TEMPLATED),
    NativeKind("serving.knative.dev", "Configuration", _TEMPLATED),
    NativeKind("kubeflow.org", "Notebook", _TEMPLATED),
    NativeKind(
        "machinelearning.seldon.io",
        "SeldonDeployment",
        (
            _t("spec.predictors.[].componentSpecs.[]"),
            _t("spec.predictors.[].explainer.containerSpec", "container"),
        ),
    ),
    NativeKind("kueue.x-k8s.io", "Workload", (_t("spec.podSets.[].template"),)),
    NativeKind("mlops.seldon.io", "ServerConfig", (_t("spec.podSpec", "podspec"),)),
)

LEFT_TO_THE_WEBHOOK = {
    "serving.kserve.io/InferenceService": "merged with its ServingRuntime",
    "serving.kserve.io/LLMInferenceService": "merged with its LLMInferenceServiceConfigs",
    "serving.kserve.io/LLMInferenceServiceConfig": "pod specs only where containers are set",
    "trainer.kubeflow.org/TrainJob": "merged with its training runtime",
    "mlops.seldon.io/Server": "merged with its ServerConfig",
    "argoproj.io/Workflow, CronWorkflow, WorkflowTemplate, ClusterWorkflowTemplate": (
        "templates overlay the workflow's defaults"
    ),
}
