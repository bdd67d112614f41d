"""Where a key of a built Kustomize object was written: the patch that set it, else the
base file the object came from (kustomize's `config.kubernetes.io/origin` annotation), else
the object's first line in that file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from c4guard.sources.render.trace import Locator, Place
from c4guard.sources.yamlload import Mapping, Sequence

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"
MISSING = object()


@dataclass(frozen=True, slots=True)
class Source:
    """A parsed object (a base's manifest or a patch) and the file it is in."""

    path: str
    body: Any


def pop_annotations(body: dict[str, Any]) -> tuple[str | None, list[str]]:
    """Take our build annotations off `body`: the origin path, the kustomizations that
    transformed it."""
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        return None, []
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict):
        return None, []
    origin = _origin_path(annotations.pop(ORIGIN, None))
    configured = _configured_in(annotations.pop(TRANSFORMATIONS, None))
    if not annotations:
        del metadata["annotations"]
    return origin, configured


def _origin_path(text: object) -> str | None:
    if not isinstance(text, str):
        return None
    for line in text.splitlines():
        if line.startswith("path:"):
            return line.split(":", 1)[1].strip()
    return None


def _configured_in(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    found = []
    for line in text.splitlines():
        stripped = line.strip().lstrip("- ").strip()
        if stripped.startswith("configuredIn:"):
            found.append(stripped.split(":", 1)[1].strip())
    return found


def matches(candidate: Any, kind: str, name: str) -> bool:
    """A patch or base object for the built object `kind`/`name` (prefixes and suffixes
    that kustomize adds to names are allowed)."""
    if not isinstance(candidate, dict) or candidate.get("kind") not in (None, kind):
        return False
    metadata = candidate.get("metadata")
    written = metadata.get("name") if isinstance(metadata, dict) else None
    return not isinstance(written, str) or written in name


def locator(built: Any, origin: Source | None, patches: list[Source], fallback: Place) -> Locator:
    """A `trace.Locator` for one built object."""

    def locate(_line: int | None, keys: tuple[Any, ...]) -> Place:
        value = _follow(built, built, keys)[0]
        leaf = not isinstance(value, (dict, list))
        if origin is not None:
            found, place = _follow(built, origin.body, keys)
            if found is not MISSING and (not leaf or found == value):
                return place
        for patch in patches:
            found, place = _follow(built, patch.body, keys)
            if found is not MISSING and (not leaf or found == value):
                return place
        return fallback

    return locate


def _follow(built: Any, source: Any, keys: tuple[Any, ...]) -> tuple[Any, Place]:
    """The value at `keys` in `source`, list items matched to the built object's by name,
    and where it is written."""
    place: Place = (getattr(source, "path", None), getattr(source, "line", None))
    for key in keys:
        if isinstance(key, int):
            if not isinstance(built, list) or not isinstance(source, list):
                return MISSING, place
            item = built[key] if key < len(built) else None
            index = _item_index(item, source, key)
            if index is None:
                return MISSING, place
            line = source.item_lines[index] if isinstance(source, Sequence) else None
            built, source = item, source[index]
            place = (place[0], getattr(source, "line", None) or line or place[1])
            continue
        if not isinstance(source, dict) or key not in source or not isinstance(built, dict):
            return MISSING, place
        line = source.line_of(key) if isinstance(source, Mapping) else None
        built, source = built.get(key), source[key]
        place = (place[0], line or place[1])
    return source, place


def _item_index(item: Any, source: list[Any], index: int) -> int | None:
    name = item.get("name") if isinstance(item, dict) else None
    if name is not None:
        for position, candidate in enumerate(source):
            if isinstance(candidate, dict) and candidate.get("name") == name:
                return position
        return None
    return index if index < len(source) else None
