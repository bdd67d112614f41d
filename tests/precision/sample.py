"""Draw a stratified sample of corpus findings and show their context, for labelling.

    python -m tests.precision.sample draw  [--fail N] [--pass N] > draft.yaml
    python -m tests.precision.sample show  draft.yaml [--check ID] [--lines N]

`draw` reads the stored reference reports (the same findings the label test recomputes),
takes up to N failing and N passing findings of every check, spread round-robin over the
corpus repositories, and prints label stubs (`label: ?`). `show` prints each stub's message
and the lines of the file around the finding, so a label can be decided by reading them.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.precision.findings import Finding, reference_findings

REPO = Path(__file__).resolve().parents[2]


def _order(finding: Finding) -> str:
    return hashlib.sha256(finding.fingerprint.encode()).hexdigest()


def _round_robin(findings: list[Finding], limit: int) -> list[Finding]:
    """Up to `limit` findings, taking one repository at a time (deterministic order)."""
    by_repo: dict[str, list[Finding]] = defaultdict(list)
    for finding in sorted(findings, key=_order):
        by_repo[finding.repo].append(finding)
    queues = [by_repo[repo] for repo in sorted(by_repo)]
    chosen: list[Finding] = []
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return chosen


def draw(findings: Iterable[Finding], per_result: dict[str, int]) -> list[Finding]:
    """The stratified sample: per check and result, round-robin over repositories; findings
    whose key (fingerprint, repository, file) is not unique are left out."""
    findings = list(findings)
    keys = Counter(finding.key for finding in findings)
    strata: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        if keys[finding.key] > 1:  # one resource twice in one file: not labelled by key
            continue
        strata[(finding.check_id, finding.result)].append(finding)
    sample: list[Finding] = []
    for (_, result), members in sorted(strata.items()):
        sample.extend(_round_robin(members, per_result.get(result, 0)))
    return sample


def top_up(findings: Iterable[Finding], sample: list[Finding], per_repo: int) -> list[Finding]:
    """Add findings of repositories the sample holds fewer than `per_repo` of, one check at
    a time, so every repository of the corpus is represented."""
    findings = list(findings)
    keys = Counter(finding.key for finding in findings)
    taken = {finding.key for finding in sample}
    extra: list[Finding] = []
    for repo in sorted({finding.repo for finding in findings}):
        have = sum(1 for finding in sample if finding.repo == repo)
        by_check: dict[tuple[str, str], list[Finding]] = defaultdict(list)
        for finding in sorted(findings, key=_order):
            if finding.repo == repo and keys[finding.key] == 1 and finding.key not in taken:
                by_check[(finding.check_id, finding.result)].append(finding)
        queues = [by_check[k] for k in sorted(by_check)]
        while have < per_repo and any(queues):
            for queue in queues:
                if queue and have < per_repo:
                    extra.append(queue.pop(0))
                    have += 1
    return sample + extra


def stub(finding: Finding) -> dict[str, Any]:
    return {
        "fingerprint": finding.fingerprint,
        "check": finding.check_id,
        "result": finding.result,
        "repo": finding.repo,
        "where": f"{finding.relpath}:{finding.line}",
        "label": "?",
        "reason": "",
    }


def context(path: Path, line: int, after: int, before: int = 2) -> Iterator[str]:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as error:
        yield f"    <unreadable: {error}>"
        return
    start = max(1, line - before)
    for number in range(start, min(len(lines), line + after) + 1):
        mark = ">" if number == line else " "
        yield f"  {mark}{number:5} {lines[number - 1][:160]}"


def show(stubs: list[dict[str, Any]], check: str | None, after: int) -> None:
    messages = {f.key: f for f in reference_findings()}
    for entry in stubs:
        if check and entry["check"] != check:
            continue
        relpath = entry["where"].rsplit(":", 1)[0]
        finding = messages.get((entry["fingerprint"], entry["repo"], relpath))
        print(f"== {entry['check']} {entry['result']} {entry['repo']} {entry['where']}")
        print(f"   fp={entry['fingerprint']} label={entry.get('label')}")
        if finding is None:
            print("   (no such finding now)")
            continue
        print(f"   {finding.message[:300]}")
        yield_lines = context(finding.abspath, finding.line or 1, after)
        print("\n".join(yield_lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    drawing = sub.add_parser("draw")
    drawing.add_argument("--fail", type=int, default=4)
    drawing.add_argument("--pass", dest="passing", type=int, default=2)
    drawing.add_argument("--unknown", type=int, default=1)
    drawing.add_argument("--per-repo", type=int, default=15)
    showing = sub.add_parser("show")
    showing.add_argument("file", type=Path)
    showing.add_argument("--check")
    showing.add_argument("--lines", type=int, default=8)
    args = parser.parse_args(argv)
    if args.command == "draw":
        per = {"fail": args.fail, "pass": args.passing, "unknown": args.unknown}
        findings = reference_findings()
        stubs = [stub(f) for f in top_up(findings, draw(findings, per), args.per_repo)]
        yaml.safe_dump(stubs, sys.stdout, sort_keys=False, width=120)
        return 0
    show(yaml.safe_load(args.file.read_text()), args.check, args.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
