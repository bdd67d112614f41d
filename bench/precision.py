"""Precision of c4guard's verdicts from the labelled corpus findings (issue 15).

    python bench/precision.py            # today's findings: the stored reference reports
    python bench/precision.py --scan     # today's findings: a fresh scan of the corpus
    python bench/precision.py --labelled # the findings as they were when labelled

A labelled finding counts when today's output still reports it with its labelled result: a
false finding that was fixed no longer counts against precision, a true one that vanished no
longer counts for it. Precision is printed per check and overall, separately for failing and
passing findings (and unknown ones), with the number of labels behind each figure.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.precision.findings import reference_findings, scanned_findings  # noqa: E402
from tests.precision.labels import Label, current, index, load_labels  # noqa: E402

RESULTS = ("fail", "pass", "unknown")


def counted(labels: list[Label], scan: bool, labelled: bool) -> list[Label]:
    """The labels whose finding today's output reports with the labelled result."""
    if labelled:
        return labels
    findings = scanned_findings({label.repo for label in labels}) if scan else reference_findings()
    found = index(findings)
    kept = []
    for label in labels:
        now = current(label, found)
        if now is not None and now.result == label.result:
            kept.append(label)
    return kept


def ratio(true: int, total: int) -> str:
    return f"{true / total:.3f}" if total else "  -  "


def table(labels: list[Label], min_labels: int) -> list[str]:
    per: dict[str, dict[str, Counter[bool]]] = defaultdict(lambda: defaultdict(Counter))
    for label in labels:
        per[label.check][label.result][label.label] += 1
    lines = [f"{'check':34} " + " ".join(f"{r + ' prec (n)':>18}" for r in RESULTS)]
    for check in sorted(per):
        cells = []
        for result in RESULTS:
            counts = per[check][result]
            total = counts[True] + counts[False]
            cells.append(f"{ratio(counts[True], total):>11} ({total:3})" if total else " " * 18)
        if sum(sum(c.values()) for c in per[check].values()) >= min_labels:
            lines.append(f"{check:34} " + " ".join(cells))
    return lines


def summary(labels: list[Label]) -> list[str]:
    lines = []
    for result in RESULTS:
        members = [label for label in labels if label.result == result]
        true = sum(label.label for label in members)
        lines.append(f"overall {result:8} precision {ratio(true, len(members))} ({len(members)})")
    false = [label for label in labels if not label.label]
    lines.append(f"false findings still reported: {len(false)}")
    lines.extend(f"  {label}: {label.reason}" for label in false)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scan", action="store_true", help="scan the corpus afresh")
    parser.add_argument("--labelled", action="store_true", help="the findings as labelled")
    parser.add_argument("--min-labels", type=int, default=1, help="hide checks with fewer")
    args = parser.parse_args(argv)
    labels = load_labels()
    kept = counted(labels, args.scan, args.labelled)
    checks = len({label.check for label in labels})
    repos = len({label.repo for label in labels})
    print(f"{len(labels)} labels, {checks} checks, {repos} repositories; {len(kept)} counted")
    print("\n".join(table(kept, args.min_labels)))
    print("\n".join(summary(kept)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
