"""Findings of the shared corpus, from the stored reference reports or from a fresh scan.

A label names a finding by fingerprint, repository and file. The fingerprint alone is a
resource identity (check, kind, namespace, name, subject, setting), so the same resource in
two files of one repository (overlays, copies) shares it; the file tells them apart, and the
line (which edits may move) only breaks a tie inside one file.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
STORE = REPO / "tests" / "data" / "reference-reports"
MARKER = "corpus/"


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding of one corpus repository's report."""

    fingerprint: str
    check_id: str
    result: str
    repo: str
    relpath: str
    line: int | None
    message: str
    requirement: str
    origin: str
    kind: str = ""
    name: str = ""
    namespace: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.fingerprint, self.repo, self.relpath)

    @property
    def abspath(self) -> Path:
        return corpus_root() / self.repo / self.relpath


def corpus_root() -> Path:
    sys.path.insert(0, str(REPO / "scripts"))
    from reference_reports import SHARED

    return SHARED / "corpus"


def findings_of(repo: str, report: dict[str, Any]) -> Iterator[Finding]:
    """Every finding of a report, with its path made relative to the repository."""
    for requirement in report["requirements"]:
        for raw in requirement["findings"]:
            path = raw["path"]
            relpath = path.split(f"{MARKER}{repo}/", 1)[-1]
            yield Finding(
                fingerprint=raw["fingerprint"],
                check_id=raw["check_id"],
                result=raw["result"],
                repo=repo,
                relpath=relpath,
                line=raw.get("line"),
                message=raw["message"],
                requirement=requirement["id"],
                origin=raw["resource"]["origin"],
                kind=raw["resource"]["kind"],
                name=raw["resource"]["name"],
                namespace=raw["resource"].get("namespace"),
            )


def reference_findings() -> list[Finding]:
    """The findings of the stored reference reports of the corpus (no scan)."""
    found: list[Finding] = []
    for stored in sorted(STORE.glob("corpus-*.json.gz")):
        repo = stored.name.removeprefix("corpus-").removesuffix(".json.gz")
        with gzip.open(stored, "rt", encoding="utf-8") as handle:
            found.extend(findings_of(repo, json.load(handle)))
    return found


def scanned_findings(repos: Iterable[str] | None = None) -> list[Finding]:
    """The findings of a fresh scan of each corpus repository (as the reference reports)."""
    sys.path.insert(0, str(REPO / "scripts"))
    from reference_reports import report_of

    root = corpus_root()
    names = (
        sorted(repos) if repos is not None else sorted(p.name for p in root.iterdir() if p.is_dir())
    )
    found: list[Finding] = []
    for name in names:
        found.extend(findings_of(name, report_of(root / name)))
    return found
