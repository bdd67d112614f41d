"""Compose files (the Compose Specification): one resource per service, with `extends`
within the same file resolved the way Compose merges it.

A document is a compose file when its name says so (`compose.yaml`, `docker-compose*.yml`)
and it has `services`, or, under any name, when every top-level key is a Compose element and
every service is a mapping with `image`, `build` or `extends`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from c4guard.model import Domain, Location, Origin, Resource
from c4guard.sources.merge import overlay
from c4guard.sources.structured import Interpreter
from c4guard.sources.yamlload import Document, Mapping

ORIGIN = Origin.COMPOSE
DOMAIN = Domain.COMPOSE
KIND = "ComposeService"
TOP_LEVEL = frozenset(
    {
        "version",
        "name",
        "services",
        "networks",
        "volumes",
        "configs",
        "secrets",
        "include",
        "models",
    }
)
SERVICE_MARKERS = ("image", "build", "extends")
MAX_EXTENDS_DEPTH = 16
_COMPOSE_NAME = re.compile(
    r"^(?:docker-)?compose(?:[.-][\w.-]+)?\.ya?ml$|\.compose\.ya?ml$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class ComposeService:
    """A resource body: the service's effective spec and the file's top-level elements."""

    name: str
    spec: Mapping
    project: Mapping
    line: int | None
    notes: tuple[str, ...] = field(default=())


def is_compose_name(path: str) -> bool:
    return bool(_COMPOSE_NAME.search(os.path.basename(path)))


def resources_from_document(
    document: Document, path: str, _namespace: str | None = None
) -> list[Resource] | None:
    """The services of a compose file, or None when the document is not one."""
    value = document.value
    if not _is_compose(value, path):
        return None
    services = value.get("services") or Mapping(path)
    project = str(
        value.get("name") or os.path.basename(os.path.dirname(os.path.abspath(path))) or "compose"
    )
    resources = []
    names = list(services)
    for position, name in enumerate(names):
        spec = services[name]
        if not isinstance(spec, dict):
            continue
        effective, notes = _extended(services, str(name), set())
        line = services.line_of(name) if isinstance(services, Mapping) else None
        resources.append(
            Resource(
                origin=ORIGIN,
                kind=KIND,
                name=str(name),
                namespace=project,
                body=ComposeService(str(name), effective, value, line, tuple(notes)),
                location=Location(path, line),
                end_line=_end_line(services, names, position, document.end_line),
            )
        )
    return resources


def _is_compose(value: Any, path: str) -> bool:
    if not isinstance(value, dict) or not isinstance(value.get("services"), dict | None):
        return False
    if "services" not in value:
        return False
    if is_compose_name(path):
        return True
    services = value["services"]
    return (
        bool(services)
        and all(isinstance(k, str) and (k in TOP_LEVEL or k.startswith("x-")) for k in value)
        and all(
            isinstance(s, dict) and any(m in s for m in SERVICE_MARKERS) for s in services.values()
        )
    )


def _extended(services: Mapping, name: str, seen: set[str]) -> tuple[Mapping, list[str]]:
    """The service with the service it `extends` (same file) merged under it."""
    spec = services[name]
    extends = spec.get("extends")
    if extends is None:
        return spec, []
    base_name = (
        extends
        if isinstance(extends, str)
        else (extends.get("service") if isinstance(extends, dict) else None)
    )
    if isinstance(extends, dict) and extends.get("file"):
        return spec, [f"extends {base_name} from {extends['file']}, which is not followed"]
    if (
        not isinstance(base_name, str)
        or base_name not in services
        or base_name in seen
        or len(seen) >= MAX_EXTENDS_DEPTH
        or not isinstance(services[base_name], dict)
    ):
        return spec, [f"extends {base_name!r}, which cannot be resolved in this file"]
    base, notes = _extended(services, base_name, seen | {name})
    return overlay(base, spec), notes


def _end_line(services: Mapping, names: list[Any], position: int, document_end: int) -> int:
    if position + 1 < len(names) and isinstance(services, Mapping):
        following = services.line_of(names[position + 1])
        if following:
            return following - 1
    return document_end


INTERPRETER = Interpreter(DOMAIN, resources_from_document)
