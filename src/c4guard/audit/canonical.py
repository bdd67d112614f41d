"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) for audit entries."""

from __future__ import annotations

from typing import Any

import rfc8785

MAX_DEPTH = 32


class CanonicalJSONError(ValueError):
    """A value that has no RFC 8785 form (NaN, a huge integer, a non-string key, too deep)."""


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of `value` (dicts, lists, str, int, float, bool, None)."""
    _check_depth(value, 0)
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalJSONError(str(exc)) from exc


def _check_depth(value: Any, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise CanonicalJSONError(f"nesting deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for item in value.values():
            _check_depth(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_depth(item, depth + 1)
