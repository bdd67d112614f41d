"""Runtimes and shared configs among the inputs (KServe serving runtimes and LLM configs,
Kubeflow training runtimes, Seldon server configs), found the way their controllers find
them, and remembered when used (a used runtime is judged through its workloads)."""

from __future__ import annotations

from typing import Any

from c4guard.model import Resource

SERVING_GROUP = "serving.kserve.io"
TRAINER_GROUP = "trainer.kubeflow.org"
SELDON_GROUP = "mlops.seldon.io"

# (API group, kind) of every resource that a workload refers to by name.
RUNTIME_KINDS = frozenset(
    {
        (SERVING_GROUP, "ServingRuntime"),
        (SERVING_GROUP, "ClusterServingRuntime"),
        (SERVING_GROUP, "LLMInferenceServiceConfig"),
        (TRAINER_GROUP, "TrainingRuntime"),
        (TRAINER_GROUP, "ClusterTrainingRuntime"),
        (SELDON_GROUP, "ServerConfig"),
    }
)


class RuntimeIndex:
    def __init__(self, resources: list[Resource]) -> None:
        self._by_key: dict[tuple[str, str, str | None, str], Resource] = {}
        self._by_name: dict[tuple[str, str, str], list[Resource]] = {}
        self._serving: list[Resource] = []
        self.used: set[int] = set()
        for resource in resources:
            key = (resource.api_group, resource.kind)
            if key not in RUNTIME_KINDS:
                continue
            if resource.kind.endswith("ServingRuntime"):
                self._serving.append(resource)
            self._by_key[(*key, resource.namespace, resource.name)] = resource
            self._by_name.setdefault((*key, resource.name), []).append(resource)

    def _use(self, resource: Resource | None) -> Resource | None:
        if resource is not None:
            self.used.add(id(resource))
        return resource

    def named(self, group: str, kind: str, namespace: str | None, name: str) -> Resource | None:
        """A namespaced config by name: the workload's namespace first, then any other (the
        controller's system namespace holds the shared ones)."""
        found = self._by_key.get((group, kind, namespace, name))
        if found is None:
            candidates = self._by_name.get((group, kind, name)) or []
            found = candidates[0] if candidates else None
        return self._use(found)

    def preset(self, group: str, kind: str, name: str) -> Resource | None:
        """A controller's well-known config by name, from any namespace. It is not marked
        used: it is installed with the controller and judged on its own as well."""
        candidates = self._by_name.get((group, kind, name)) or []
        return candidates[0] if candidates else None

    def serving_runtime(self, namespace: str | None, name: str) -> Resource | None:
        """A named runtime: the namespace's ServingRuntime, else the ClusterServingRuntime."""
        found = self._by_key.get((SERVING_GROUP, "ServingRuntime", namespace, name))
        found = found or self._by_key.get((SERVING_GROUP, "ClusterServingRuntime", None, name))
        return self._use(found)

    def auto_select(self, namespace: str | None, model_format: str) -> Resource | None:
        """KServe's automatic selection: a runtime that supports the format with
        autoSelect, namespaced before cluster-wide, then the highest priority."""
        candidates = []
        for runtime in self._serving:
            if runtime.kind == "ServingRuntime" and runtime.namespace != namespace:
                continue
            priority = _supports(runtime, model_format)
            if priority is not None:
                candidates.append((runtime.kind == "ServingRuntime", priority, runtime))
        if not candidates:
            return None
        candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
        return self._use(candidates[0][2])

    def training_runtime(self, namespace: str | None, name: str, kind: str) -> Resource | None:
        cluster = kind != "TrainingRuntime"
        key = (
            TRAINER_GROUP,
            "ClusterTrainingRuntime" if cluster else "TrainingRuntime",
            None if cluster else namespace,
            name,
        )
        return self._use(self._by_key.get(key))


def _supports(runtime: Resource, model_format: str) -> int | None:
    spec = runtime.body.get("spec")
    formats: Any = spec.get("supportedModelFormats") if isinstance(spec, dict) else None
    for entry in formats or []:
        if not isinstance(entry, dict) or not entry.get("autoSelect"):
            continue
        if str(entry.get("name", "")).lower() == model_format.lower():
            priority = entry.get("priority")
            return priority if isinstance(priority, int) else 0
    return None
