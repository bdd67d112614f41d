"""The labelled precision set (`labels.yaml`) and its comparison with today's findings.

Each label names one corpus finding (fingerprint, repository, file; see `findings.py`) with
the result it had when it was read, and says whether its claim was true. A false finding that
has been fixed keeps its label, with `fixed:` saying how: `result` (the same resource now gets
another result, under its own fingerprint when the setting differs) or `gone` (the file
or resource is no longer judged by that check). A false
finding not fixed yet carries `open:` with the issue class it belongs to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.precision.findings import Finding

LABELS = Path(__file__).with_name("labels.yaml")
FIXES = ("result", "gone")


@dataclass(frozen=True, slots=True)
class Label:
    """One labelled finding."""

    fingerprint: str
    check: str
    result: str
    repo: str
    where: str
    label: bool
    reason: str
    fixed: str | None = None
    open: str | None = None
    missing: str | None = None  # a true finding today's scan no longer reports: why (a miss)

    @property
    def relpath(self) -> str:
        return self.where.rsplit(":", 1)[0]

    @property
    def line(self) -> int | None:
        tail = self.where.rsplit(":", 1)[-1]
        return int(tail) if tail.isdigit() else None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.fingerprint, self.repo, self.relpath)

    def __str__(self) -> str:
        return f"{self.check} {self.result} {self.repo}/{self.where} ({self.fingerprint})"


def load_labels(path: Path = LABELS) -> list[Label]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    labels = [Label(**entry) for entry in entries]
    for label in labels:
        if label.fixed is not None and label.fixed not in FIXES:
            raise ValueError(f"{label}: fixed must be one of {FIXES}, not {label.fixed!r}")
        if label.label and (label.fixed or label.open):
            raise ValueError(f"{label}: a true label is neither fixed nor open")
        if label.missing is not None and not label.label:
            raise ValueError(f"{label}: only a true finding can be missing")
    return labels


def index(findings: Iterable[Finding]) -> dict[tuple[str, str, str], list[Finding]]:
    found: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        found[finding.key].append(finding)
    return found


def current(label: Label, found: dict[tuple[str, str, str], list[Finding]]) -> Finding | None:
    """Today's finding for a label's key: the one with the labelled result, else the nearest
    line (one resource twice in one file)."""
    candidates = found.get(label.key, [])
    if not candidates:
        return None
    same = [f for f in candidates if f.result == label.result] or candidates
    return min(same, key=lambda f: abs((f.line or 0) - (label.line or 0)))


def problems(labels: Iterable[Label], findings: Iterable[Finding]) -> list[str]:
    """What today's findings contradict: true findings that disappeared or changed result,
    false findings that came back, open ones already fixed, and stale labels."""
    findings = list(findings)
    found = index(findings)
    judged = {(f.check_id, f.repo, f.relpath) for f in findings}
    issues = []
    for label in labels:
        now = current(label, found)
        came_back = now is not None and now.result == label.result
        if label.label and label.missing is not None:
            if came_back:
                issues.append(f"missing true finding is reported again; drop `missing:`: {label}")
        elif label.label and not came_back:
            what = "disappeared" if now is None else f"is now {now.result}"
            issues.append(f"labelled true finding {what}: {label}")
        elif not label.label and label.open:
            if not came_back:
                issues.append(f"open false finding is fixed; record `fixed:`: {label}")
        elif not label.label and came_back:
            issues.append(f"labelled false finding came back: {label} ({label.reason})")
        elif (
            not label.label
            and label.fixed == "result"
            and ((label.check, label.repo, label.relpath) not in judged)
        ):
            issues.append(f"stale label (its check no longer judges the file): {label}")
        elif not label.label and label.fixed == "gone" and now is not None:
            issues.append(f"fixed-as-gone finding is judged again ({now.result}): {label}")
        elif not label.label and label.fixed is None:
            issues.append(f"false finding no longer reported; record `fixed:`: {label}")
    return issues
