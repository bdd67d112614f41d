"""Kubeflow Trainer TrainJob: the training runtime's pods with the TrainJob's trainer
settings and pod overrides applied, as the Trainer controller does."""

from __future__ import annotations

from typing import Any

from c4guard.model import Resource
from c4guard.sources.merge import MergedMapping, overlay, where
from c4guard.sources.yamlload import Mapping, Sequence
from c4guard.workloads.kinds import jobset_templates, mapping, spec_of
from c4guard.workloads.runtimes import RuntimeIndex
from c4guard.workloads.views import EMPTY, PodTemplate

ANCESTOR_LABEL = "trainer.kubeflow.org/trainjob-ancestor-step"
TRAINER_JOB = "node"
TRAINER_CONTAINER = "node"
TRAINER_FIELDS = {
    "image": "image",
    "command": "command",
    "args": "args",
    "env": "env",
    "resourcesPerNode": "resources",
}


def train_job_templates(resource: Resource, runtimes: RuntimeIndex) -> list[PodTemplate]:
    spec = spec_of(resource)
    ref = mapping(spec.get("runtimeRef")) or EMPTY
    name = str(ref.get("name") or "")
    kind = str(ref.get("kind") or "ClusterTrainingRuntime")
    runtime = runtimes.training_runtime(resource.namespace, name, kind) if name else None
    trainer = _trainer_container(mapping(spec.get("trainer")))
    if runtime is None:
        note = f"{kind} {name!r} is not among the inputs: the trainer is checked as written"
        pod = MergedMapping(spec.path, spec.line)
        pod["containers"] = _sequence([trainer] if trainer else [], spec)
        return [PodTemplate(TRAINER_JOB, pod, EMPTY, "spec.trainer", (note,))]
    template = mapping(spec_of(runtime).get("template")) or EMPTY
    templates = jobset_templates(
        template.get("spec"), f"runtime[{runtime.name}].spec.template.spec"
    )
    overrides = _overrides(spec)
    trainer_job = _trainer_job(template.get("spec"))
    return [_apply(t, trainer if t.role == trainer_job else None, overrides) for t in templates]


def _trainer_job(jobset_spec: Any) -> str:
    """The replicated job that runs the trainer: the one labelled as the trainer ancestor
    step, else the one named `node`."""
    for job in (mapping(jobset_spec) or EMPTY).get("replicatedJobs") or []:
        template = mapping(job.get("template")) if isinstance(job, Mapping) else None
        metadata = mapping(template.get("metadata")) if template else None
        labels = mapping(metadata.get("labels")) if metadata else None
        if labels and labels.get(ANCESTOR_LABEL) == "trainer":
            return str(job.get("name"))
    return TRAINER_JOB


def _trainer_container(trainer: Mapping | None) -> MergedMapping | None:
    if trainer is None:
        return None
    picked = MergedMapping(trainer.path, trainer.line)
    for source_key, target_key in TRAINER_FIELDS.items():
        if source_key in trainer:
            picked[target_key] = trainer[source_key]
            picked.origins[target_key] = where(trainer, source_key)
            picked.key_lines[target_key] = picked.origins[target_key][1] or 0
    return picked


def _overrides(spec: Mapping) -> list[Mapping]:
    found = spec.get("podTemplateOverrides") or spec.get("podSpecOverrides") or []
    return [o for o in found if isinstance(o, Mapping)]


def _apply(template: PodTemplate, trainer: Mapping | None, overrides: list[Mapping]) -> PodTemplate:
    spec: Mapping = template.spec
    for override in overrides:
        if template.role in _target_jobs(override):
            body = mapping(override.get("spec")) or override
            spec = overlay(spec, body, drop=frozenset({"targetJobs", "metadata", "spec"}))
    if trainer is not None:
        spec = overlay(spec, EMPTY)
        spec["containers"] = _with_trainer(spec.get("containers"), trainer, spec)
    return PodTemplate(template.role, spec, template.metadata, template.path, template.notes)


def _target_jobs(override: Mapping) -> set[str]:
    return {str(t.get("name")) for t in override.get("targetJobs") or [] if isinstance(t, dict)}


def _with_trainer(containers: Any, trainer: Mapping, spec: Mapping) -> Sequence:
    items = [c for c in containers or [] if isinstance(c, Mapping)]
    named = [c for c in items if c.get("name") == TRAINER_CONTAINER]
    target = (named or items)[0] if items else None
    merged = overlay(target or EMPTY, trainer)
    merged.setdefault("name", TRAINER_CONTAINER)
    return _sequence([merged if c is target else c for c in items] or [merged], spec)


def _sequence(items: list[Mapping], anchor: Mapping) -> Sequence:
    result = Sequence(anchor.path, anchor.line)
    result.extend(items)
    result.item_lines = [getattr(i, "line", None) or anchor.line or 0 for i in items]
    return result
