#!/usr/bin/env python3
"""Start-up time of the command line: median wall and CPU milliseconds per command.

Each run is a fresh `python -m c4guard ...` process, as a pre-commit hook or a CI step
starts it. The sources are byte-compiled first (an installed package has its `.pyc`
files; a checkout run with PYTHONDONTWRITEBYTECODE would otherwise compile on every
start). CPU time (user + system of the child) is printed beside wall time because on a
shared machine the wall time mostly measures the other processes.

Usage: python bench/startup_bench.py [--runs N] [--baseline-python PYTHON]
"""

from __future__ import annotations

import argparse
import compileall
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SMALL_FILE = REPO / "examples" / "insecure-platform" / "pytorchjob.yaml"
COMMANDS: list[tuple[str, list[str]]] = [
    ("python -c pass", []),
    ("--version", ["--version"]),
    ("controls", ["controls"]),
    ("explain 4.1.1", ["explain", "4.1.1"]),
    ("explain K8S-PRIVILEGED", ["explain", "K8S-PRIVILEGED"]),
    ("scan one file (json)", ["scan", "--format", "json", "--fail-on", "none", str(SMALL_FILE)]),
    ("scan one file (text)", ["scan", "--fail-on", "none", str(SMALL_FILE)]),
]


def run_once(python: str, args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run of `c4guard <args>` (or of a bare interpreter)."""
    argv = [python, "-m", "c4guard", *args] if args else [python, "-c", "pass"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, cwd=REPO)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--python", default=sys.executable, help="interpreter with c4guard")
    args = parser.parse_args()
    compileall.compile_dir(str(REPO / "src"), quiet=1)
    print(f"{'command':26} {'wall ms':>8} {'cpu ms':>8}   (median of {args.runs})")
    for label, argv in COMMANDS:
        run_once(args.python, argv)  # warm the page cache
        samples = [run_once(args.python, argv) for _ in range(args.runs)]
        wall = statistics.median(s[0] for s in samples) * 1000
        cpu = statistics.median(s[1] for s in samples) * 1000
        print(f"{label:26} {wall:8.0f} {cpu:8.0f}")
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
