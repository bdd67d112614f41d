#!/usr/bin/env python3
"""The parse cache (`scan --cache-dir`): a cold scan that fills it, warm re-scans of the
unchanged tree, and whether their reports equal the cold one's.

Prints wall and CPU seconds (the child's user + system, its worker processes and renderers
included) of each run; on a shared machine the CPU figure is the steadier one.

Usage: python bench/cache_bench.py [TREE] [--warm N] [--jobs J]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_TREE = REPO.parent / "shared" / "corpus"
VARYING = ("generated_at", "duration_s")


def scan(tree: Path, report: Path, extra: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one `c4guard scan` writing its JSON report to `report`."""
    argv = [sys.executable, "-m", "c4guard", "scan", "--format", "json", "--fail-on", "none"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*argv, "-o", str(report), *extra, str(tree)], check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def stable(report: Path) -> dict[str, object]:
    data = json.loads(report.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if k not in VARYING}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", type=Path, default=DEFAULT_TREE)
    parser.add_argument("--warm", type=int, default=2, help="warm runs")
    parser.add_argument("--jobs", default="0")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="c4guard-cache-bench-") as tmp:
        cache = Path(tmp, "cache")
        options = ["--jobs", args.jobs, "--cache-dir", str(cache)]
        cold_report = Path(tmp, "cold.json")
        cold = scan(args.tree, cold_report, options)
        print(f"cold   wall {cold[0]:7.1f} s  cpu {cold[1]:7.1f} s")
        for run in range(1, args.warm + 1):
            report = Path(tmp, f"warm{run}.json")
            warm = scan(args.tree, report, options)
            same = stable(report) == stable(cold_report)
            print(
                f"warm{run}  wall {warm[0]:7.1f} s  cpu {warm[1]:7.1f} s  "
                f"speed-up wall {cold[0] / warm[0]:4.1f}x cpu {cold[1] / warm[1]:4.1f}x  "
                f"report {'identical' if same else 'DIFFERENT'}"
            )
        entries = sum(1 for _ in cache.rglob("*.json"))
        size = sum(p.stat().st_size for p in cache.rglob("*.json")) / 2**20
        print(f"cache: {entries} entries, {size:.1f} MiB")


if __name__ == "__main__":
    main()
