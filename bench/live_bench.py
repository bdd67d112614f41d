#!/usr/bin/env python3
"""Benchmark the live faces.

- `c4guard cluster`: N generated workloads (Deployments with their ReplicaSets and Pods,
  InferenceServices, RayClusters) served over HTTPS on loopback by the tests' recorded API
  server, 500 objects a page; prints objects/s for reading the cluster and for the whole
  assessment, and the peak RSS.
- `c4guard host` on this machine: prints the time of one probe and assessment.
- `--scaling 10000,30000,100000`: issue 18's big cluster (per 100 objects a Namespace, 10
  Deployments with their ReplicaSets and 50 Pods, 15 Services, 14 NetworkPolicies) at each
  size, read by `c4guard cluster` from the recorded API server and by `c4guard scan -` as one
  JSON List (with a --max-file-size that admits it), each in a child process writing the
  default text report; prints wall time, CPU time and the child's peak RSS, and the growth
  exponents between the smallest and the largest size (1.0 is linear).

Usage: python bench/live_bench.py [--workloads N] [--scaling N,N,...]
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.live.apiserver import Behaviour, recorded_api, server_uid  # noqa: E402
from tests.live.bigcluster import big_cluster, write_list  # noqa: E402

from c4guard.config import Config  # noqa: E402
from c4guard.engine import ScanRequest, assess  # noqa: E402
from c4guard.live.cluster import read_cluster  # noqa: E402
from c4guard.live.host import HostOptions, read_host  # noqa: E402
from c4guard.live.kubeapi import ConnectOptions, connect  # noqa: E402

CONTAINER = {
    "name": "app",
    "image": "registry.example/app:1",
    "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True},
    "resources": {"limits": {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "1"}},
}


def objects(count: int) -> list[dict]:
    """`count` workloads; every Deployment also has a ReplicaSet and two Pods it controls."""
    found: list[dict] = []
    for i in range(count):
        ns = f"team-{i % 50}"
        kind = i % 3
        if kind == 0:
            deployment = {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": f"svc-{i}", "namespace": ns},
                "spec": {"template": {"spec": {"containers": [CONTAINER]}}},
            }
            replicaset = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": f"svc-{i}-7d9f",
                    "namespace": ns,
                    "ownerReferences": [
                        {"kind": "Deployment", "uid": server_uid(deployment), "controller": True}
                    ],
                },
                "spec": {"template": {"spec": {"containers": [CONTAINER]}}},
            }
            pods = [
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": f"svc-{i}-7d9f-{n}",
                        "namespace": ns,
                        "ownerReferences": [
                            {
                                "kind": "ReplicaSet",
                                "uid": server_uid(replicaset),
                                "controller": True,
                            }
                        ],
                    },
                    "spec": {"containers": [CONTAINER]},
                }
                for n in range(2)
            ]
            found += [deployment, replicaset, *pods]
        elif kind == 1:
            found.append(
                {
                    "apiVersion": "serving.kserve.io/v1beta1",
                    "kind": "InferenceService",
                    "metadata": {"name": f"llm-{i}", "namespace": ns},
                    "spec": {
                        "predictor": {
                            "model": {
                                "modelFormat": {"name": "huggingface"},
                                "storageUri": f"hf://org/model-{i}",
                            }
                        }
                    },
                }
            )
        else:
            found.append(
                {
                    "apiVersion": "ray.io/v1",
                    "kind": "RayCluster",
                    "metadata": {"name": f"ray-{i}", "namespace": ns},
                    "spec": {"headGroupSpec": {"template": {"spec": {"containers": [CONTAINER]}}}},
                }
            )
    return found


def bench_cluster(count: int) -> None:
    served = objects(count)
    with (
        tempfile.TemporaryDirectory() as folder,
        recorded_api(Path(folder), served, Behaviour(page_cap=500)) as api,
    ):
        conn = connect(ConnectOptions(kubeconfig=str(api.kubeconfig(Path(folder)))))
        started = time.perf_counter()
        inputs = read_cluster(conn)
        read = time.perf_counter() - started
        assessment = assess(inputs, Config(), ScanRequest(["cluster"]))
        total = time.perf_counter() - started
        conn.close()
        requests = len(api.behaviour.requests)
    print(
        f"cluster: {len(served)} objects served ({count} workloads), {requests} requests, "
        f"{len(inputs.resources)} resources judged, {len(assessment.findings())} findings"
    )
    print(f"  read   {read:6.2f} s  {len(served) / read:8.0f} objects/s")
    print(f"  total  {total:6.2f} s  {len(served) / total:8.0f} objects/s (read + assess)")


def bench_host() -> None:
    started = time.perf_counter()
    inputs = read_host(HostOptions())
    assessment = assess(inputs, Config(), ScanRequest(["host"]))
    elapsed = time.perf_counter() - started
    print(
        f"host: {inputs.summary.files_read} files read, {len(inputs.resources)} resources, "
        f"{len(assessment.findings())} findings in {elapsed:.3f} s"
    )


def _child(args: list[str], stdin: Path | None = None) -> tuple[float, float, int, float]:
    """Wall seconds, peak RSS (MiB), exit status and CPU seconds of `python -m c4guard
    ARGS` (on a shared machine the CPU time is the steadier figure)."""
    started = time.perf_counter()
    with open(stdin or os.devnull, "rb") as feed:
        child = subprocess.Popen(
            [sys.executable, "-m", "c4guard", *args, "-o", os.devnull],
            stdin=feed,
            stderr=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(child.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, usage.ru_maxrss / 1024, code, cpu


def _figures(row: tuple[int, float, float, int, float]) -> str:
    _, wall, rss, code, cpu = row
    return f"{wall:6.1f} s ({cpu:6.1f} s CPU) {rss:6.0f} MiB peak RSS (exit {code}"


def _exponent(small: int, large: int, at_small: float, at_large: float) -> float:
    """k in figure ~ count^k."""
    return math.log(at_large / at_small) / math.log(large / small)


def bench_scaling(counts: list[int]) -> None:
    """`cluster` and `scan -` of the big cluster at each size; exponents of time and RSS."""
    rows: dict[str, list[tuple[int, float, float, int, float]]] = {"cluster": [], "scan -": []}
    for count in counts:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            dump = folder / "cluster.json"
            with dump.open("w") as out:
                write_list(count, out)
            with recorded_api(folder, list(big_cluster(count)), Behaviour(page_cap=500)) as api:
                kubeconfig = str(api.kubeconfig(folder))
                rows["cluster"].append((count, *_child(["cluster", "--kubeconfig", kubeconfig])))
                pages = sum("limit=" in r for r in api.behaviour.requests)
            print(f"cluster {count:>7} objects: {_figures(rows['cluster'][-1])}, {pages} pages)")
            size_limit = ["--max-file-size", str(dump.stat().st_size // 1048576 + 1)]
            rows["scan -"].append((count, *_child(["scan", "-", *size_limit], stdin=dump)))
            size = dump.stat().st_size / 1048576
            print(f"scan -  {count:>7} objects: {_figures(rows['scan -'][-1])}, {size:.0f} MiB)")
            sys.stdout.flush()
    for face, found in rows.items() if len(counts) > 1 else ():
        first, last = found[0], found[-1]
        wall, rss, cpu = (_exponent(first[0], last[0], first[i], last[i]) for i in (1, 2, 4))
        print(
            f"{face}: growth exponent {first[0]}->{last[0]} objects: wall {wall:.2f}, "
            f"CPU {cpu:.2f}, peak RSS {rss:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int, default=3000)
    parser.add_argument("--scaling", help="object counts, e.g. 10000,30000,100000")
    args = parser.parse_args()
    if args.scaling:
        bench_scaling([int(n) for n in args.scaling.split(",")])
        return
    bench_host()
    bench_cluster(args.workloads)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
