#!/usr/bin/env python3
"""Benchmark the live faces.

- `c4guard cluster`: N generated workloads (Deployments with their ReplicaSets and Pods,
  InferenceServices, RayClusters) served over HTTPS on loopback by the tests' recorded API
  server, 500 objects a page; prints objects/s for reading the cluster and for the whole
  assessment, and the peak RSS.
- `c4guard host` on this machine: prints the time of one probe and assessment.

Usage: python bench/live_bench.py [--workloads N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.live.apiserver import Behaviour, recorded_api, server_uid  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", type=int, default=3000)
    args = parser.parse_args()
    bench_host()
    bench_cluster(args.workloads)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
