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
    """A `trace.Locator` for one built object. `retarget` asks for every node and key of
    the object, so each source is walked once: the place of a key path is one step from
    its parent's, remembered."""
    itself = _Walk(built, built)
    sources = [_Walk(built, source.body) for source in [origin] if source is not None]
    sources += [_Walk(built, patch.body) for patch in patches]
    found_places: dict[tuple[Any, ...], Place] = {}

    def locate(_line: int | None, keys: tuple[Any, ...]) -> Place:
        place = found_places.get(keys)
        if place is None:
            place = found_places[keys] = _place(keys)
        return place

    def _place(keys: tuple[Any, ...]) -> Place:
        value = itself.follow(keys)[0]
        leaf = not isinstance(value, (dict, list))
        for walk in sources:
            found, place = walk.follow(keys)
            if found is not MISSING and (not leaf or found == value):
                return place
        return fallback

    return locate


# Where a walk stands after a key path: the built object's node there, the source's node
# there (MISSING once the source lacks the path), and where the source's node is written.
_State = tuple[Any, Any, Place]


class _Walk:
    """The value at a key path in `source`, list items matched to the built object's by
    name, and where it is written; each path's state is kept, so a child costs one step."""

    def __init__(self, built: Any, source: Any) -> None:
        place: Place = (getattr(source, "path", None), getattr(source, "line", None))
        self.states: dict[tuple[Any, ...], _State] = {(): (built, source, place)}

    def follow(self, keys: tuple[Any, ...]) -> tuple[Any, Place]:
        state = self._state(keys)
        return state[1], state[2]

    def _state(self, keys: tuple[Any, ...]) -> _State:
        state = self.states.get(keys)
        if state is None:
            state = self.states[keys] = _step(self._state(keys[:-1]), keys[-1])
        return state


def _step(state: _State, key: Any) -> _State:
    """One key further down (`MISSING` stays missing, at the last place found)."""
    built, source, place = state
    if source is MISSING:
        return state
    if isinstance(key, int):
        if not isinstance(built, list) or not isinstance(source, list):
            return built, MISSING, place
        item = built[key] if key < len(built) else None
        index = _item_index(item, source, key)
        if index is None:
            return built, MISSING, place
        line = source.item_lines[index] if isinstance(source, Sequence) else None
        source = source[index]
        return item, source, (place[0], getattr(source, "line", None) or line or place[1])
    if not isinstance(source, dict) or key not in source or not isinstance(built, dict):
        return built, MISSING, place
    line = source.line_of(key) if isinstance(source, Mapping) else None
    return built.get(key), source[key], (place[0], line or place[1])


def _item_index(item: Any, source: list[Any], index: int) -> int | None:
    name = item.get("name") if isinstance(item, dict) else None
    if name is not None:
        for position, candidate in enumerate(source):
            if isinstance(candidate, dict) and candidate.get("name") == name:
                return position
        return None
    return index if index < len(source) else None
