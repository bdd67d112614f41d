"""Render benchmark: charts rendered per second with each Helm renderer found here (the
`helm` binary, Helm's engine from the `c4guard[render]` extra), and overlays built per second
with kustomize, over the charts and overlays of the shared corpus.

    python bench/render_bench.py                    # every renderer found, jobs 1 and 2
    python bench/render_bench.py --jobs 4 --corpus ../shared/corpus

Each chart is rendered once per renderer with its default values (no cache: every render
runs the renderer); the figure is charts per second of wall time. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from c4guard.sources.discover import discover
from c4guard.sources.layout import analyse_layout
from c4guard.sources.render.charts import DEFAULT_VARIANT, Variant, find_charts
from c4guard.sources.render.helm import render_chart
from c4guard.sources.render.kustomize import build_overlay
from c4guard.sources.render.overlays import blockers, closure, link, top_level
from c4guard.sources.render.sandbox import Limits, RenderFailed
from c4guard.sources.render.tools import SDK_WORKER, Renderer, find_renderers

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("C4GUARD_SHARED", REPO.parent / "shared")) / "corpus"


def helm_renderers() -> list[Renderer]:
    found = []
    binary = shutil.which("helm")
    if binary:
        found.append(Renderer((binary,), "helm"))
    try:
        import helm_python  # noqa: F401

        found.append(Renderer((sys.executable, "-I", SDK_WORKER), "helm-python-sdk"))
    except ImportError:
        pass
    return found


def timed(tasks: list, jobs: int) -> tuple[float, int]:
    """Wall time of running every task, and how many failed."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        failures = sum(1 for ok in pool.map(lambda t: t(), tasks) if not ok)
    return time.perf_counter() - started, failures


def attempt(call) -> bool:  # type: ignore[no-untyped-def]
    try:
        call()
    except RenderFailed:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2])
    args = parser.parse_args()
    files = discover([str(args.corpus)]).files
    charts = find_charts(files)
    limits = Limits()
    print(f"{len(charts)} charts under {args.corpus}")
    for renderer in helm_renderers():
        for jobs in args.jobs:
            tasks = [
                lambda c=c, r=renderer: attempt(
                    lambda: render_chart(c, Variant(DEFAULT_VARIANT), r, limits)
                )
                for c in charts
            ]
            seconds, failed = timed(tasks, jobs)
            print(
                f"helm  {renderer.name:18} jobs={jobs}: {len(charts)} charts in {seconds:.1f}s "
                f"= {len(charts) / seconds:.2f} charts/s ({failed} failed)"
            )
    kustomize = find_renderers().kustomize
    if kustomize is None:
        print("no kustomize renderer")
        return
    kustomizations = analyse_layout(files).kustomizations
    link(kustomizations)
    by_dir = {k.directory: k for k in kustomizations}
    overlays = [o for o in top_level(kustomizations) if not blockers(closure(o, by_dir))]
    for jobs in args.jobs:
        tasks = [lambda o=o: attempt(lambda: build_overlay(o, kustomize, limits)) for o in overlays]
        seconds, failed = timed(tasks, jobs)
        print(
            f"kustomize {kustomize.argv[0]} jobs={jobs}: {len(overlays)} overlays in "
            f"{seconds:.1f}s = {len(overlays) / seconds:.2f} overlays/s ({failed} failed)"
        )


if __name__ == "__main__":
    main()
