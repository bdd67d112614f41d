"""Kubernetes objects that Terraform applies (`kubernetes_manifest`, `kubectl_manifest`):
when their manifest is fully known, they join the inputs as Kubernetes resources, so the
Kubernetes checks judge them too. A manifest with unknown parts is left to review: the
Kubernetes checks do not know about Terraform's unknown values."""

from __future__ import annotations

from typing import Any

import yaml

from c4guard.model import Resource
from c4guard.sources import kubernetes
from c4guard.sources.terraform.values import is_known
from c4guard.sources.yamlload import Document, Mapping, Sequence, YAMLLimitError, load_documents


def kubernetes_objects(resources: list[Resource]) -> list[Resource]:
    """The Kubernetes resources that Terraform manifest resources define."""
    found: list[Resource] = []
    for resource in resources:
        document = _manifest(resource)
        if document is not None:
            found.extend(
                kubernetes.resources_from_document(document, resource.location.path, None) or []
            )
    return found


def _manifest(resource: Resource) -> Document | None:
    body = resource.body
    line = resource.location.line or 1
    end = resource.end_line or line
    if resource.kind == "kubernetes_manifest":
        value = body.get("manifest")
        line = body.line_of("manifest") or line if isinstance(body, Mapping) else line
        if is_known(value) and kubernetes.is_manifest(value):
            return Document(_marked(value, resource.location.path, line), line, end)
    if resource.kind == "kubectl_manifest" and isinstance(body.get("yaml_body"), str):
        try:
            documents = list(load_documents(body["yaml_body"], resource.location.path))
        except (yaml.YAMLError, YAMLLimitError):
            return None
        if len(documents) == 1 and kubernetes.is_manifest(documents[0].value):
            line = body.line_of("yaml_body") or line if isinstance(body, Mapping) else line
            return Document(_relined(documents[0].value, line), line, end)
    return None


def _marked(value: Any, path: str, line: int) -> Any:
    """Plain values as `Mapping`/`Sequence`, every line the manifest attribute's."""
    if isinstance(value, dict):
        mapping = Mapping(path, line)
        for key, item in value.items():
            mapping[key] = _marked(item, path, line)
            mapping.key_lines[key] = line
        return mapping
    if isinstance(value, list):
        sequence = Sequence(path, line)
        sequence.extend(_marked(item, path, line) for item in value)
        sequence.item_lines.extend([line] * len(value))
        return sequence
    return value


def _relined(value: Any, offset: int) -> Any:
    """Lines of a YAML body inside a heredoc, moved to where the heredoc stands."""
    if isinstance(value, Mapping):
        value.line = (value.line or 1) + offset
        value.key_lines = {k: v + offset for k, v in value.key_lines.items()}
        for item in value.values():
            _relined(item, offset)
    elif isinstance(value, Sequence):
        value.line = (value.line or 1) + offset
        value.item_lines = [v + offset for v in value.item_lines]
        for item in value:
            _relined(item, offset)
    return value
