"""Overlaying one spec on another the way controllers do (KServe runtimes, training
runtimes), while every key keeps the file and line it came from."""

from __future__ import annotations

from typing import Any

from c4guard.sources.yamlload import Mapping, Sequence

# Lists merged item by item on a key (strategic-merge style); other lists are replaced.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "tolerations": "key",
}


class MergedMapping(Mapping):
    """A mapping built from two sources; `where` answers per key from the source that won."""

    __slots__ = ("origins",)

    def __init__(self, path: str | None, line: int | None) -> None:
        super().__init__(path, line)
        self.origins: dict[Any, tuple[str | None, int | None]] = {}

    def where(self, key: Any) -> tuple[str | None, int | None]:
        return self.origins.get(key) or super().where(key)


def where(block: Any, key: Any) -> tuple[str | None, int | None]:
    """(path, line) of `key` in `block`, falling back to the block itself."""
    if isinstance(block, Mapping):
        return block.where(key)
    return getattr(block, "path", None), getattr(block, "line", None)


def overlay(base: Any, top: Any, drop: frozenset[str] = frozenset()) -> Any:
    """`top` laid over `base`: top's keys win, nested mappings merge, keyed lists merge by key."""
    if not isinstance(base, dict) or not isinstance(top, dict):
        return top if top is not None else base
    merged = MergedMapping(
        getattr(top, "path", None) or getattr(base, "path", None),
        getattr(top, "line", None) or getattr(base, "line", None),
    )
    for source in (base, top):
        for key, value in source.items():
            if key in drop:
                continue
            previous = merged.get(key)
            if source is top and key in merged:
                value = _merge_value(key, previous, value)
            merged[key] = value
            merged.origins[key] = where(source, key)
            merged.key_lines[key] = merged.origins[key][1] or 0
    return merged


def _merge_value(key: Any, base: Any, top: Any) -> Any:
    if isinstance(base, dict) and isinstance(top, dict):
        return overlay(base, top)
    merge_key = MERGE_KEYS.get(key)
    if merge_key and isinstance(base, list) and isinstance(top, list):
        return _merge_list(base, top, merge_key)
    return top


def _merge_list(base: list[Any], top: list[Any], merge_key: str) -> Sequence:
    result = Sequence(getattr(top, "path", None), getattr(top, "line", None))
    index: dict[Any, int] = {}
    for item in base:
        if isinstance(item, dict) and merge_key in item:
            index[item[merge_key]] = len(result)
        result.append(item)
    for item in top:
        position = index.get(item.get(merge_key)) if isinstance(item, dict) else None
        if position is None:
            result.append(item)
        else:
            result[position] = overlay(result[position], item)
    result.item_lines = [getattr(item, "line", None) or result.line or 0 for item in result]
    return result
