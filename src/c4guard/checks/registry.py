"""The check registry: plain functions with their metadata beside them.

A check reads the inventory and yields `Outcome`s (what it saw on a subject) or
`NotApplicable` statements; the engine turns outcomes into findings with the check's
metadata, so a check never repeats its id, severity or remediation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from c4guard.model import Location, NotApplicable, ResourceRef, Result, Severity

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
    domain: str
    references: tuple[str, ...]
    function: CheckFunction

    @property
    def doc(self) -> str:
        return " ".join((self.function.__doc__ or "").split())


REGISTRY: dict[str, Check] = {}


def check(
    check_id: str,
    *,
    requirement: str,
    severity: str,
    title: str,
    remediation: str,
    domain: str = "kubernetes",
    references: tuple[str, ...] = (),
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check function under `check_id` with its metadata."""

    def register(function: CheckFunction) -> CheckFunction:
        if check_id in REGISTRY:
            raise ValueError(f"check {check_id} is registered twice")
        REGISTRY[check_id] = Check(
            check_id,
            requirement,
            Severity(severity),
            title,
            remediation,
            domain,
            references,
            function,
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
