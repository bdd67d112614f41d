"""The environment (dev, test, staging, prod...) of each namespace: the one its workloads
have, else its labels or a word of its name."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


ENVIRONMENT_LABELS = (
    "c4guard.dev/environment",
    "environment",
    "env",
    "app.kubernetes.io/environment",
)
ENVIRONMENT_WORDS = {
    "prod": "prod",
    "production": "prod",
    "prd": "prod",
    "live": "prod",
    "staging": "staging",
    "stage": "staging",
    "stg": "staging",
    "preprod": "staging",
    "dev": "dev",
    "development": "dev",
    "test": "test",
    "testing": "test",
    "qa": "test",
    "uat": "test",
}


def namespace_environments(inv: Inventory) -> dict[str, str]:
    return inv.derived(_build)


def _build(inv: Inventory) -> dict[str, str]:
    found = {}
    for name, ns in inv.namespaces.items():
        counted = Counter(w.environment for w in ns.workloads if w.environment)
        if counted:
            found[name] = counted.most_common(1)[0][0]
            continue
        detected = detect_environment([("namespace label", ns.labels)], name)
        if detected is not None:
            found[name] = detected[0]
    return found


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
