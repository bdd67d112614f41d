"""JSON inputs under the limits YAML has: nesting depth and values per file.

Large JSON files (a cluster dump: `kubectl get pods -A -o json`) are read by the C `json`
parser, which is a hundred times faster than building values from YAML events, after a
count of their objects and arrays shows that the result fits the budget; their values have
no line numbers. Smaller JSON goes through the YAML loader, which gives lines.

A top-level object's `items` array (a `List`) is read item by item, each item under its own
budget as if it were a file of its own: a dump of 50,000 Pods costs what 50,000 Pod files
cost, and the plain and the marked forms of the whole list never exist at once. Keys are
interned: the same few dozen names repeat in every object.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from c4guard.sources.yamlload import MAX_NODES, Budget, Mapping, Sequence, YAMLLimitError

MAX_JSON_DEPTH = 256
# JSON files up to this size are read by the YAML loader, for line numbers.
MAX_LINED_JSON_CHARS = 1024 * 1024
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")
ITEMS = "items"
MAX_INTERNED_CHARS = 40


# Beyond MAX_NODES values, a List may hold one object or array per this many characters
# (Kubernetes objects hold one per 20 to 50; `[{},{},...]` one per 3).
MIN_CHARS_PER_CONTAINER = 8


def load_json(text: str, path: str | None = None) -> Any:
    """The value of a JSON text as `Mapping`/`Sequence`. Raises `json.JSONDecodeError`,
    or `YAMLLimitError` (line None) saying which limit the text exceeds."""
    start = _SPACE.match(text).end()  # type: ignore[union-attr]
    listing = text.startswith("{", start) and '"items"' in text
    allowed = max(MAX_NODES, len(text) // MIN_CHARS_PER_CONTAINER) if listing else MAX_NODES
    containers = _containers(text, allowed)
    if containers > allowed:
        raise YAMLLimitError(
            f"JSON holds {containers:,} objects and arrays, more than the {allowed:,} "
            "values one file may hold",
            None,
        )
    try:
        if listing:
            return _ListReader(text, path).document(start)
        value = json.loads(text)
    except RecursionError:
        raise YAMLLimitError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", None) from None
    return mark_json(value, path, Budget(len(text)))


class _ListReader:
    """A top-level object read key by key, its `items` array item by item."""

    def __init__(self, text: str, path: str | None) -> None:
        self.text = text
        self.path = path

    def document(self, start: int) -> Any:
        text = self.text
        root = Mapping(self.path, None)
        pos = self._skip(start + 1)
        if text.startswith("}", pos):
            return self._end(root, pos + 1)
        while True:
            key, pos = _DECODER.raw_decode(text, pos)
            if not isinstance(key, str):
                raise json.JSONDecodeError("Expecting property name", text, pos)
            pos = self._expect(":", pos)
            if key == ITEMS and text.startswith("[", pos):
                root[ITEMS], pos = self._items(pos + 1)
            else:
                root[sys.intern(key)], pos = self._member(pos)
            pos = self._skip(pos)
            if text.startswith("}", pos):
                return self._end(root, pos + 1)
            pos = self._expect(",", pos)

    def _items(self, pos: int) -> tuple[Sequence, int]:
        items = Sequence(self.path, None)
        pos = self._skip(pos)
        if self.text.startswith("]", pos):
            return items, pos + 1
        while True:
            item, pos = self._member(pos)
            items.append(item)
            pos = self._skip(pos)
            if self.text.startswith("]", pos):
                return items, pos + 1
            pos = self._expect(",", pos)

    def _member(self, pos: int) -> tuple[Any, int]:
        """One value: decoded once to find its end, then checked and marked as a file of its
        own would be (a container-heavy value is refused before its marked form is built)."""
        try:
            value, stop = _DECODER.raw_decode(self.text, pos)
        except RecursionError:
            raise YAMLLimitError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", None) from None
        if isinstance(value, dict | list):
            containers = _containers(self.text[pos:stop], MAX_NODES)
            if containers > MAX_NODES:
                raise YAMLLimitError(
                    f"a JSON value holds {containers:,} objects and arrays, more than the "
                    f"{MAX_NODES:,} values one file may hold",
                    None,
                )
            value = mark_json(value, self.path, Budget(stop - pos))
        return value, stop

    def _skip(self, pos: int) -> int:
        return _SPACE.match(self.text, pos).end()  # type: ignore[union-attr]

    def _expect(self, char: str, pos: int) -> int:
        pos = self._skip(pos)
        if not self.text.startswith(char, pos):
            raise json.JSONDecodeError(f"Expecting '{char}' delimiter", self.text, pos)
        return self._skip(pos + 1)

    def _end(self, root: Any, pos: int) -> Any:
        if self._skip(pos) != len(self.text):
            raise json.JSONDecodeError("Extra data", self.text, pos)
        return root


def _containers(text: str, limit: int) -> int:
    """Objects and arrays in a JSON text: braces and brackets outside strings (the cheap
    count first: only a text with more than `limit` of them pays for skipping strings)."""
    rough = text.count("{") + text.count("[")
    if rough <= limit:
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
                target[sys.intern(key) if type(key) is str else key] = marked
            else:
                target.append(marked)
            if isinstance(marked, Mapping | Sequence):
                stack.append((item, marked, depth + 1))
    return root


def _container(value: Any, path: str | None) -> Any:
    """An empty `Mapping`/`Sequence` for a dict/list (filled by the caller), else `value`
    (short strings interned: "TCP", "IfNotPresent", label values repeat in every object)."""
    if type(value) is str:
        return sys.intern(value) if len(value) <= MAX_INTERNED_CHARS else value
    if isinstance(value, dict):
        return Mapping(path, None)
    if isinstance(value, list):
        return Sequence(path, None)
    return value
