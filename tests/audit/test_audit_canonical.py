"""Canonical JSON: the fast path writes exactly what the RFC 8785 reference writes."""

from __future__ import annotations

import random

import pytest
import rfc8785

from c4guard.audit.canonical import SAFE_INTEGER, CanonicalJSONError, canonical_json

ALPHABET = [
    "a",
    "Z",
    "0",
    " ",
    '"',
    "\\",
    "/",
    "\b",
    "\f",
    "\n",
    "\r",
    "\t",
    "\x00",
    "\x1f",
    "\x7f",
    "é",
    "\u2028",
    "\ue000",
    "\uffff",
    "😀",
    "\U0010ffff",
]


def text(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 6)))


def value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 7, SAFE_INTEGER, -SAFE_INTEGER, rng.randint(-(10**12), 10**12)])
    if kind == 3:
        return rng.choice([0.5, -2.0, 1e21, 1e-7, 123456789.125, 3.0])
    if kind in (4, 5):
        return text(rng)
    if kind in (6, 7):
        return {text(rng): value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def test_matches_the_reference_on_random_values():
    rng = random.Random(8785)
    for _ in range(3000):
        sample = value(rng)
        assert canonical_json(sample) == rfc8785.dumps(sample), sample


@pytest.mark.parametrize(
    "bad",
    [
        {"n": SAFE_INTEGER + 1},
        {"x": float("nan")},
        {1: "int key"},
        {"s": "\ud800"},
        {"o": object()},
    ],
)
def test_values_without_a_canonical_form_are_refused(bad):
    with pytest.raises(CanonicalJSONError):
        canonical_json(bad)


def test_depth_is_limited_on_both_paths():
    for leaf in (1, 1.5):
        deep: object = leaf
        for _ in range(40):
            deep = [deep]
        with pytest.raises(CanonicalJSONError, match="deeper"):
            canonical_json(deep)
