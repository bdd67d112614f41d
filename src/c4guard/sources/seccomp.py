"""Seccomp profile files (JSON or YAML with a `defaultAction` of SCMP_ACT_*): read as
`SeccompProfile` resources so that Localhost profiles can be judged."""

from __future__ import annotations

from collections.abc import Mapping

from c4guard.model import Domain, Location, Origin, Resource
from c4guard.sources.structured import Interpreter
from c4guard.sources.yamlload import Document

ORIGIN, DOMAIN, KIND = Origin.CONFIG, Domain.CONFIG, "SeccompProfile"


def _interpret(document: Document, path: str, _namespace: str | None) -> list[Resource] | None:
    value = document.value
    if (
        not isinstance(value, Mapping)
        or "apiVersion" in value
        or not str(value.get("defaultAction", "")).startswith("SCMP_ACT_")
    ):
        return None
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return [
        Resource(
            ORIGIN,
            KIND,
            name,
            None,
            value,
            Location(path, getattr(value, "line", None) or document.start_line),
        )
    ]


INTERPRETER = Interpreter(DOMAIN, _interpret)
