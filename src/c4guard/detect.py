"""Detectors for the `ai` and `untrusted-model` workload classes: what in a workload makes
it an AI workload, or one that runs a model c4guard cannot vouch for. Each detector returns
{class: reason}; the reason says what was seen and where."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from c4guard.bounded import render, split_words
from c4guard.model import Location
from c4guard.sources.yamlload import Mapping
from c4guard.workloads import Workload
from c4guard.workloads.accelerators import accelerator_requests
from c4guard.workloads.images import parse_image

AI_KINDS = frozenset(
    {
        ("serving.kserve.io", "InferenceService"),
        ("serving.kserve.io", "ServingRuntime"),
        ("serving.kserve.io", "ClusterServingRuntime"),
        ("serving.kserve.io", "LLMInferenceService"),
        ("serving.kserve.io", "LLMInferenceServiceConfig"),
        ("ray.io", "RayCluster"),
        ("ray.io", "RayJob"),
        ("ray.io", "RayService"),
        ("kubeflow.org", "PyTorchJob"),
        ("kubeflow.org", "TFJob"),
        ("kubeflow.org", "MPIJob"),
        ("kubeflow.org", "XGBoostJob"),
        ("kubeflow.org", "PaddleJob"),
        ("kubeflow.org", "Notebook"),
        ("trainer.kubeflow.org", "TrainJob"),
        ("trainer.kubeflow.org", "TrainingRuntime"),
        ("trainer.kubeflow.org", "ClusterTrainingRuntime"),
        ("jobset.x-k8s.io", "JobSet"),
        ("leaderworkerset.x-k8s.io", "LeaderWorkerSet"),
        ("machinelearning.seldon.io", "SeldonDeployment"),
        ("mlops.seldon.io", "Server"),
        ("mlops.seldon.io", "ServerConfig"),
    }
)
# Repositories of model servers and AI runtimes (registry/repository, lower case).
MODEL_SERVER_IMAGES = re.compile(
    r"vllm|text-generation-inference|tgi-|text-embeddings-inference|tritonserver|triton|"
    r"tensorflow/serving|tensorflow-serving|torchserve|rayproject/ray|ollama|sglang|lmdeploy|"
    r"llama\.cpp|llama-cpp|kserve/[a-z-]*server|seldonio/(?:mlserver|[a-z-]*server)|mlserver|"
    r"huggingfaceserver|bentoml|localai|llm-d|nvcr\.io/nim/"
)
HUB_URI = re.compile(r"^(?:hf|huggingface)://", re.I)
HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*$")
MODEL_FLAGS = (
    "--model",
    "--model-id",
    "--model_id",
    "--model-name-or-path",
    "--model_name",
    "--hf-model",
)
HUB_MODEL_ENV = frozenset({"HF_MODEL_ID", "HF_MODEL"})
MODEL_ENV = frozenset({"MODEL_ID", "MODEL_NAME_OR_PATH"})
DOWNLOAD_COMMANDS = (("huggingface-cli", "download"), ("hf", "download"), ("vllm", "serve"))
URI_KEYS = frozenset({"storageUri", "uri", "modelUri", "storage_uri", "modelURI"})
REMOTE_CODE = re.compile(r"--trust[-_]remote[-_]code\b|trust_remote_code\s*=\s*True", re.I)
TRUE_WORDS = frozenset({"true", "1", "yes"})
# Ray Serve LLM: `model_loading_config: {model_id: <served name>, model_source: <hub id>}`.
SERVE_MODEL_SOURCE = re.compile(r"""\bmodel_source\s*:\s*['"]?([^'"\s#,}]+)""")
MAX_SERVE_CONFIG = 1_000_000
MAX_WALK = 20_000


def ai_kind(workload: Workload) -> dict[str, str]:
    resource = workload.resource
    if (resource.api_group, resource.kind) in AI_KINDS:
        return {"ai": f"{resource.kind} is an AI workload kind ({resource.location})"}
    return {}


def accelerators(workload: Workload) -> dict[str, str]:
    for container in workload.containers():
        for request in accelerator_requests(container):
            return {
                "ai": f"requests {request.resource} in {container.subject} ({request.location})"
            }
    return {}


def _model_server(container: Any) -> bool:
    image = container.image.lower()
    name = f"{parse_image(image).registry}/{parse_image(image).repository}" if image else ""
    return bool(name and MODEL_SERVER_IMAGES.search(name))


def model_server_image(workload: Workload) -> dict[str, str]:
    for container in workload.containers():
        if _model_server(container):
            return {
                "ai": f"runs the model-server image {container.image} in "
                f"{container.subject} ({container.locate('image')})"
            }
    return {}


def hub_model(workload: Workload) -> dict[str, str]:
    for text, location in _uris(workload):
        if HUB_URI.match(text):
            return {"untrusted-model": f"pulls {text} from a public model hub ({location})"}
    for text, location in _serve_model_sources(workload):
        if HUB_NAME.match(text) or HUB_URI.match(text):
            return {
                "untrusted-model": f"loads the hub model {text} (Ray Serve "
                f"model_loading_config.model_source, {location})"
            }
    for container in workload.containers():
        found = _hub_reference(container)
        if found:
            return {"untrusted-model": f"{found} in {container.subject}"}
    return {}


def remote_code(workload: Workload) -> dict[str, str]:
    for container in workload.containers():
        for text, location in _command_strings(container):
            if REMOTE_CODE.search(text):
                return {
                    "untrusted-model": f"runs model code from the model repository "
                    f"(trust_remote_code) in {container.subject} "
                    f"({location})"
                }
        for name, value, location in _env(container):
            if name.upper() == "TRUST_REMOTE_CODE" and str(value).lower() in TRUE_WORDS:
                return {
                    "untrusted-model": f"sets TRUST_REMOTE_CODE={value} in "
                    f"{container.subject} ({location})"
                }
    return {}


DETECTORS = [ai_kind, accelerators, model_server_image, hub_model, remote_code]


def _serve_model_sources(workload: Workload) -> Iterator[tuple[str, Location]]:
    """`model_source` values in a RayService's `serveConfigV2` (a YAML text: Ray Serve LLM
    applications' `model_loading_config`), read as text, with their lines."""
    spec = workload.resource.body.get("spec")
    config = spec.get("serveConfigV2") if isinstance(spec, Mapping) else None
    if not isinstance(config, str):
        return
    start = spec.line_of("serveConfigV2") or workload.resource.location.line or 0
    path = getattr(spec, "path", None) or workload.resource.location.path
    for match in SERVE_MODEL_SOURCE.finditer(config[:MAX_SERVE_CONFIG]):
        yield match[1], Location(path, start + 1 + config.count("\n", 0, match.start()))


def _uris(workload: Workload) -> Iterator[tuple[str, Location]]:
    """String values under URI keys anywhere in the workload object."""
    stack: list[Any] = [workload.resource.body]
    seen = 0
    while stack and seen < MAX_WALK:
        node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            for key, value in node.items():
                if key in URI_KEYS and isinstance(value, str):
                    line = node.line_of(key) if isinstance(node, Mapping) else None
                    yield (
                        value,
                        Location(
                            getattr(node, "path", None) or workload.resource.location.path, line
                        ),
                    )
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))


def _command_strings(container: Any) -> Iterator[tuple[str, Location]]:
    for key in ("command", "args", "source"):  # `source`: an Argo script template's code
        values = container.spec.get(key)
        if isinstance(values, list):
            for value in values:
                yield render(value), container.locate(key)
        elif isinstance(values, str):
            yield values, container.locate(key)


def _tokens(container: Any) -> list[tuple[str, Location]]:
    tokens = []
    for text, location in _command_strings(container):
        parts = split_words(text) if " " in text.strip() else [text]
        tokens += [(part, location) for part in parts]
    return tokens


def _hub_reference(container: Any) -> str | None:
    tokens = _tokens(container)
    words = [t for t, _ in tokens]
    for index, (token, location) in enumerate(tokens):
        flag, _, inline = token.partition("=")
        if flag in MODEL_FLAGS:
            value = inline or (words[index + 1] if index + 1 < len(words) else "")
            if HUB_NAME.match(value) or HUB_URI.match(value):
                return f"loads the hub model {value} ({flag}, {location})"
        for command, verb in DOWNLOAD_COMMANDS:
            if token.endswith(command) and words[index + 1 : index + 2] == [verb]:
                value = words[index + 2] if index + 2 < len(words) else ""
                if HUB_NAME.match(value):
                    return f"loads the hub model {value} ({command} {verb}, {location})"
    loads = _model_server(container) or any(accelerator_requests(container))
    for name, value, location in _env(container):
        # A client names the model it calls (MODEL_ID) without loading it: the generic names
        # count only in a model server; the hub-download names (HF_*) always do.
        if (
            (name in HUB_MODEL_ENV or (loads and name in MODEL_ENV))
            and isinstance(value, str)
            and (HUB_NAME.match(value) or HUB_URI.match(value))
        ):
            return f"loads the hub model {value} (env {name}, {location})"
    return None


def _env(container: Any) -> Iterator[tuple[str, Any, Location]]:
    env = container.spec.get("env")
    for index, item in enumerate(env if isinstance(env, list) else []):
        if isinstance(item, dict) and "value" in item:
            line = item.line_of("value") if isinstance(item, Mapping) else None
            location = Location(
                getattr(item, "path", None) or container.locate("env").path,
                line or container.locate("env").line,
            )
            yield str(item.get("name") or index), item.get("value"), location
