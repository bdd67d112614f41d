"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) for audit entries."""

from __future__ import annotations

import json
from typing import Any

import rfc8785

from c4guard.errors import InvalidInput

MAX_DEPTH = 32
SAFE_INTEGER = 2**53 - 1
_BMP_END = "\U00010000"


class CanonicalJSONError(InvalidInput, ValueError):
    """A value that has no RFC 8785 form (NaN, a huge integer, a non-string key, too deep)."""


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of `value` (dicts, lists, str, int, float, bool, None).

    Values without floats, with string keys inside the Basic Multilingual Plane and safe
    integers (what audit payloads almost always are) have the same RFC 8785 form as
    Python's sorted, compact JSON, which the C encoder writes several times faster; the
    others go through the reference implementation."""
    if _plain(value, 0):
        try:
            return json.dumps(
                value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode()
        except UnicodeEncodeError:
            pass  # a lone surrogate: the reference implementation reports it
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalJSONError(str(exc)) from exc


def _plain(value: Any, depth: int) -> bool:
    """Check the depth limit, and say whether `value` needs none of RFC 8785's differences
    from sorted JSON: ECMAScript number formatting (floats), UTF-16 key order (keys outside
    the BMP), string keys only, and the safe integer range. Visits everything, so the depth
    limit holds either way."""
    if depth > MAX_DEPTH:
        raise CanonicalJSONError(f"nesting deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        plain = True
        for key, item in value.items():
            if not (isinstance(key, str) and (key.isascii() or max(key, default="") < _BMP_END)):
                plain = False
            plain = _plain(item, depth + 1) and plain
        return plain
    if isinstance(value, list | tuple):
        plain = True
        for item in value:
            plain = _plain(item, depth + 1) and plain
        return plain
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return True
    if isinstance(value, int):
        return -SAFE_INTEGER <= value <= SAFE_INTEGER
    return False
