"""The c4guard assessment predicate: a signed summary of a `c4guard scan` JSON report.

Predicate type `https://c4guard.dev/assessment/v1`; the predicate is

    {"report": {"digest": {"sha256": HEX}, "schemaVersion": "..."},
     "tool": {"name": "c4guard", "version": "..."},
     "catalog": {"standard": "...", "version": "..."},
     "scannedDomains": [...],
     "levels": [{"level": 1, "met": true}, ...],
     "levelMet": N,                      # highest N with every level <= N met (0: none)
     "requirements": {"pass": n, "fail": n, ...}}   # requirement count by status
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any

from c4guard.supplychain.attestations import EvidenceError, load_json, reads_evidence

PREDICATE_TYPE = "https://c4guard.dev/assessment/v1"
MAX_REPORT_BYTES = 64 << 20


@reads_evidence("c4guard scan report")
def assessment_predicate(report_bytes: bytes) -> dict[str, Any]:
    """The predicate for a scan report; raises EvidenceError if it is not one."""
    report = load_json(report_bytes, "report", MAX_REPORT_BYTES)
    missing = [
        k
        for k in ("schema_version", "tool", "catalog", "requirements", "summary")
        if not isinstance(report, dict) or k not in report
    ]
    if missing:
        raise EvidenceError(f"not a c4guard scan report: missing {', '.join(missing)}")
    levels = _levels((report["summary"] or {}).get("levels"))
    statuses = Counter(str(r.get("status")) for r in report["requirements"] if isinstance(r, dict))
    return {
        "report": {
            "digest": {"sha256": hashlib.sha256(report_bytes).hexdigest()},
            "schemaVersion": str(report["schema_version"]),
        },
        "tool": report["tool"],
        "catalog": report["catalog"],
        "scannedDomains": list(report.get("scanned_domains") or []),
        "levels": levels,
        "levelMet": level_met(levels),
        "requirements": dict(sorted(statuses.items())),
    }


def level_met(levels: list[dict[str, Any]]) -> int:
    """The highest level N such that every level up to N is met (0 when level 1 is not)."""
    met = 0
    for entry in sorted(levels, key=lambda e: e["level"]):
        if entry["level"] != met + 1 or not entry["met"]:
            break
        met = entry["level"]
    return met


def read_level(predicate: dict[str, Any]) -> int:
    """The level an assessment predicate shows as met, computed from its `levels`."""
    return level_met(_levels(predicate.get("levels")))


def _levels(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(
        isinstance(e, dict) and isinstance(e.get("level"), int) and isinstance(e.get("met"), bool)
        for e in value
    ):
        raise EvidenceError("`levels` must be a list of {level: int, met: bool}")
    return [{"level": e["level"], "met": e["met"]} for e in value]
