"""Precision and recall of c4guard's secret detection, and of detect-secrets, on the
labelled set of tests/secrets/labelled_secrets.py (synthetic secrets, hard negatives).

    python bench/secrets_precision.py            # needs `pip install detect-secrets` for
                                                 # the comparison; c4guard alone otherwise

A detection is a (file, line). It is a true positive on a labelled line of a positive
file, a false positive anywhere else; a labelled line without a detection is a miss.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "secrets"))
os.environ.setdefault("C4GUARD_REDACTION_KEY", "benchmark-only-redaction-key")

import labelled_secrets  # noqa: E402

from c4guard.secrets import scan_file  # noqa: E402

Detections = set[tuple[str, int]]


def c4guard_detections(root: Path, cases: list[labelled_secrets.Case]) -> Detections:
    return {
        (case.name, match.line)
        for case in cases
        for match in scan_file(root / case.name, case.name).matches
    }


def detect_secrets_detections(root: Path) -> Detections | None:
    beside_python = Path(sys.executable).with_name("detect-secrets")
    executable = str(beside_python) if beside_python.exists() else shutil.which("detect-secrets")
    if executable is None:
        return None
    output = subprocess.run(
        [executable, "scan", "--all-files", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    results = json.loads(output)["results"]
    return {(name, hit["line_number"]) for name, hits in results.items() for hit in hits}


def score(found: Detections, cases: list[labelled_secrets.Case]) -> dict[str, object]:
    expected = {(case.name, line) for case in cases for line in case.lines}
    true_positives = found & expected
    missed = expected - found
    false_positives = found - expected
    family = {case.name: case.family for case in cases}
    return {
        "precision": len(true_positives) / len(found) if found else 1.0,
        "recall": len(true_positives) / len(expected),
        "true_positives": len(true_positives),
        "false_positives": len(false_positives),
        "missed": len(missed),
        "missed_by_family": Counter(family[name] for name, _ in missed),
        "false_positives_by_family": Counter(family[name] for name, _ in false_positives),
    }


def report(tool: str, result: dict[str, object]) -> None:
    print(
        f"{tool:15} precision {result['precision']:.3f}  recall {result['recall']:.3f}  "
        f"(TP {result['true_positives']}, FP {result['false_positives']}, "
        f"missed {result['missed']})"
    )
    for label in ("missed_by_family", "false_positives_by_family"):
        counts = result[label]
        if counts:
            listed = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))  # type: ignore[attr-defined]
            print(f"{'':15} {label.replace('_', ' ')}: {listed}")


def main() -> None:
    cases = labelled_secrets.all_cases()
    positives = [c for c in cases if c.positive]
    print(
        f"labelled set: {len(positives)} files with {sum(len(c.lines) for c in positives)} "
        f"true secrets, {len(cases) - len(positives)} hard-negative files"
    )
    with tempfile.TemporaryDirectory(prefix="c4guard-secrets-bench-") as tmp:
        root = Path(tmp)
        labelled_secrets.write_cases(root, cases)
        report("c4guard", score(c4guard_detections(root, cases), cases))
        theirs = detect_secrets_detections(root)
        if theirs is None:
            print("detect-secrets  not installed (pip install detect-secrets)")
        else:
            report("detect-secrets", score(theirs, cases))


if __name__ == "__main__":
    main()
