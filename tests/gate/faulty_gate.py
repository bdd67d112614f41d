"""`c4guard` with faults planted, for the fail-closed tests: run as
`python faulty_gate.py gate serve ...`, never imported by the tests (it registers a
check). An admitted object labelled `c4guard.test/fault: check` makes a registered check
raise; `c4guard.test/fault: inventory` makes workload classification raise, outside any
check."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from c4guard.checks.registry import Check, add
from c4guard.classify import DETECTORS
from c4guard.cli import main
from c4guard.model import Domain, Severity

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.gate.harness import FAULT_LABEL


def _fault(workload: Any) -> str | None:
    metadata = workload.resource.body.get("metadata") or {}
    return (metadata.get("labels") or {}).get(FAULT_LABEL)


def faulty_check(inv: Any) -> Iterator[Any]:
    """Raises for objects labelled for it."""
    for workload in inv.workloads:
        if _fault(workload) == "check":
            raise RuntimeError("planted fault in a check")
    yield from ()


add(
    Check(
        "TEST-FAULTY-CHECK",
        "4.1.1",
        Severity.LOW,
        "A check that raises on request",
        "none: a planted fault",
        Domain.KUBERNETES,
        (),
        faulty_check,
    )
)


def faulty_detector(workload: Any) -> dict[str, str]:
    if _fault(workload) == "inventory":
        raise RuntimeError("planted fault while classifying")
    return {}


DETECTORS.append(faulty_detector)

if __name__ == "__main__":
    sys.exit(main())
