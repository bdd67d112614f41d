"""KServe InferenceService: predictor, transformer and explainer pods, with the `model`
(or framework) shorthand merged into its ServingRuntime the way the controller does."""

from __future__ import annotations

from typing import Any

from c4guard.model import Resource
from c4guard.sources.merge import overlay
from c4guard.sources.yamlload import Mapping, Sequence
from c4guard.workloads.kinds import mapping, spec_of
from c4guard.workloads.runtimes import RuntimeIndex
from c4guard.workloads.views import EMPTY, PodTemplate

COMPONENTS = ("predictor", "transformer", "explainer")
FRAMEWORKS = (
    "model",
    "sklearn",
    "xgboost",
    "tensorflow",
    "pytorch",
    "triton",
    "onnx",
    "pmml",
    "lightgbm",
    "paddle",
    "huggingface",
    "art",
    "alibi",
)
MODEL_KEYS = frozenset(
    {
        "modelFormat",
        "runtime",
        "storageUri",
        "storage",
        "protocolVersion",
        "runtimeVersion",
    }
)
RUNTIME_ONLY_KEYS = frozenset(
    {
        "supportedModelFormats",
        "multiModel",
        "disabled",
        "protocolVersions",
        "builtInAdapter",
        "grpcEndpoint",
        "grpcDataEndpoint",
        "httpDataEndpoint",
        "replicas",
        "storageHelper",
        "workerSpec",
        "annotations",
        "labels",
    }
)
MODEL_CONTAINER = "kserve-container"


def inference_service_templates(resource: Resource, runtimes: RuntimeIndex) -> list[PodTemplate]:
    spec = spec_of(resource)
    found = []
    for component in COMPONENTS:
        block = mapping(spec.get(component))
        if block is not None:
            found += _component(resource, component, block, runtimes)
    return found


def _component(
    resource: Resource,
    component: str,
    block: Mapping,
    runtimes: RuntimeIndex,
) -> list[PodTemplate]:
    path = f"spec.{component}"
    framework = next((f for f in FRAMEWORKS if isinstance(block.get(f), Mapping)), None)
    pod_keys = frozenset(FRAMEWORKS) | {"workerSpec"}
    if framework is None:
        pod = overlay(EMPTY, block, drop=pod_keys)
        return [PodTemplate(component, pod, EMPTY, path), *_worker(block, None, component, path)]
    model = block[framework]
    model_format = _model_format(model, framework)
    runtime = _find_runtime(resource, model, model_format, runtimes)
    runtime_spec = mapping(runtime.body.get("spec")) if runtime else None
    pod = overlay(runtime_spec or EMPTY, block, drop=pod_keys | RUNTIME_ONLY_KEYS)
    pod["containers"] = _containers(runtime_spec, block, model)
    notes = () if runtime else (_missing_runtime_note(model, model_format),)
    templates = [PodTemplate(component, pod, EMPTY, path, notes)]
    return templates + _worker(block, runtime_spec, component, path)


def _model_format(model: Mapping, framework: str) -> str:
    fmt = model.get("modelFormat")
    if isinstance(fmt, dict) and fmt.get("name"):
        return str(fmt["name"])
    return framework if framework != "model" else ""


def _find_runtime(
    resource: Resource,
    model: Mapping,
    model_format: str,
    runtimes: RuntimeIndex,
) -> Resource | None:
    named = model.get("runtime")
    if isinstance(named, str) and named:
        return runtimes.serving_runtime(resource.namespace, named)
    return runtimes.auto_select(resource.namespace, model_format) if model_format else None


def _missing_runtime_note(model: Mapping, model_format: str) -> str:
    named = model.get("runtime")
    if named:
        return f"ServingRuntime {named!r} is not among the inputs: the model is checked as written"
    return (
        f"no ServingRuntime for format {model_format!r} among the inputs: the model is "
        "checked as written"
    )


def _containers(runtime_spec: Mapping | None, block: Mapping, model: Mapping) -> Sequence:
    """The model container (runtime's kserve-container with the model spec over it),
    then the runtime's and the component's other containers."""
    runtime_containers = _mappings(runtime_spec.get("containers") if runtime_spec else None)
    own = _mappings(block.get("containers"))
    base = next(
        (c for c in runtime_containers if c.get("name") == MODEL_CONTAINER),
        runtime_containers[0] if runtime_containers else EMPTY,
    )
    own_model = next((c for c in own if c.get("name") == MODEL_CONTAINER), None)
    merged = overlay(base, model, drop=MODEL_KEYS)
    if own_model is not None:
        merged = overlay(merged, own_model)
    if "name" not in merged:
        merged["name"] = MODEL_CONTAINER
    result = Sequence(model.path, model.line)
    result.append(merged)
    result.extend(c for c in runtime_containers if c is not base)
    result.extend(c for c in own if c is not own_model)
    result.item_lines = [c.line or 0 for c in result]
    return result


def _worker(
    block: Mapping,
    runtime_spec: Mapping | None,
    component: str,
    path: str,
) -> list[PodTemplate]:
    """Multi-node serving: the component's workerSpec over the runtime's."""
    worker = mapping(block.get("workerSpec"))
    if worker is None:
        return []
    runtime_worker = mapping(runtime_spec.get("workerSpec")) if runtime_spec else None
    pod = overlay(runtime_worker or EMPTY, worker)
    return [PodTemplate(f"{component} worker", pod, EMPTY, f"{path}.workerSpec")]


def _mappings(value: Any) -> list[Mapping]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
