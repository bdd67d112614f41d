#!/usr/bin/env python3
"""How `c4guard scan` grows with the tree: 1x, 4x, 16x copies of one corpus tree.

Builds each size as N copies of the tree (copy-00/, copy-01/, ...) in a temporary
directory, scans it (every domain, JSON report, -j1) and prints wall and CPU time, peak RSS,
files and resources at each size, then the fitted exponents (least squares on log-log: 1.0 is
linear) and the RSS growth per resource between the two largest sizes.

Usage: python bench/scale_bench.py [--tree PATH] [--factors 1,4,16]
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
from pathlib import Path

from scan_bench import DEFAULT_CORPUS, Run, c4guard_command, count_files, measure

DEFAULT_TREE = DEFAULT_CORPUS / "kserve__kserve"


def build(tree: Path, copies: int, where: Path) -> Path:
    root = where / f"x{copies}"
    for index in range(copies):
        shutil.copytree(tree, root / f"copy-{index:02d}", symlinks=True)
    return root


def exponent(sizes: list[float], values: list[float]) -> float:
    """The slope of log(value) over log(size)."""
    xs, ys = [math.log(s) for s in sizes], [math.log(max(v, 1e-9)) for v in values]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, default=DEFAULT_TREE)
    parser.add_argument("--factors", default="1,4,16")
    args = parser.parse_args()
    factors = [int(f) for f in args.factors.split(",")]
    runs: list[tuple[int, int, int, Run]] = []
    with tempfile.TemporaryDirectory(prefix="c4guard-scale-") as tmp:
        for factor in factors:
            root = build(args.tree, factor, Path(tmp))
            report = Path(tmp) / f"x{factor}.json"
            run = measure(c4guard_command(root, 1, str(report)))
            resources = json.loads(report.read_text())["summary"]["resources"]
            files = count_files(root)
            runs.append((factor, files, resources, run))
            print(
                f"{factor:>3}x {files:>7} files {resources:>7} resources {run.seconds:>8.2f} s "
                f"cpu {run.cpu_seconds:>8.2f} s  peak RSS {run.rss_mib:>7.1f} MiB",
                flush=True,
            )
            shutil.rmtree(root)
    sizes = [float(files) for _f, files, _r, _run in runs]
    print(f"exponent, wall time: {exponent(sizes, [r.seconds for *_, r in runs]):.2f}")
    print(f"exponent, CPU time:  {exponent(sizes, [r.cpu_seconds for *_, r in runs]):.2f}")
    print(f"exponent, peak RSS:  {exponent(sizes, [r.rss_mib for *_, r in runs]):.2f}")
    if len(runs) >= 2:
        (_f1, _n1, res1, run1), (_f2, _n2, res2, run2) = runs[-2], runs[-1]
        per = (run2.rss_mib - run1.rss_mib) * 1024 / max(1, res2 - res1)
        print(f"peak RSS growth between the two largest: {per:.2f} KiB per resource")


if __name__ == "__main__":
    main()
