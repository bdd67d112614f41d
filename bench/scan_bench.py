#!/usr/bin/env python3
"""Benchmark `c4guard scan` (and Checkov, when installed) on the same files.

Prints files/s and peak RSS for:
  - the shared corpus of third-party AI infrastructure (../shared/corpus), and
  - a generated corpus of N Kubernetes manifests (Deployments, InferenceServices,
    RayClusters, PyTorchJobs), written to a temporary directory.

Usage: python bench/scan_bench.py [--manifests N] [--jobs J] [--corpus PATH] [--no-checkov]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"

TEMPLATES = [
    """apiVersion: apps/v1
kind: Deployment
metadata: {{name: svc-{i}, namespace: team-{ns}}}
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example/app:{i}
          securityContext: {{allowPrivilegeEscalation: false, runAsNonRoot: true}}
          resources: {{limits: {{cpu: "1", memory: 1Gi, nvidia.com/gpu: "1"}}}}
""",
    """apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: {{name: llm-{i}, namespace: team-{ns}}}
spec:
  predictor:
    model:
      modelFormat: {{name: vLLM}}
      storageUri: hf://org/model-{i}
""",
    """apiVersion: ray.io/v1
kind: RayCluster
metadata: {{name: ray-{i}, namespace: team-{ns}}}
spec:
  headGroupSpec:
    template:
      spec:
        containers: [{{name: head, image: rayproject/ray:2.40.0}}]
  workerGroupSpecs:
    - groupName: gpu
      template:
        spec:
          containers:
            - name: worker
              image: rayproject/ray:2.40.0-gpu
              securityContext: {{privileged: true}}
""",
    """apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata: {{name: train-{i}, namespace: team-{ns}}}
spec:
  pytorchReplicaSpecs:
    Worker:
      template:
        spec:
          hostIPC: true
          containers: [{{name: pytorch, image: pytorch/pytorch:2.4.0}}]
""",
]


def generate(directory: Path, count: int) -> None:
    for i in range(count):
        text = TEMPLATES[i % len(TEMPLATES)].format(i=i, ns=i % 17)
        (directory / f"manifest-{i:05d}.yaml").write_text(text)


def count_files(path: Path) -> int:
    return sum(1 for p in path.rglob("*") if p.is_file())


def measure(command: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MiB, exit status) of a command run to completion."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    return elapsed, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def report(label: str, tool: str, files: int, result: tuple[float, float, int]) -> None:
    seconds, rss, code = result
    print(
        f"{label:<28} {tool:<9} {files:>6} files {seconds:>8.2f} s "
        f"{files / seconds:>9.1f} files/s  peak RSS {rss:>7.1f} MiB  (exit {code})"
    )


def c4guard_command(path: Path, jobs: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "c4guard",
        "scan",
        str(path),
        "--format",
        "json",
        "--fail-on",
        "none",
        "--jobs",
        str(jobs),
        "-o",
        os.devnull,
    ]


def checkov_command(path: Path) -> list[str] | None:
    checkov = shutil.which("checkov")
    if checkov is None:
        return None
    return [
        checkov,
        "-d",
        str(path),
        "--framework",
        "kubernetes",
        "--quiet",
        "--compact",
        "-o",
        "json",
        "--skip-download",
    ]


def bench(label: str, path: Path, jobs: int, with_checkov: bool) -> None:
    files = count_files(path)
    report(label, "c4guard", files, measure(c4guard_command(path, 1)))
    if jobs > 1:
        report(label, f"c4guard-j{jobs}", files, measure(c4guard_command(path, jobs)))
    command = checkov_command(path) if with_checkov else None
    if command:
        report(label, "checkov", files, measure(command))
    elif with_checkov:
        print(f"{label:<28} checkov   not installed (pip install checkov to compare)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifests", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--no-checkov", action="store_true")
    args = parser.parse_args()
    if args.corpus.is_dir():
        bench("shared corpus", args.corpus, args.jobs, not args.no_checkov)
    else:
        print(f"shared corpus not found at {args.corpus}")
    with tempfile.TemporaryDirectory(prefix="c4guard-bench-") as tmp:
        generate(Path(tmp), args.manifests)
        bench(f"generated {args.manifests} manifests", Path(tmp), args.jobs, not args.no_checkov)


if __name__ == "__main__":
    main()
