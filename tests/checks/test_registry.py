"""The registry: a check's domain is its package, checks are found by walking the package,
and input kinds are asked in the one order `c4guard.sources.kinds` lists."""

from __future__ import annotations

import pytest

from c4guard.checks import REGISTRY, check_modules
from c4guard.checks.registry import domain_of
from c4guard.model import Domain
from c4guard.sources import kinds
from c4guard.sources.structured import Interpreter


def test_a_check_takes_its_domain_from_its_package() -> None:
    assert domain_of("c4guard.checks.terraform.network") is Domain.TERRAFORM
    assert domain_of("c4guard.checks.ci.pipeline") is Domain.CI
    assert REGISTRY["TF-SG-EGRESS-OPEN"].domain is Domain.TERRAFORM
    assert REGISTRY["WF-PROVENANCE"].domain is Domain.CI
    assert REGISTRY["CFG-SECCOMP-PROFILE"].domain is Domain.CONFIG


@pytest.mark.parametrize(
    "module",
    ["c4guard.checks.kubernets.isolation", "c4guard.checks.isolation", "tests.checks.some"],
)
def test_a_check_outside_a_domain_package_is_refused(module: str) -> None:
    with pytest.raises(ValueError, match=module):
        domain_of(module)


def test_every_check_module_is_found_and_registers_checks() -> None:
    modules = check_modules()
    registering = {c.function.__module__ for c in REGISTRY.values()}
    assert registering == set(modules)
    assert all(isinstance(c.domain, Domain) for c in REGISTRY.values())


def test_check_modules_are_walked_by_domain_then_name() -> None:
    modules = check_modules()
    order = [m.split(".")[2] for m in modules]
    domains = [d.name.lower() for d in Domain]
    assert order == sorted(order, key=domains.index)
    for domain in set(order):
        mine = [m for m in modules if m.split(".")[2] == domain]
        assert mine == sorted(mine)


def test_an_interpreter_of_an_unknown_domain_is_refused() -> None:
    with pytest.raises(ValueError, match="not a Domain"):
        Interpreter("kubernets", lambda document, display, namespace: None)  # type: ignore[arg-type]


def test_input_kinds_are_asked_in_the_listed_order() -> None:
    assert kinds.handler_for("main.tf.json") is kinds.HANDLERS[0]
    assert kinds.handler_for("deploy.yaml") is kinds.STRUCTURED
    assert kinds.handler_for("Dockerfile") is not None
    assert kinds.handler_for("README.md") is None
    assert all(i.domain is None or isinstance(i.domain, Domain) for i in kinds.INTERPRETERS)
