"""Expectation markers in fixture files: a line ending in
`# expect: CHECK-ID result[, CHECK-ID result...]` must carry a finding of that check with
that result, reported at that file and line. In formats without trailing comments
(Dockerfiles), a comment line `# expect-next: ...` says the same of the line after it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from c4guard.model import Finding

MARKER = re.compile(r"#\s*expect(?P<next>-next)?:\s*(?P<items>.+)$")


@dataclass(frozen=True)
class Expectation:
    path: str
    line: int
    check_id: str
    result: str


def expectations(directory: Path) -> list[Expectation]:
    found = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = MARKER.search(text)
            if not match:
                continue
            line = number + 1 if match["next"] else number
            for item in match["items"].split(","):
                check_id, result = item.split()
                found.append(Expectation(str(path), line, check_id, result))
    return found


def unmet(expected: list[Expectation], findings: list[Finding]) -> list[str]:
    """Expectations that no finding satisfies, described with what was found nearby."""
    seen = {(f.location.path, f.location.line, f.check_id, f.result.value) for f in findings}
    missing = []
    for e in expected:
        if (e.path, e.line, e.check_id, e.result) not in seen:
            near = sorted(
                f"{f.result.value}@{f.location.line}"
                for f in findings
                if f.check_id == e.check_id and f.location.path == e.path
            )
            missing.append(
                f"{Path(e.path).name}:{e.line} {e.check_id} {e.result} "
                f"(found: {', '.join(near) or 'none'})"
            )
    return missing


def scenario_failures(root: Path, scan) -> list[str]:
    """Scan each subdirectory of `root` on its own (a scenario: objects that must be judged
    together) and return the expectations its findings do not meet."""
    missing = []
    for directory in sorted(p for p in root.iterdir() if p.is_dir()):
        assessment = scan(directory)
        missing += unmet(expectations(directory), assessment.findings())
    return missing
