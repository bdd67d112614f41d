"""Environment names (dev, test, staging, prod...) from labels or a namespace's name."""

from __future__ import annotations

import re
from typing import Any

from c4guard.environments import ENVIRONMENT_WORDS

ENVIRONMENT_LABELS = (
    "c4guard.dev/environment",
    "environment",
    "env",
    "app.kubernetes.io/environment",
)


def detect_environment(
    sources: list[tuple[str, dict[str, Any]]], namespace: str
) -> tuple[str, str] | None:
    """(environment, reason) from environment labels (first source first), else from a
    word of the namespace's name (`ml-prod` is prod)."""
    for what, labels in sources:
        for key in ENVIRONMENT_LABELS:
            value = labels.get(key)
            if isinstance(value, str) and value.strip():
                return _normalise(value), f"{what} {key}={value}"
    for token in re.split(r"[-_.]", namespace.lower()):
        if token in ENVIRONMENT_WORDS:
            return ENVIRONMENT_WORDS[token], f"namespace name {namespace}"
    return None


def _normalise(value: str) -> str:
    return ENVIRONMENT_WORDS.get(value.strip().lower(), value.strip().lower())
