#!/usr/bin/env python3
"""Benchmark `c4guard scan` against Checkov and against the parse floor, in one run.

Prints wall time, CPU time (user + system of the process and its children), files/s and
peak RSS for:
  1. c4guard (every domain) vs Checkov with all frameworks and with each framework alone
     (kubernetes, terraform, dockerfile, github_actions, helm, kustomize, secrets) on the
     shared corpus (../shared/corpus);
  2. c4guard vs the parse floor (bench/floor.py: reading every byte, LibYAML events and
     compose_all, tree-sitter HCL, the Dockerfile tokenizer) on the corpus and on its
     Kubernetes trees (--k8s-tree);
  3. c4guard (and Checkov's kubernetes framework) on N generated Kubernetes manifests.

Ratios are taken on CPU time, which a loaded machine disturbs much less than wall time;
the floor is the parse alone (measured inside its process), c4guard the whole command
(start-up, discovery, checks and the JSON report included).

Checkov is looked for in --checkov PATH, then on PATH, then in .venv-checkov/bin (a
separate virtual environment: `python3 -m venv .venv-checkov && .venv-checkov/bin/pip
install checkov`).

Usage: python bench/scan_bench.py [--corpus PATH] [--checkov PATH | --no-checkov]
           [--frameworks all,kubernetes,...] [--k8s-tree NAME ...] [--manifests N] [--jobs J]
           [--only checkov,floor,generated]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = Path(os.environ.get("C4GUARD_SHARED", REPO.parent / "shared")) / "corpus"
FLOOR_SCRIPT = Path(__file__).resolve().parent / "floor.py"
FRAMEWORKS = (
    "all",
    "kubernetes",
    "terraform",
    "dockerfile",
    "github_actions",
    "helm",
    "kustomize",
    "secrets",
)
FLOOR_KINDS = ("read", "yaml-events", "yaml-compose", "hcl", "dockerfile", "floor")
DEFAULT_K8S_TREES = ("kubeflow__manifests", "kserve__kserve")
SECTIONS = ("checkov", "floor", "generated")

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


@dataclass(frozen=True, slots=True)
class Run:
    """One command run to completion: wall and CPU seconds, peak RSS, exit status, stdout."""

    seconds: float
    cpu_seconds: float
    rss_mib: float
    code: int
    stdout: str = ""


def measure(command: list[str], capture: bool = False) -> Run:
    """Run `command`; its CPU time and peak RSS come from the kernel (`wait4`)."""
    start = time.perf_counter()
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, text=True)
    stdout = process.stdout.read() if process.stdout else ""
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code, stdout)


def report(label: str, tool: str, files: int, run: Run, note: str = "") -> None:
    rate = files / run.seconds if run.seconds else float("inf")
    print(
        f"{label:<24} {tool:<26} {files:>6} files {run.seconds:>8.2f} s "
        f"cpu {run.cpu_seconds:>7.2f} s {rate:>8.1f} files/s  "
        f"RSS {run.rss_mib:>7.1f} MiB{f'  exit {run.code}' if run.code else ''}{note}",
        flush=True,
    )


def c4guard_command(path: Path, jobs: int, output: str = os.devnull) -> list[str]:
    """A full scan, every domain, JSON report."""
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
        output,
    ]


def find_checkov(option: str | None) -> str | None:
    """--checkov PATH, else `checkov` on PATH, else the repository's .venv-checkov."""
    if option:
        return option
    local = REPO / ".venv-checkov" / "bin" / "checkov"
    return shutil.which("checkov") or (str(local) if local.is_file() else None)


def checkov_command(checkov: str, path: Path, framework: str) -> list[str]:
    return [
        checkov,
        "-d",
        str(path),
        "--framework",
        framework,
        "--quiet",
        "--compact",
        "-o",
        "json",
        "--skip-download",
    ]


def ratio(slower: Run, faster: Run) -> str:
    return f"{slower.cpu_seconds / faster.cpu_seconds:.1f}x" if faster.cpu_seconds else "-"


def vs_checkov(label: str, path: Path, c4guard: Run, checkov: str, frameworks: list[str]) -> None:
    """Checkov on each framework; the note says how many times c4guard's CPU time it took."""
    files = count_files(path)
    for framework in frameworks:
        run = measure(checkov_command(checkov, path, framework))
        note = f"  = {ratio(run, c4guard)} c4guard (all domains)"
        report(label, f"checkov --framework {framework}", files, run, note)


@dataclass(frozen=True, slots=True)
class Floor:
    kind: str
    files: int
    process: Run
    cpu_seconds: float  # of the parse alone, inside the process
    seconds: float


def floor(kind: str, path: Path) -> Floor:
    run = measure([sys.executable, str(FLOOR_SCRIPT), kind, str(path)], capture=True)
    if run.code:
        raise SystemExit(f"bench/floor.py {kind} {path} failed (exit {run.code})")
    result = json.loads(run.stdout)
    return Floor(kind, result["files"], run, result["cpu_seconds"], result["seconds"])


def vs_floor(label: str, path: Path, c4guard: Run) -> None:
    """The parsers alone on the same files, and how far c4guard's whole scan is above them."""
    for kind in FLOOR_KINDS:
        result = floor(kind, path)
        parse_run = Run(result.seconds, result.cpu_seconds, result.process.rss_mib, 0)
        note = f"  c4guard = {ratio(c4guard, parse_run)} this"
        report(label, f"floor {kind}", result.files, parse_run, note)


def c4guard_runs(label: str, path: Path, jobs: int) -> Run:
    files = count_files(path)
    first = measure(c4guard_command(path, 1))
    report(label, "c4guard -j1", files, first)
    if jobs > 1:
        report(label, f"c4guard -j{jobs}", files, measure(c4guard_command(path, jobs)))
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--checkov", help="the checkov executable (default: PATH, .venv-checkov)")
    parser.add_argument("--no-checkov", action="store_true")
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--k8s-tree", action="append", help="corpus subfolder (repeatable)")
    parser.add_argument("--manifests", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=1, help="also run c4guard with -jJ")
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections to run")
    args = parser.parse_args()
    sections = set(args.only.split(","))
    checkov = None if args.no_checkov else find_checkov(args.checkov)
    if not args.corpus.is_dir():
        raise SystemExit(f"corpus not found at {args.corpus} (--corpus or C4GUARD_SHARED)")
    print(
        f"corpus {args.corpus}; checkov: {checkov or 'not used'}; python {sys.version.split()[0]}"
    )
    corpus_run = c4guard_runs("corpus", args.corpus, args.jobs)
    if "checkov" in sections:
        if checkov:
            vs_checkov("corpus", args.corpus, corpus_run, checkov, args.frameworks.split(","))
        else:
            print("checkov not found (--checkov PATH, or pip install checkov)")
    if "floor" in sections:
        vs_floor("corpus", args.corpus, corpus_run)
        for tree in args.k8s_tree or DEFAULT_K8S_TREES:
            path = args.corpus / tree
            vs_floor(tree, path, c4guard_runs(tree, path, 1))
    if "generated" in sections:
        with tempfile.TemporaryDirectory(prefix="c4guard-bench-") as tmp:
            label = f"{args.manifests} generated"
            generate(Path(tmp), args.manifests)
            run = c4guard_runs(label, Path(tmp), args.jobs)
            if checkov:
                vs_checkov(label, Path(tmp), run, checkov, ["kubernetes"])


if __name__ == "__main__":
    main()
