"""Judgements about Kubernetes workloads that checks of several sections share."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads import PodView


def is_sandboxed(inv: Inventory, pod: PodView) -> str | None:
    """The pod's runtimeClassName when it names a sandboxing runtime (gVisor, Kata)."""
    name = pod.spec.get("runtimeClassName")
    if not isinstance(name, str):
        return None
    globs = inv.config.runtime_classes.sandbox + inv.config.runtime_classes.confidential
    return name if any(fnmatchcase(name, g) for g in globs) else None
