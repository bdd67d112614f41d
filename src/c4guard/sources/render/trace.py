"""Pointing a rendered object back at the files it came from.

A rendered body is parsed from the renderer's output, so its lines are lines of that output.
`retarget` rewrites every mapping and sequence of the body so that each key answers
`where()` with a file and line of the user's tree, as a `Locator` decides (Helm: the literal
in the template, else the values key, else the template; Kustomize: the patch that set the
key, else the base file it came from).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from c4guard.sources.merge import MergedMapping
from c4guard.sources.yamlload import Mapping, Sequence

Place = tuple[str | None, int | None]
# (rendered line, key path from the resource's root) -> where that line was written
Locator = Callable[[int | None, tuple[Any, ...]], Place]


def retarget(body: Any, locate: Locator, keys: tuple[Any, ...] = ()) -> Any:
    """`body` with every node's and key's place given by `locate`."""
    if isinstance(body, Mapping):
        path, line = locate(body.line, keys)
        traced = MergedMapping(path, line)
        for key, value in body.items():
            child = (*keys, key)
            traced[key] = retarget(value, locate, child)
            traced.origins[key] = locate(body.key_lines.get(key, body.line), child)
            traced.key_lines[key] = traced.origins[key][1] or 0
        return traced
    if isinstance(body, Sequence):
        path, line = locate(body.line, keys)
        traced_list = Sequence(path, line)
        for index, value in enumerate(body):
            child = (*keys, index)
            traced_list.append(retarget(value, locate, child))
            item_line = body.item_lines[index] if index < len(body.item_lines) else None
            traced_list.item_lines.append(locate(item_line, child)[1] or 0)
        return traced_list
    return body


def places(body: Any) -> list[Place]:
    """Every (path, line) a retargeted body names (for inline directives)."""
    found: list[Place] = []
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, MergedMapping):
            found.extend(node.origins.values())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found
