"""Argo Workflows: each template that runs containers (`container`, `script`,
`containerSet`, with its init containers and sidecars) becomes one pod, with the workflow's
pod-level settings under the template's own, as the workflow controller builds it.
CronWorkflows carry the workflow spec in `spec.workflowSpec`; WorkflowTemplates in `spec`.
`podSpecPatch` strings are not applied."""

from __future__ import annotations

from typing import Any

from c4guard.model import Resource
from c4guard.sources.merge import MergedMapping, overlay
from c4guard.sources.yamlload import Mapping, Sequence
from c4guard.workloads.kinds import mapping, spec_of
from c4guard.workloads.views import EMPTY, PodTemplate

MAIN_CONTAINER = "main"
# Workflow-level fields that become pod settings (the template's own override them).
POD_FIELDS = (
    "securityContext",
    "serviceAccountName",
    "automountServiceAccountToken",
    "nodeSelector",
    "affinity",
    "tolerations",
    "hostNetwork",
    "dnsPolicy",
    "priorityClassName",
    "schedulerName",
    "imagePullSecrets",
    "hostAliases",
)
TEMPLATE_FIELDS = tuple(f for f in POD_FIELDS if f != "hostNetwork")
RENAMED = {"podPriorityClassName": "priorityClassName"}


def workflow_templates(resource: Resource) -> list[PodTemplate]:
    spec = spec_of(resource)
    base = "spec"
    if resource.kind == "CronWorkflow":
        spec = mapping(spec.get("workflowSpec")) or EMPTY
        base = "spec.workflowSpec"
    workflow_pod = _pick(spec, POD_FIELDS)
    for old, new in RENAMED.items():
        if old in spec and new not in workflow_pod:
            workflow_pod[new] = spec[old]
            workflow_pod.key_lines[new] = spec.line_of(old) or 0
    defaults = mapping(spec.get("templateDefaults")) or EMPTY
    found = []
    for index, template in enumerate(spec.get("templates") or []):
        if isinstance(template, Mapping):
            pod = _template_pod(workflow_pod, spec, overlay(defaults, template))
            if pod is not None:
                name = str(template.get("name") or index)
                metadata = overlay(
                    mapping(spec.get("podMetadata")) or EMPTY,
                    mapping(template.get("metadata")) or EMPTY,
                )
                found.append(PodTemplate(name, pod, metadata, f"{base}.templates[{name}]"))
    return found


def _pick(block: Mapping, fields: tuple[str, ...]) -> MergedMapping:
    picked = MergedMapping(block.path, block.line)
    for key in fields:
        if key in block:
            picked[key] = block[key]
            picked.origins[key] = block.where(key)
            picked.key_lines[key] = block.line_of(key) or 0
    return picked


def _template_pod(workflow_pod: Mapping, spec: Mapping, template: Any) -> Mapping | None:
    containers = _containers(template)
    if not containers:
        return None
    pod = overlay(workflow_pod, _pick(template, TEMPLATE_FIELDS))
    pod["containers"] = containers
    init = template.get("initContainers")
    if isinstance(init, list) and init:
        pod["initContainers"] = init
    volumes = Sequence(template.path, template.line)
    for source in (spec.get("volumes"), template.get("volumes")):
        if isinstance(source, list):
            volumes.extend(source)
            volumes.item_lines.extend(getattr(source, "item_lines", []) or [0] * len(source))
    if volumes:
        pod["volumes"] = volumes
    return pod


def _containers(template: Any) -> Sequence:
    found = Sequence(getattr(template, "path", None), getattr(template, "line", None))
    for key in ("container", "script"):
        main = mapping(template.get(key))
        if main is not None:
            named = overlay(EMPTY, main)
            named.setdefault("name", MAIN_CONTAINER)
            found.append(named)
    container_set = mapping(template.get("containerSet")) or EMPTY
    found.extend(c for c in container_set.get("containers") or [] if isinstance(c, Mapping))
    found.extend(c for c in template.get("sidecars") or [] if isinstance(c, Mapping))
    found.item_lines = [getattr(c, "line", None) or 0 for c in found]
    return found
