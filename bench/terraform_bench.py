#!/usr/bin/env python3
"""Benchmark Terraform parsing on the `.tf` files of the shared corpus, next to the YAML
path on the corpus's YAML files, in the same process (so machine load affects both).

Prints files/s for:
  - tree-sitter alone (the C parser, no conversion),
  - c4guard's HCL reader (tree-sitter + conversion to blocks and expressions),
  - c4guard's whole Terraform path (reading + module evaluation),
  - c4guard's YAML path (safe YAML with lines + interpreters), for comparison,
  - python-hcl2 / bc-python-hcl2 (`hcl2.loads`), when importable: run the script with an
    interpreter that has them to compare (they are not dependencies). tfparse is not run:
    its Go side panics, killing the process, on some corpus directories.

Usage: python bench/terraform_bench.py [--corpus PATH] [--rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("C4GUARD_SHARED", REPO.parent / "shared")) / "corpus"


def timed(label: str, count: int, run: Callable[[], object], rounds: int) -> None:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<44} {count:>6} files {best:7.2f} s {count / best:8.0f} files/s")


def optional_candidates(texts: list[str]) -> None:
    """python-hcl2 or bc-python-hcl2 (both install `hcl2`), when importable."""
    try:
        import hcl2  # type: ignore[import-not-found]
    except ImportError:
        print("python-hcl2 / bc-python-hcl2: not importable here (skipped)")
        return

    def run_hcl2() -> None:
        for text in texts:
            with contextlib.suppress(Exception):  # counting speed, not correctness
                hcl2.loads(text)

    timed("hcl2.loads", len(texts), run_hcl2, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tf_files = sorted(p for p in args.corpus.rglob("*.tf") if p.is_file())
    yaml_files = sorted(p for p in args.corpus.rglob("*.y*ml") if p.is_file())
    if not tf_files:
        raise SystemExit(f"no .tf files under {args.corpus} (use --corpus or C4GUARD_SHARED)")
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in tf_files]
    print(
        f"corpus: {args.corpus} ({len(tf_files)} .tf files, "
        f"{sum(map(len, texts)) / 1e6:.1f} MB; {len(yaml_files)} YAML files)"
    )

    try:
        import tree_sitter
        import tree_sitter_hcl
    except ImportError:
        tree_sitter = None
    if tree_sitter is not None:
        parser_ts = tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
        encoded = [t.encode() for t in texts]
        timed(
            "tree-sitter parse only",
            len(texts),
            lambda: [parser_ts.parse(b) for b in encoded],
            args.rounds,
        )

    from c4guard.sources import ReadOptions, read_inputs
    from c4guard.sources.terraform.hcl import HclError, parse_hcl

    def read_hcl() -> None:
        for text in texts:
            with contextlib.suppress(HclError):
                parse_hcl(text)

    timed("c4guard HCL reader (blocks + expressions)", len(texts), read_hcl, args.rounds)
    timed(
        "c4guard Terraform path (read + evaluate)",
        len(tf_files),
        lambda: read_inputs([str(p) for p in tf_files], ReadOptions()),
        args.rounds,
    )
    timed(
        "c4guard YAML path",
        len(yaml_files),
        lambda: read_inputs([str(p) for p in yaml_files], ReadOptions()),
        args.rounds,
    )
    optional_candidates(texts)


if __name__ == "__main__":
    main()
