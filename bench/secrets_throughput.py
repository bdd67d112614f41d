"""Throughput of secret scanning over a directory tree (default: the shared corpus).

    python bench/secrets_throughput.py [DIR] [--repeat N]

Reads every regular file once (outside the timing), then times binary detection, decoding
and scan_text together, as `c4guard scan` runs them. Prints files/s, MB/s and the number of
findings per rule (never the secrets).
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("C4GUARD_REDACTION_KEY", "benchmark-only-redaction-key")

from c4guard.secrets import scan_bytes


def default_corpus() -> Path | None:
    """`shared/corpus` beside the repository (or beside a folder holding worktrees)."""
    for folder in Path(__file__).resolve().parents[1:4]:
        if (folder / "shared" / "corpus").is_dir():
            return folder / "shared" / "corpus"
    return None


def load(root: Path) -> list[tuple[str, bytes]]:
    return [
        (str(path.relative_to(root)), path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", type=Path, default=default_corpus())
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = parser.parse_args()
    if args.root is None or not args.root.is_dir():
        parser.error("no corpus directory: pass one")
    files = load(args.root)
    size = sum(len(data) for _, data in files)
    best, findings, statuses = float("inf"), Counter[str](), Counter[str]()
    for _ in range(args.repeat):
        findings, statuses = Counter(), Counter()
        start = time.perf_counter()
        for name, data in files:
            result = scan_bytes(data, name)
            statuses[result.status] += 1
            findings.update(match.rule_id for match in result.matches)
        best = min(best, time.perf_counter() - start)
    print(f"{args.root}: {len(files)} files, {size / 1e6:.1f} MB, {dict(statuses)}")
    rate, mbps = len(files) / best, size / 1e6 / best
    print(f"best of {args.repeat}: {best:.2f} s, {rate:.0f} files/s, {mbps:.1f} MB/s")
    print("findings by rule:", dict(sorted(findings.items())) or "none")


if __name__ == "__main__":
    main()
