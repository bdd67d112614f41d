"""Kubernetes label selectors (`matchLabels` and `matchExpressions`) as the API defines them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def is_empty(selector: Any) -> bool:
    """An empty selector (`{}`) selects everything."""
    if not isinstance(selector, Mapping):
        return False
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def matches(selector: Any, labels: Mapping[str, Any]) -> bool:
    """Whether `selector` selects an object with `labels`. A selector that is not a mapping
    (absent, null) selects nothing; `{}` selects everything."""
    if not isinstance(selector, Mapping):
        return False
    match_labels = selector.get("matchLabels") or {}
    if isinstance(match_labels, Mapping):
        for key, value in match_labels.items():
            if str(labels.get(key, "\0")) != str(value):
                return False
    expressions = selector.get("matchExpressions") or []
    return all(_expression(e, labels) for e in expressions if isinstance(e, Mapping))


def _expression(expression: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    key: Any = expression.get("key")  # any YAML key, null included
    operator = str(expression.get("operator", ""))
    values = {str(v) for v in expression.get("values") or []}
    present = key in labels
    value = str(labels.get(key)) if present else None
    if operator == "In":
        return present and value in values
    if operator == "NotIn":
        return not present or value not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return False


def matches_map(selector: Any, labels: Mapping[str, Any]) -> bool:
    """A plain `key: value` map selector (Service `selector`, `nodeSelector`); an empty
    or absent map selects nothing."""
    if not isinstance(selector, Mapping) or not selector:
        return False
    return all(str(labels.get(k, "\0")) == str(v) for k, v in selector.items())
