#!/usr/bin/env python3
"""Figures for the build-pipeline sources on the shared corpus: the Dockerfiles, GitHub
workflows and actions, and GitLab CI files it holds, how many parsed, what they hold, the
checks' results, and the time taken.

Usage: python bench/pipelines_corpus.py [--corpus PATH]
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from pathlib import Path

from c4guard.config import Config
from c4guard.engine import ScanRequest, assess
from c4guard.inventory import Inventory
from c4guard.pipelines import ci_model
from c4guard.sources import ReadOptions, read_inputs
from c4guard.sources.dockerfile import claims as dockerfile_claims

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("C4GUARD_SHARED", REPO.parent / "shared")) / "corpus"


def pipeline_files(corpus: Path) -> list[str]:
    return sorted(
        str(p)
        for p in corpus.rglob("*")
        if p.is_file()
        and (
            dockerfile_claims(p.name)
            or ".github/workflows/" in p.as_posix()
            or p.name in (".gitlab-ci.yml", "action.yml", "action.yaml")
            or p.name.endswith("-ci.yml")
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    targets = pipeline_files(args.corpus)
    started = time.perf_counter()
    inputs = read_inputs(targets, ReadOptions())
    parsed = time.perf_counter()
    assessment = assess(inputs, Config(), ScanRequest(targets))
    judged = time.perf_counter()
    kinds = Counter(r.kind for r in inputs.resources)
    model = ci_model(Inventory(inputs.resources, Config()))
    runs = [run for p in model.pipelines for run in p.runs]
    print(
        f"files offered: {len(targets)}; read: {inputs.summary.files_read}; "
        f"skipped: {dict(inputs.summary.skipped)}; "
        f"input errors: {len(inputs.summary.input_errors)}"
    )
    for error in inputs.summary.input_errors:
        print(f"  error {error.path}:{error.line}: {error.reason}")
    print(f"resources: {dict(kinds)}")
    print(
        f"pipelines: {len(model.pipelines)} "
        f"({Counter(p.system for p in model.pipelines)}); job runs: {len(runs)}; "
        f"steps: {sum(len(r.steps) for r in runs)}; "
        f"runs publishing artifacts: {sum(1 for r in runs if r.facts.artifacts)}; "
        f"with followers: {sum(1 for p in model.pipelines if p.followers)}"
    )
    results: Counter[tuple[str, str]] = Counter()
    for finding in assessment.findings():
        if finding.check_id.split("-")[0] in ("DOCKER", "COMPOSE", "WF"):
            results[(finding.check_id, finding.result.value)] += 1
    for check_id in sorted({c for c, _ in results}):
        counts = {
            r: results[(check_id, r)] for r in ("pass", "fail", "unknown") if results[(check_id, r)]
        }
        print(f"  {check_id:28} {counts}")
    print(
        f"time: read {parsed - started:.2f} s, checks {judged - parsed:.2f} s, "
        f"{len(targets) / (judged - started):.0f} files/s"
    )


if __name__ == "__main__":
    main()
