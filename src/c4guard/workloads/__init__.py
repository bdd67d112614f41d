"""Workloads: every resource that runs pods, with effective pod specs and containers."""

from __future__ import annotations

from c4guard.model import Resource
from c4guard.workloads.argo import workflow_templates
from c4guard.workloads.kinds import EXTRACTORS, embedded_templates
from c4guard.workloads.kserve import inference_service_templates
from c4guard.workloads.llmisvc import llm_config_templates, llm_service_templates
from c4guard.workloads.runtimes import RUNTIME_KINDS, RuntimeIndex
from c4guard.workloads.seldon import server_config_templates, server_templates
from c4guard.workloads.trainer import train_job_templates
from c4guard.workloads.views import (
    ContainerView,
    PodTemplate,
    PodView,
    Setting,
    Workload,
    container_views,
)

__all__ = ["WORKLOAD_KINDS", "ContainerView", "PodView", "Setting", "Workload", "build_workloads"]

MERGED_KINDS = {
    ("serving.kserve.io", "InferenceService"): inference_service_templates,
    ("serving.kserve.io", "LLMInferenceService"): llm_service_templates,
    ("trainer.kubeflow.org", "TrainJob"): train_job_templates,
    ("mlops.seldon.io", "Server"): server_templates,
}
EXTRACTORS.update(
    {
        ("serving.kserve.io", "LLMInferenceServiceConfig"): llm_config_templates,
        ("mlops.seldon.io", "ServerConfig"): server_config_templates,
        **{
            ("argoproj.io", kind): workflow_templates
            for kind in ("Workflow", "CronWorkflow", "WorkflowTemplate", "ClusterWorkflowTemplate")
        },
    }
)
# (API group, kind) of every resource that becomes a workload.
WORKLOAD_KINDS = frozenset(EXTRACTORS) | frozenset(MERGED_KINDS)


def build_workloads(resources: list[Resource]) -> list[Workload]:
    """Workload views of the Kubernetes resources. Runtimes that a workload among the inputs
    uses are judged through it; unused runtimes are judged as they stand."""
    runtimes = RuntimeIndex(resources)
    workloads = []
    deferred = []
    for resource in resources:
        key = (resource.api_group, resource.kind)
        if key in MERGED_KINDS:
            workloads.append(_workload(resource, MERGED_KINDS[key](resource, runtimes)))
        elif key in RUNTIME_KINDS:
            deferred.append(resource)
        elif key in EXTRACTORS:
            workloads.append(_workload(resource, EXTRACTORS[key](resource)))
        elif templates := embedded_templates(resource):
            workloads.append(_workload(resource, templates))
    for runtime in deferred:
        if id(runtime) not in runtimes.used:
            extract = EXTRACTORS[(runtime.api_group, runtime.kind)]
            workloads.append(_workload(runtime, extract(runtime)))
    return workloads


def _workload(resource: Resource, templates: list[PodTemplate]) -> Workload:
    workload = Workload(resource)
    for template in templates:
        pod = PodView(
            workload, template.role, template.spec, template.metadata, template.path, template.notes
        )
        pod.containers = container_views(pod)
        workload.pods.append(pod)
    return workload
