"""The resource model every face of c4guard shares: requirements, resources, findings,
assessments."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol


class Result(StrEnum):
    """The result of one check on one subject."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


class Status(StrEnum):
    """The status of one requirement in an assessment (DESIGN.md, "Requirement status")."""

    PASS = "pass"
    FAIL = "fail"
    ATTESTED = "attested"
    NOT_APPLICABLE = "not_applicable"
    REVIEW = "review"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is worse."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Automation(StrEnum):
    """How far scanned evidence can settle a requirement (the matrix's `auto` column)."""

    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"


class Domain(StrEnum):
    """An evidence domain a scan can cover. A check's domain is the package it lives in
    (`c4guard.checks.<member name in lower case>`); `cluster` (a live API) provides Kubernetes
    evidence. The declaration order is the order the checks run in, so findings of one
    requirement are listed in it."""

    DOCKER = "docker"
    COMPOSE = "compose"
    FILES = "secrets"
    IMAGES = "artifacts"
    HOST = "host"
    KUBERNETES = "kubernetes"
    CLUSTER = "cluster"
    CONFIG = "config"
    TERRAFORM = "terraform"
    CLOUDFORMATION = "cloudformation"
    CI = "workflows"


class Origin(StrEnum):
    """Where a resource came from: the source that produced it."""

    KUBERNETES = "k8s"
    TERRAFORM = "terraform"
    TERRAFORM_FILE = "terraform-file"
    CLOUDFORMATION = "cloudformation"
    DOCKER = "docker"
    COMPOSE = "compose"
    GITHUB = "workflow"
    GITLAB = "gitlab"
    SECRET = "secret"
    IMAGE = "artifact"
    CONFIG = "config"
    HOST = "host"


DOMAINS = tuple(d.value for d in Domain)
# A live cluster is Kubernetes evidence; CloudFormation templates are judged by the
# Terraform checks, through the same facts (`c4guard.views.cloudformation`).
DOMAIN_EQUIVALENTS = {
    Domain.CLUSTER.value: Domain.KUBERNETES.value,
    Domain.CLOUDFORMATION.value: Domain.TERRAFORM.value,
}


class CheckInfo(Protocol):
    """What an assessment keeps of a check that ran (`checks.registry.Check` is one)."""

    @property
    def id(self) -> str: ...
    @property
    def requirement(self) -> str: ...
    @property
    def severity(self) -> Severity: ...
    @property
    def title(self) -> str: ...
    @property
    def remediation(self) -> str: ...
    @property
    def domain(self) -> Domain: ...
    @property
    def references(self) -> tuple[str, ...]: ...
    @property
    def doc(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Requirement:
    id: str
    section: str
    section_title: str
    title: str
    text: str
    level: int
    roles: tuple[str, ...]
    automation: Automation
    domains: tuple[str, ...]
    evidence: str
    text_ja: str | None = None
    level_assumed: bool = False
    kubernetes_gap: str | None = None  # why no Kubernetes check can show it


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """The identity of a resource: what a finding is about."""

    origin: str
    kind: str
    name: str
    namespace: str | None = None
    render: str = ""  # the chart variant or overlay it was rendered from, if any

    def __str__(self) -> str:
        ns = f"{self.namespace}/" if self.namespace else ""
        rendered = f" ({self.render})" if self.render else ""
        return f"{self.kind} {ns}{self.name}{rendered}"


@dataclass(frozen=True, slots=True)
class Directive:
    """An inline (`# c4guard:ignore ...`) or annotation (`c4guard.dev/ignore`) suppression as
    written; `problem` says why it cannot suppress (no reason, no expiry, bad date...)."""

    source: str
    targets: tuple[str, ...]
    reason: str
    expires: date | None
    location: Location
    approver: str | None = None
    problem: str | None = None


@dataclass(slots=True)
class Resource:
    """One object read from the inputs, its body plain dicts and lists with line marks.

    `start_line`..`end_line` is the resource's text span in `location.path` (a YAML
    document, an HCL block, a Dockerfile stage); sources that set it get inline
    suppression comments attached to `directives` (see `c4guard.sources.inline`).
    """

    origin: str
    kind: str
    name: str
    namespace: str | None
    body: Any
    location: Location
    api_version: str = ""
    end_line: int | None = None
    start_line: int | None = None
    directives: tuple[Directive, ...] = ()
    render: str = ""

    @property
    def span(self) -> tuple[int, int] | None:
        """First and last line of the resource's text, when the source knows them."""
        first = self.start_line or self.location.line
        if first is None or self.end_line is None:
            return None
        return first, max(first, self.end_line)

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(self.origin, self.kind, self.name, self.namespace, self.render)

    @property
    def api_group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a failing finding does not count: an exception, inline ignore or baseline."""

    source: str
    reason: str
    expires: date | None = None
    approver: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "reason": self.reason,
            "expires": self.expires.isoformat() if self.expires else None,
            "approver": self.approver,
        }


@dataclass(slots=True)
class Finding:
    """The result of one check on one subject, with where and why."""

    check_id: str
    requirement: str
    result: Result
    severity: Severity
    resource: ResourceRef
    location: Location
    message: str
    remediation: str = ""
    title: str = ""
    subject: str = ""
    setting: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    suppression: Suppression | None = None
    stable_id: str = ""  # the fingerprint, where it is not the one of the fields below

    @property
    def fingerprint(self) -> str:
        """Computed when read, not stored: a big cluster has a million findings."""
        return self.stable_id or fingerprint(
            self.check_id, self.resource, self.subject, self.setting
        )

    @fingerprint.setter
    def fingerprint(self, value: str) -> None:
        self.stable_id = value

    @property
    def counts_as_failure(self) -> bool:
        return self.result is Result.FAIL and self.suppression is None


def fingerprint(check_id: str, resource: ResourceRef, subject: str, setting: str) -> str:
    """A stable identity: check, resource, subject and setting path, never the line."""
    parts = (
        check_id,
        resource.origin,
        resource.kind,
        resource.namespace or "",
        resource.name,
        subject,
        setting,
    )
    rendered = (resource.render,) if resource.render else ()  # its own identity when set
    return hashlib.sha256("\x1f".join((*parts, *rendered)).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class NotApplicable:
    """A check's statement that a requirement's scope was scanned and is empty."""

    requirement: str
    reason: str


@dataclass(frozen=True, slots=True)
class InputError:
    """A file that should have been scanned but could not be."""

    path: str
    line: int | None
    reason: str


# What a check reads, as (origin, kind); ANY_KIND stands for "every resource".
KindKey = tuple[str, str]
ANY_KIND: KindKey = ("*", "*")


@dataclass(frozen=True, slots=True)
class EvidenceGap:
    """Evidence that exists but could not be read (a kind the Kubernetes API would not
    list): every requirement whose checks read that kind becomes `review` with `reason`."""

    origin: str
    kind: str
    reason: str

    def affects(self, reads: set[KindKey]) -> bool:
        """`kind` "*" stands for every kind of `origin` (a chart not rendered may hold any)."""
        if self.kind == "*":
            return any(origin in (self.origin, "*") for origin, _ in reads)
        return ANY_KIND in reads or (self.origin, self.kind) in reads


@dataclass(frozen=True, slots=True)
class RenderNotice:
    """A Helm chart or Kustomize overlay that was not judged (no renderer, a render that
    failed, or one that cannot be done offline), or one rendered with a caveat."""

    path: str
    tool: str
    message: str


@dataclass(slots=True)
class RequirementResult:
    requirement: Requirement
    status: Status
    reason: str
    findings: list[Finding] = field(default_factory=list)
    exceptions: int = 0


@dataclass(slots=True)
class InputSummary:
    """What the scan read, skipped and could not read."""

    files_read: int = 0
    resources: int = 0
    files_by_domain: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    input_errors: list[InputError] = field(default_factory=list)
    render_notices: list[RenderNotice] = field(default_factory=list)
    gaps: list[EvidenceGap] = field(default_factory=list)
    rendered: int = 0  # chart variants and overlays rendered and judged

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count


@dataclass(slots=True)
class Assessment:
    """Everything a reporter renders: per-requirement results and what was read."""

    requirements: list[RequirementResult]
    scanned_domains: list[str]
    inputs: InputSummary
    targets: list[str]
    level: int
    fail_on: str
    governance: dict[str, Any] = field(default_factory=dict)
    started_at: str = ""
    duration_s: float = 0.0
    checks: Sequence[CheckInfo] = field(default_factory=list)

    def level_met(self, level: int) -> bool:
        """Level N is met when every requirement of level <= N passes, is attested or N/A."""
        ok = {Status.PASS, Status.ATTESTED, Status.NOT_APPLICABLE}
        return all(r.status in ok for r in self.requirements if r.requirement.level <= level)

    def findings(self) -> list[Finding]:
        return [f for r in self.requirements for f in r.findings]
