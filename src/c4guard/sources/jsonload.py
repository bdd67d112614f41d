"""JSON inputs under the limits YAML has: nesting depth and values per file.

Large JSON files (a cluster dump: `kubectl get pods -A -o json`) are read by the C `json`
parser, which is a hundred times faster than building values from YAML events, after a
count of their objects and arrays shows that the result fits the budget; their values have
no line numbers. Smaller JSON goes through the YAML loader, which gives lines.
"""

from __future__ import annotations

import json
import re
from typing import Any

from c4guard.sources.yamlload import MAX_NODES, Budget, Mapping, Sequence, YAMLLimitError

MAX_JSON_DEPTH = 256
# JSON files up to this size are read by the YAML loader, for line numbers.
MAX_LINED_JSON_CHARS = 1024 * 1024
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def load_json(text: str, path: str | None = None) -> Any:
    """The value of a JSON text as `Mapping`/`Sequence`. Raises `json.JSONDecodeError`,
    or `YAMLLimitError` (line None) saying which limit the text exceeds."""
    containers = _containers(text)
    if containers > MAX_NODES:
        raise YAMLLimitError(
            f"JSON holds {containers:,} objects and arrays, more than the {MAX_NODES:,} "
            "values one file may hold",
            None,
        )
    try:
        value = json.loads(text)
    except RecursionError:
        raise YAMLLimitError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", None) from None
    return mark_json(value, path, Budget(len(text)))


def _containers(text: str) -> int:
    """Objects and arrays in a JSON text: braces and brackets outside strings (the cheap
    count first: only a text with many of them pays for skipping strings)."""
    rough = text.count("{") + text.count("[")
    if rough <= MAX_NODES:
        return rough
    bare = _STRING.sub("", text)
    return bare.count("{") + bare.count("[")


def mark_json(value: Any, path: str | None, budget: Budget | None = None) -> Any:
    """Plain JSON values as `Mapping`/`Sequence` without line numbers, iteratively.
    Raises `YAMLLimitError` (a ValueError) when nested deeper than MAX_JSON_DEPTH or
    holding more values than the budget allows."""
    budget = budget or Budget(0)
    root = _container(value, path)
    stack = [(value, root, 0)] if root is not value else []
    while stack:
        source, target, depth = stack.pop()
        if depth >= MAX_JSON_DEPTH:
            raise YAMLLimitError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", None)
        budget.spend(len(source), None)
        is_mapping = isinstance(source, dict)
        for key, item in source.items() if is_mapping else enumerate(source):
            marked = _container(item, path)
            if is_mapping:
                target[key] = marked
            else:
                target.append(marked)
            if marked is not item:
                stack.append((item, marked, depth + 1))
    return root


def _container(value: Any, path: str | None) -> Any:
    """An empty `Mapping`/`Sequence` for a dict/list (filled by the caller), else `value`."""
    if isinstance(value, dict):
        return Mapping(path, None)
    if isinstance(value, list):
        return Sequence(path, None)
    return value
