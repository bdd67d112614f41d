"""Reference reports: JSON reports of the shared corpus and the bundled examples.

`tests/test_reference_reports.py` compares today's reports with the ones stored under
`tests/data/reference-reports/` (timing fields removed). A change that is meant to alter
verdicts regenerates them with `python scripts/reference_reports.py --update` and says so in
its commit; a refactoring must leave them unchanged.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("C4GUARD_SHARED", REPO.parent / "shared"))
STORE = REPO / "tests" / "data" / "reference-reports"
TIMING_FIELDS = ("generated_at", "duration_s")
# Redacted secrets carry an HMAC: a fixed key makes them reproducible across machines.
REDACTION_KEY = "c4guard-reference-reports"


def targets() -> dict[str, Path]:
    """Report name -> scan target: each example platform, and each repository of the
    corpus (examples/supply-chain holds a signed artifact, not infrastructure)."""
    examples = sorted((REPO / "examples").glob("*-platform"))
    found = {f"example-{p.name}": p for p in examples if p.is_dir()}
    corpus = SHARED / "corpus"
    found.update({f"corpus-{p.name}": p for p in sorted(corpus.iterdir()) if p.is_dir()})
    return found


def report_of(target: Path) -> dict[str, Any]:
    """The JSON report of one scan, with the target relative to the repository and timing
    fields removed."""
    from click.testing import CliRunner

    from c4guard.cli import main

    relative = os.path.relpath(target, REPO)
    previous = Path.cwd()
    os.chdir(REPO)
    try:
        # the c4guard[render] extra's renderers: the same versions on every machine
        env = {"C4GUARD_REDACTION_KEY": REDACTION_KEY, "C4GUARD_RENDERERS": "extra"}
        result = CliRunner(env=env).invoke(
            main, ["scan", relative, "--format", "json", "--fail-on", "none", "--jobs", "2"]
        )
    finally:
        os.chdir(previous)
    if result.exit_code != 0:
        raise RuntimeError(f"scan of {relative} exited {result.exit_code}: {result.output[-2000:]}")
    report: dict[str, Any] = json.loads(result.output)
    for field in TIMING_FIELDS:
        report.pop(field, None)
    return report


def stored(name: str) -> dict[str, Any]:
    with gzip.open(STORE / f"{name}.json.gz", "rt", encoding="utf-8") as handle:
        report: dict[str, Any] = json.load(handle)
    return report


def store(name: str, report: dict[str, Any]) -> None:
    STORE.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=1, sort_keys=True)
    with gzip.GzipFile(STORE / f"{name}.json.gz", "wb", mtime=0) as handle:
        handle.write(text.encode("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the stored reports")
    args = parser.parse_args()
    changed = []
    for name, target in targets().items():
        report = report_of(target)
        if args.update:
            store(name, report)
        elif not (STORE / f"{name}.json.gz").exists() or stored(name) != report:
            changed.append(name)
    for name in changed:
        print(f"differs: {name}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
