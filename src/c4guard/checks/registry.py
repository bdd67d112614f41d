"""The check registry: plain functions with their metadata beside them.

A check reads the inventory and yields `Outcome`s (what it saw on a subject) or
`NotApplicable` statements; the engine turns outcomes into findings with the check's
metadata, so a check never repeats its id, severity or remediation. A check's domain is the
package its module lives in (`c4guard.checks.<domain>.<section>`).

This module is the registration API, not a check module: check modules import it (and
`c4guard.views`), never each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from c4guard.model import Domain, Location, NotApplicable, ResourceRef, Result, Severity

if TYPE_CHECKING:
    from c4guard.inventory import Inventory
    from c4guard.workloads.views import Setting


class Subject(Protocol):
    """What a finding is about: a container, a pod, a namespace, a resource."""

    @property
    def ref(self) -> ResourceRef: ...

    @property
    def subject(self) -> str: ...

    @property
    def path(self) -> str: ...

    def locate(self, *keys: str) -> Location: ...


@dataclass(frozen=True, slots=True)
class Outcome:
    subject: Subject
    result: Result
    message: str
    setting: Setting | None = None
    fix: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


CheckFunction = Callable[["Inventory"], Iterator["Outcome | NotApplicable"]]


@dataclass(frozen=True, slots=True)
class Check:
    id: str
    requirement: str
    severity: Severity
    title: str
    remediation: str
    domain: Domain
    references: tuple[str, ...]
    function: CheckFunction

    @property
    def doc(self) -> str:
        return " ".join((self.function.__doc__ or "").split())


REGISTRY: dict[str, Check] = {}


CHECKS_PACKAGE = "c4guard.checks"


def domain_of(module: str) -> Domain:
    """The domain of a check module: the package under `c4guard.checks` it lives in."""
    parts = module.split(".")
    if len(parts) != 4 or ".".join(parts[:2]) != CHECKS_PACKAGE:
        raise ValueError(f"{module}: a check module lives in {CHECKS_PACKAGE}.<domain>.<section>")
    try:
        return Domain[parts[2].upper()]
    except KeyError:
        known = ", ".join(d.name.lower() for d in Domain)
        raise ValueError(f"{module}: {parts[2]} is not a domain ({known})") from None


def add(registered: Check) -> Check:
    """Add a check to the registry (its domain a `Domain`, its id new)."""
    if not isinstance(registered.domain, Domain):
        raise ValueError(f"check {registered.id}: domain {registered.domain!r} is not a Domain")
    if registered.id in REGISTRY:
        raise ValueError(f"check {registered.id} is registered twice")
    REGISTRY[registered.id] = registered
    return registered


def check(
    check_id: str,
    *,
    requirement: str,
    severity: str,
    title: str,
    remediation: str,
    references: tuple[str, ...] = (),
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under `check_id` with its metadata; its domain is the
    package of its module."""

    def register(function: CheckFunction) -> CheckFunction:
        add(
            Check(
                check_id,
                requirement,
                Severity(severity),
                title,
                remediation,
                domain_of(function.__module__),
                references,
                function,
            )
        )
        return function

    return register


def passed(
    subject: Subject,
    message: str,
    *,
    setting: Setting | None = None,
    evidence: dict[str, Any] | None = None,
) -> Outcome:
    return Outcome(subject, Result.PASS, message, setting, None, evidence or {})


def failed(
    subject: Subject,
    message: str,
    *,
    setting: Setting | None = None,
    fix: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> Outcome:
    return Outcome(subject, Result.FAIL, message, setting, fix, evidence or {})


def unknown(
    subject: Subject,
    message: str,
    *,
    setting: Setting | None = None,
    evidence: dict[str, Any] | None = None,
) -> Outcome:
    return Outcome(subject, Result.UNKNOWN, message, setting, None, evidence or {})


def not_applicable(requirement: str, reason: str) -> NotApplicable:
    return NotApplicable(requirement, reason)
