"""The checks: `c4guard.checks.<domain>.<section>`, one package per input domain
(`Domain`, e.g. `kubernetes`, `terraform`, `ci`) with one module per C4 section
(`isolation`, `pipeline`, `network`, `secrets`, `sandbox`, `resources`, `hardware`,
`edge`). Importing a check module registers its checks in `REGISTRY`; `discover()` imports
them all by a sorted walk of each domain package, domains in `Domain` order.

Modules named `common` hold outcome helpers shared by the sections of one domain; they
register no check. `registry` is the registration API and `selection` the rule selection.
"""

from __future__ import annotations

import importlib
import pkgutil

from c4guard.checks.registry import REGISTRY, Check
from c4guard.model import Domain

SHARED_MODULES = frozenset({"common"})


def check_modules() -> list[str]:
    """The names of every check module: domain packages in `Domain` order, modules sorted."""
    names = []
    for domain in Domain:
        package = f"{__name__}.{domain.name.lower()}"
        try:
            found = importlib.import_module(package)
        except ModuleNotFoundError as exc:
            if exc.name != package:
                raise
            continue
        names += [
            f"{package}.{info.name}"
            for info in sorted(pkgutil.iter_modules(found.__path__), key=lambda i: i.name)
            if not info.ispkg and info.name not in SHARED_MODULES
        ]
    return names


def discover() -> None:
    """Import every check module (importing one registers its checks)."""
    for name in check_modules():
        importlib.import_module(name)


discover()


def all_checks() -> list[Check]:
    """Every registered check, in registration order."""
    return list(REGISTRY.values())


def checks_for(requirement_id: str) -> list[Check]:
    return [c for c in REGISTRY.values() if c.requirement == requirement_id]
