"""Workload classes (`ai`, `untrusted-model`, `high-risk`, `confidential`) and
environments, each with the reason the workload has it.

Sources, in order: the `c4guard.dev/class` and `c4guard.dev/environment` annotations on the
workload or its pod templates, then the config's selectors, then detection: detectors
registered in `DETECTORS` (each returns {class: reason} for a workload) for classes, and
environment labels or the namespace's name for environments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from c4guard.config import CLASS_NAMES, Config
from c4guard.detect import DETECTORS as BUILT_IN_DETECTORS
from c4guard.kube.environments import detect_environment
from c4guard.workloads import Workload

CLASS_ANNOTATION = "c4guard.dev/class"
ENVIRONMENT_ANNOTATION = "c4guard.dev/environment"
Detector = Callable[[Workload], dict[str, str]]
DETECTORS: list[Detector] = list(BUILT_IN_DETECTORS)


def classify(
    workloads: list[Workload],
    config: Config,
    namespace_labels: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Set `classes` and `environment` (with its reason) on every workload."""
    for workload in workloads:
        _from_annotations(workload)
        _from_config(workload, config)
        for detector in DETECTORS:
            for name, reason in detector(workload).items():
                workload.classes.setdefault(name, reason)
        if workload.environment is None:
            _detect_environment(workload, (namespace_labels or {}).get(workload.namespace or ""))


def _metadata_maps(workload: Workload, key: str) -> list[tuple[str, dict[str, Any]]]:
    """(where, map) for the workload's metadata `key` and each pod template's."""
    metadata = workload.resource.body.get("metadata")
    found = []
    if isinstance(metadata, dict) and isinstance(metadata.get(key), dict):
        found.append((f"{workload.resource.kind} metadata", metadata[key]))
    for pod in workload.pods:
        value = pod.metadata.get(key)
        if isinstance(value, dict):
            found.append((f"{pod.subject} template metadata", value))
    return found


def _from_annotations(workload: Workload) -> None:
    for where, found in _metadata_maps(workload, "annotations"):
        declared = found.get(CLASS_ANNOTATION)
        if isinstance(declared, str):
            for name in (n.strip() for n in declared.split(",")):
                if name in CLASS_NAMES:
                    workload.classes.setdefault(
                        name, f"annotation {CLASS_ANNOTATION}: {declared} ({where})"
                    )
        environment = found.get(ENVIRONMENT_ANNOTATION)
        if isinstance(environment, str) and environment and workload.environment is None:
            _set_environment(
                workload, environment, f"annotation {ENVIRONMENT_ANNOTATION} ({where})"
            )


def workload_labels(workload: Workload) -> dict[str, Any]:
    labels: dict[str, Any] = {}
    for _where, found in _metadata_maps(workload, "labels"):
        labels.update(found)
    return labels


def _from_config(workload: Workload, config: Config) -> None:
    resource = workload.resource
    facts: dict[str, Any] = {
        "kind": resource.kind,
        "namespace": resource.namespace,
        "name": resource.name,
        "labels": workload_labels(workload),
        "path": resource.location.path,
    }
    for index, class_rule in enumerate(config.classes):
        if class_rule.matches(**facts):
            for name in class_rule.classes:
                workload.classes.setdefault(name, f"config classes[{index}] in {config.source}")
    if workload.environment is None:
        for index, rule in enumerate(config.environments):
            if rule.matches(**facts):
                _set_environment(
                    workload, rule.environment, f"config environments[{index}] in {config.source}"
                )
                break


def _detect_environment(workload: Workload, namespace_labels: dict[str, Any] | None) -> None:
    found = detect_environment(
        [("label", workload_labels(workload)), ("namespace label", namespace_labels or {})],
        workload.namespace or "",
    )
    if found is not None:
        _set_environment(workload, *found)


def _set_environment(workload: Workload, environment: str, reason: str) -> None:
    workload.environment = environment
    workload.environment_reason = reason
