"""The environment (dev, test, staging, prod...) of each namespace: the one its workloads
have, else its labels or a word of its name."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from c4guard.workloads.environments import detect_environment

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


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
