"""The gate policy: the `gate:` section of c4guard.yaml (docs/gate.md).

Which registered checks the gate runs, which failing findings deny admission and which only
warn, how images are verified, and the limits every request is held to. It is part of the
config model, so a bad value is reported at file, line and key like any other.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from c4guard.model import Severity

Action = Literal["deny", "warn"]
_REQUIREMENT_GLOB = re.compile(r"^4(\.[1-8*?](\.[1-9*?])?)?\*?$|^\*$")
MIB = 1024 * 1024


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckSelection(_Strict):
    """Check id globs: every registered Kubernetes check that `include` matches and
    `exclude` does not. New checks are picked up from the registry without listing them."""

    include: list[str] = ["*"]
    exclude: list[str] = []

    def selects(self, check_id: str) -> bool:
        return _any(self.include, check_id) and not _any(self.exclude, check_id)


class Rule(_Strict):
    """What a failing finding does when every given selector matches it."""

    checks: list[str] = Field(default=[], description="check id globs")
    requirements: list[str] = Field(default=[], description="requirement id globs: 4.1.1, 4.1.*")
    max_level: int | None = Field(default=None, ge=1, le=3)
    min_severity: Severity | None = None
    namespaces: list[str] = Field(default=[], description="namespace globs")
    action: Action

    @field_validator("requirements")
    @classmethod
    def _requirement_globs(cls, value: list[str]) -> list[str]:
        bad = [v for v in value if not _REQUIREMENT_GLOB.match(v)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a requirement id or glob (e.g. 4.1.1, 4.1.*)")
        return value

    def matches(
        self, check_id: str, requirement: str, level: int, severity: Severity, namespace: str | None
    ) -> bool:
        return (
            (not self.checks or _any(self.checks, check_id))
            and (not self.requirements or _any(self.requirements, requirement))
            and (self.max_level is None or level <= self.max_level)
            and (self.min_severity is None or severity.rank >= self.min_severity.rank)
            and (not self.namespaces or _any(self.namespaces, namespace or ""))
        )


DEFAULT_RULES = (Rule(max_level=1, min_severity=Severity.HIGH, action="deny"),)


class ImageVerification(_Strict):
    """Every container image is verified with `c4guard verify` against a trust policy."""

    verify: bool = True
    trust_policy: str | None = Field(
        default=None, description="the verify face's policy file, relative to this config"
    )
    cache_ttl: float = Field(
        default=300.0, ge=0, le=86400, description="seconds a verdict is reused for the same digest"
    )
    cache_size: int = Field(default=10000, ge=0, le=1_000_000)
    error_cache_ttl: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="seconds a failed verification (slow or failing registry) is reused",
    )
    plain_http: bool = False
    registry_ca: str | None = None
    docker_config: str | None = None
    registry_concurrency: int = Field(
        default=4, ge=1, le=64, description="verifications running at once per registry host"
    )
    action: Action = Field(default="deny", description="what a denied or failed image does")


class GatePolicy(_Strict):
    checks: CheckSelection = CheckSelection()
    rules: list[Rule] = list(DEFAULT_RULES)
    default: Action = "warn"
    images: ImageVerification = ImageVerification()
    time_budget: float = Field(
        default=5.0, gt=0, le=29, description="seconds from a request to its answer"
    )
    audit_reserve: float = Field(
        default=1.0, gt=0, description="seconds of the budget kept for the audit append"
    )
    max_request_bytes: int = Field(default=3 * MIB, ge=64 * 1024, le=64 * MIB)

    @model_validator(mode="after")
    def _reserve_within_budget(self) -> GatePolicy:
        if self.audit_reserve >= self.time_budget:
            raise ValueError("audit_reserve must be shorter than time_budget")
        return self

    @property
    def decision_budget(self) -> float:
        """Seconds the checks and image verification may take."""
        return self.time_budget - self.audit_reserve

    def action_for(
        self, check_id: str, requirement: str, level: int, severity: Severity, namespace: str | None
    ) -> Action:
        """The first rule that matches decides; else `default`."""
        for rule in self.rules:
            if rule.matches(check_id, requirement, level, severity, namespace):
                return rule.action
        return self.default

    @property
    def digest(self) -> str:
        """Identifies the policy a decision was made under (recorded in the audit trail)."""
        return "sha256:" + hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def _any(patterns: list[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)
