"""Baselines: accept today's failures so that only new ones fail.

`--create-baseline FILE` records the fingerprint (check, resource identity, subject and
setting path; never the line) and file of every failing or unknown finding that no
exception or inline ignore already covers. `--baseline FILE` then suppresses the findings
it records: first those with the same fingerprint in the same file, then the same
fingerprint anywhere (a resource moved to another file). Lines moving, documents being
reordered and containers being reordered keep matching.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from c4guard import __version__
from c4guard.errors import InvalidInput
from c4guard.model import Finding, Result, Suppression

BASELINE_VERSION = 1
MAX_BASELINE_BYTES = 64 * 1024 * 1024
SOURCE = "baseline"


class BaselineError(InvalidInput):
    """The baseline file cannot be used."""


class BaselineEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    fingerprint: str = Field(pattern=r"^[0-9a-f]{32}$")
    path: str
    check_id: str = ""
    requirement: str = ""
    resource: str = ""
    subject: str = ""
    message: str = ""


class BaselineFile(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    version: Literal[1]
    created_at: str = ""
    tool: str = ""
    findings: list[BaselineEntry]


@dataclass(frozen=True, slots=True)
class Baseline:
    source: str
    created_at: str
    entries: tuple[BaselineEntry, ...]


def baselined(finding: Finding) -> bool:
    """Whether a finding belongs in a new baseline: failing or unknown, and not covered
    by an exception or an inline ignore (those have their own expiry)."""
    covered = finding.suppression is not None and finding.suppression.source != SOURCE
    return finding.result is not Result.PASS and not covered


def baseline_document(findings: list[Finding]) -> dict[str, Any]:
    entries = sorted(
        (
            {
                "fingerprint": f.fingerprint,
                "path": f.location.path,
                "check_id": f.check_id,
                "requirement": f.requirement,
                "resource": str(f.resource),
                "subject": f.subject,
                "message": f.message,
            }
            for f in findings
            if baselined(f)
        ),
        key=lambda e: (e["path"], e["check_id"], e["resource"], e["fingerprint"]),
    )
    return {
        "version": BASELINE_VERSION,
        "tool": f"c4guard {__version__}",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "findings": entries,
    }


def write_baseline(findings: list[Finding], path: Path) -> int:
    """Write a baseline of `findings` to `path`; returns the number of entries."""
    document = baseline_document(findings)
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(document["findings"])


def load_baseline(path: Path) -> Baseline:
    try:
        size = path.stat().st_size
        if size > MAX_BASELINE_BYTES:
            raise BaselineError(f"{path}: larger than {MAX_BASELINE_BYTES} bytes")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, RecursionError, json.JSONDecodeError) as exc:
        raise BaselineError(f"{path}: not a c4guard baseline (invalid JSON: {exc})") from exc
    try:
        parsed = BaselineFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise BaselineError(f"{path}: not a c4guard baseline ({where}: {first['msg']})") from exc
    return Baseline(str(path), parsed.created_at, tuple(parsed.findings))


def apply_baseline(findings: list[Finding], baseline: Baseline) -> dict[str, Any]:
    """Suppress the findings the baseline records; report what matched, what is new and
    how many recorded findings are gone."""
    remaining: dict[str, list[BaselineEntry]] = defaultdict(list)
    for entry in baseline.entries:
        remaining[entry.fingerprint].append(entry)
    candidates = [f for f in findings if baselined(f)]
    reason = f"accepted in the baseline {baseline.source}" + (
        f" of {baseline.created_at[:10]}" if baseline.created_at else ""
    )
    matched = 0
    for same_file in (True, False):
        for finding in candidates:
            if finding.suppression is None and _consume(remaining, finding, same_file):
                finding.suppression = Suppression(SOURCE, reason)
                matched += 1
    return {
        "path": baseline.source,
        "created_at": baseline.created_at or None,
        "entries": len(baseline.entries),
        "matched": matched,
        "new": sum(1 for f in candidates if f.suppression is None),
        "gone": sum(len(left) for left in remaining.values()),
    }


def _consume(remaining: dict[str, list[BaselineEntry]], finding: Finding, same_file: bool) -> bool:
    entries = remaining.get(finding.fingerprint)
    if not entries:
        return False
    for index, entry in enumerate(entries):
        if not same_file or entry.path == finding.location.path:
            del entries[index]
            return True
    return False
