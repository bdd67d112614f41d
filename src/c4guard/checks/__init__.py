"""The checks, one module per C4 section, registered by id in `REGISTRY`."""

from __future__ import annotations

from c4guard.checks import (  # noqa: F401  (importing a module registers its checks)
    compose,
    docker,
    edge,
    embedded_secrets,
    hardware,
    host,
    isolation,
    network,
    pipeline,
    resources,
    sandbox,
    secrets,
    terraform_edge,
    terraform_hardware,
    terraform_isolation,
    terraform_network,
    terraform_pipeline,
    terraform_resilience,
    terraform_sandbox,
    terraform_secrets,
    workflow_hygiene,
    workflows,
)
from c4guard.checks.registry import REGISTRY, Check


def all_checks() -> list[Check]:
    """Every registered check, in registration order."""
    return list(REGISTRY.values())


def checks_for(requirement_id: str) -> list[Check]:
    return [c for c in REGISTRY.values() if c.requirement == requirement_id]
