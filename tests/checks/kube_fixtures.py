"""Shared test helpers for the Kubernetes check areas: each area's fixtures are scenario
directories (scanned one by one) with expectation markers."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from c4guard.checks import REGISTRY
from c4guard.config import load_config
from c4guard.model import Assessment
from tests.conftest import scan_paths
from tests.expectations import expectations

FIXTURES = Path(__file__).parent / "fixtures"
# A workload with no class, accelerator, edge component or AI service: the scopes of the
# class-dependent requirements are empty.
PLAIN_POD = """
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  containers: [{name: app, image: x}]
"""


@cache
def scan_scenario(directory: Path) -> Assessment:
    config = directory / "c4guard.yaml"
    return scan_paths([str(directory)], load_config(config if config.exists() else None))


def area_checks(area_module: str) -> list[str]:
    return sorted(
        c.id
        for c in REGISTRY.values()
        if c.function.__module__ == f"c4guard.checks.kubernetes.{area_module}"
    )


def marked_results(area: str, check_id: str) -> set[str]:
    return {e.result for e in expectations(FIXTURES / area) if e.check_id == check_id}
