"""KServe LLMInferenceService: the decode, worker, prefill and scheduler pods, with the
LLMInferenceServiceConfigs named in `baseRefs` laid under the service's own spec in order,
as the controller merges them, and under those the controller's well-known presets
(`kserve-config-llm-template` and its kin) that it always applies first."""

from __future__ import annotations

from typing import Any

from c4guard.model import Resource
from c4guard.sources.merge import overlay
from c4guard.sources.yamlload import Mapping
from c4guard.workloads.kinds import mapping, spec_of
from c4guard.workloads.runtimes import SERVING_GROUP, RuntimeIndex
from c4guard.workloads.views import EMPTY, PodTemplate, mapping_at

CONFIG_KIND = "LLMInferenceServiceConfig"
PRESET = "kserve-config-llm-"
# (role, path of a pod spec inside the LLMInferenceService spec)
POD_SPECS = (
    ("decode", ("template",)),
    ("decode worker", ("worker",)),
    ("prefill", ("prefill", "template")),
    ("prefill worker", ("prefill", "worker")),
    ("scheduler", ("router", "scheduler", "template")),
)


def llm_service_templates(resource: Resource, runtimes: RuntimeIndex) -> list[PodTemplate]:
    spec: Any = spec_of(resource)
    notes = []
    for ref in reversed(spec.get("baseRefs") or []):
        name = str(ref.get("name")) if isinstance(ref, Mapping) else ""
        config = runtimes.named(SERVING_GROUP, CONFIG_KIND, resource.namespace, name)
        if config is None:
            notes.append(
                f"{CONFIG_KIND} {name!r} is not among the inputs: its settings are not applied"
            )
        else:
            spec = overlay(spec_of(config), spec)
    for name in reversed(well_known_presets(spec)):
        preset = runtimes.preset(SERVING_GROUP, CONFIG_KIND, name)
        if preset is not None:
            spec = overlay(spec_of(preset), spec)
    return pod_specs(spec, tuple(notes))


def well_known_presets(spec: Any) -> list[str]:
    """The presets KServe's controller lays under every service before its `baseRefs`
    (pkg/controller/llmisvc, config_merge.go), in the order it applies them."""
    router = mapping_at(spec, "router")
    names = []
    scheduler = mapping(router.get("scheduler"))
    if scheduler is not None and not mapping_at(scheduler, "pool").get("ref"):
        names.append(PRESET + "scheduler")
    route = mapping(router.get("route"))
    if route is not None and not mapping_at(route, "http").get("refs"):
        names.append(PRESET + "router-route")
    worker = spec.get("worker") is not None
    if spec.get("prefill") is not None:
        mode = "-worker-data-parallel" if worker else "-template"
        return [*names, PRESET + "prefill" + mode, PRESET + "decode" + mode]
    return [*names, PRESET + ("worker-data-parallel" if worker else "template")]


def llm_config_templates(resource: Resource) -> list[PodTemplate]:
    """A config no service among the inputs uses, judged as it stands."""
    return pod_specs(spec_of(resource), ())


def pod_specs(spec: Any, notes: tuple[str, ...]) -> list[PodTemplate]:
    found = []
    for role, keys in POD_SPECS:
        block: Any = spec
        for key in keys:
            block = mapping(block.get(key)) if isinstance(block, Mapping) else None
        if block is not None and block.get("containers"):
            found.append(PodTemplate(role, block, EMPTY, "spec." + ".".join(keys), notes))
    return found
