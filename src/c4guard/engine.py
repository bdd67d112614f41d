"""The engine: run the checks on an inventory, apply the config's governance, and roll the
findings up into requirement statuses (DESIGN.md, "Requirement status")."""

from __future__ import annotations

import logging
import os
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar, overload

from c4guard.catalog import Catalog, load_catalog
from c4guard.checks import all_checks
from c4guard.checks.registry import REGISTRY, Check, Outcome
from c4guard.checks.selection import RuleSelection
from c4guard.config import Attestation, Config, ExceptionRule, today_utc
from c4guard.governance.baseline import Baseline, apply_baseline
from c4guard.governance.suppress import apply_directives
from c4guard.inventory import Inventory
from c4guard.model import (
    DOMAIN_EQUIVALENTS,
    Assessment,
    Automation,
    EvidenceGap,
    Finding,
    KindKey,
    NotApplicable,
    Requirement,
    RequirementResult,
    Result,
    Status,
    Suppression,
    fingerprint,
)
from c4guard.sources import InputSet

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(slots=True)
class CheckRun:
    """Everything the checks produced."""

    findings: list[Finding] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    # requirement -> the (origin, kind) its checks read
    reads: dict[str, set[KindKey]] = field(default_factory=lambda: defaultdict(set))
    left_out: dict[str, list[str]] = field(default_factory=dict)  # requirement -> check ids
    _grouped: dict[str, list[Finding]] | None = None

    def by_requirement(self, requirement: str) -> list[Finding]:
        """The findings of one requirement, in run order (grouped on the first call)."""
        if self._grouped is None:
            grouped: dict[str, list[Finding]] = defaultdict(list)
            for finding in self.findings:
                grouped[finding.requirement].append(finding)
            self._grouped = grouped
        return list(self._grouped.get(requirement, ()))


@dataclass(frozen=True, slots=True)
class ScanRequest:
    targets: list[str]
    level: int = 3
    fail_on: str = "fail"
    rules: RuleSelection = field(default_factory=RuleSelection)
    inline_ignores: bool = True
    baseline: Baseline | None = None


def assess(
    inputs: InputSet,
    config: Config,
    request: ScanRequest,
    checks: list[Check] | None = None,
    catalog: Catalog | None = None,
) -> Assessment:
    """Judge the inputs against the catalog."""
    started = time.monotonic()
    catalog = catalog or load_catalog()
    domains = effective_domains(inputs.domains)
    inventory = Inventory(inputs.resources, config, inputs.summary.files_by_domain)
    selected = request.rules.resolve(checks if checks is not None else all_checks())
    run = run_checks(inventory, selected.checks, domains)
    root_relative_fingerprints(run.findings, request.targets)
    run.left_out = {
        req: kept
        for req, ids in selected.left_out.items()
        if (kept := [c for c in ids if REGISTRY[c].domain in domains])
    }
    today = today_utc()
    governance: dict[str, Any] = apply_exceptions(run.findings, config.exceptions, today)
    governance["exceptions"] += apply_directives(
        run.findings,
        inventory,
        today,
        honour=request.inline_ignores,
        known=lambda target: target in REGISTRY or catalog.get(target) is not None,
    )
    if request.baseline is not None:
        governance["baseline"] = apply_baseline(run.findings, request.baseline)
    governance["rule_selection"] = selected.report
    results = [
        judge(req, run, config, domains, today, inputs.summary.gaps) for req in catalog.requirements
    ]
    governance["attestations"] = _attestation_report(config.attestations, results, today)
    governance["not_applicable"] = [
        {"requirement": n.requirement, "reason": n.reason} for n in config.not_applicable
    ]
    return Assessment(
        requirements=results,
        scanned_domains=sorted(inputs.domains),
        inputs=inputs.summary,
        targets=request.targets,
        level=request.level,
        fail_on=request.fail_on,
        governance=governance,
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        duration_s=time.monotonic() - started,
        checks=selected.checks,
    )


def root_relative_fingerprints(findings: list[Finding], targets: list[str]) -> None:
    """Fingerprints do not depend on how the scan root was spelled: a resource named by its
    file path (a Dockerfile, a Terraform directory) is identified relative to the target
    directory it was found under, so `scan .` and `scan /abs/repo` agree (and baselines
    match)."""
    roots = sorted(
        {os.path.normpath(t) for t in targets if t != "-" and os.path.isdir(t)},
        key=len,
        reverse=True,
    )
    if not roots:
        return
    for finding in findings:
        ref = finding.resource
        name, namespace = _relative(ref.name, roots), _relative(ref.namespace, roots)
        if (name, namespace) != (ref.name, ref.namespace):
            finding.fingerprint = fingerprint(
                finding.check_id,
                replace(ref, name=name, namespace=namespace),
                finding.subject,
                finding.setting,
            )


@overload
def _relative(value: str, roots: list[str]) -> str: ...
@overload
def _relative(value: str | None, roots: list[str]) -> str | None: ...
def _relative(value: str | None, roots: list[str]) -> str | None:
    if not value or "/" not in value:
        return value
    path = os.path.normpath(value)
    for root in roots:
        if path == root:
            return "."
        if path.startswith(root.rstrip(os.sep) + os.sep):
            return path[len(root.rstrip(os.sep)) + 1 :]
    return value


def effective_domains(scanned: set[str]) -> set[str]:
    """Scanned domains plus the domains they stand for (a live cluster is Kubernetes)."""
    return scanned | {DOMAIN_EQUIVALENTS[d] for d in scanned if d in DOMAIN_EQUIVALENTS}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one check produced on an inventory: its outcomes and not-applicable statements
    (those yielded before it crashed, if it did), what it read, and its exception."""

    check: Check
    items: list[Outcome | NotApplicable]
    reads: frozenset[KindKey]
    error: Exception | None = None

    def outcomes(self) -> list[Outcome]:
        return [item for item in self.items if isinstance(item, Outcome)]


def run_check(check: Check, inventory: Inventory) -> CheckResult:
    """Run one check on the inventory, recording what it read; a check that raises is
    caught and its exception returned, never allowed to take the caller down."""
    inventory.reads.clear()
    items: list[Outcome | NotApplicable] = []
    error: Exception | None = None
    try:
        items.extend(check.function(inventory))
    except Exception as exc:
        log.debug("check %s failed:\n%s", check.id, traceback.format_exc())
        error = exc
    return CheckResult(check, items, frozenset(inventory.reads), error)


class Shared:
    """One object for each equal resource, location, subject and setting among the
    findings of a run: a Pod's 16 findings share its reference and where it is, 50,000 Pods
    share their setting paths (most of what a finding weighs, were they each its own)."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict[Any, Any] = {}

    def __call__(self, value: T) -> T:
        return self.values.setdefault(value, value)


NO_EVIDENCE: dict[str, Any] = {}  # shared by the findings without evidence: never written


def run_checks(inventory: Inventory, checks: list[Check], domains: set[str]) -> CheckRun:
    """Run every check whose domain was scanned; a check that crashes is recorded, never
    allowed to take the scan down or to pass silently."""
    run = CheckRun()
    shared = Shared()
    for chk in checks:
        if chk.domain not in domains:
            continue
        result = run_check(chk, inventory)
        for item in result.items:
            if isinstance(item, NotApplicable):
                run.not_applicable.append(item)
            else:
                run.findings.append(to_finding(chk, item, shared))
        if result.error is not None:
            run.errors[chk.requirement].append(f"check {chk.id} could not run: {result.error!r}")
        run.reads[chk.requirement] |= result.reads
    return run


def to_finding(chk: Check, outcome: Outcome, shared: Shared | None = None) -> Finding:
    """The finding of one outcome; `shared` makes equal parts of a run's findings one."""
    share = shared or _unshared
    subject = outcome.subject
    setting = outcome.setting
    location = setting.location if setting is not None else subject.locate()
    notes = _notes(subject, setting.path if setting is not None else None)
    name = share(subject.subject)
    message = f"{name} {outcome.message}" + (f" ({'; '.join(notes)})" if notes else "")
    return Finding(
        check_id=chk.id,
        requirement=chk.requirement,
        result=outcome.result,
        severity=chk.severity,
        resource=share(subject.ref),
        location=share(location),
        message=share(message),
        remediation=share(outcome.fix or chk.remediation)
        if outcome.result is not Result.PASS
        else "",
        title=chk.title,
        subject=name,
        setting=share(setting.path if setting is not None else subject.path),
        evidence=outcome.evidence or NO_EVIDENCE,
    )


def _unshared(value: T) -> T:
    return value


def _notes(subject: Any, setting: str | None) -> tuple[str, ...]:
    """What the subject says of every finding on it (`notes`), or of the one on `setting`
    (`notes_for`: a CloudFormation property that took a parameter's default)."""
    pod = getattr(subject, "pod", subject)
    notes_for = getattr(pod, "notes_for", None)
    if notes_for is not None:
        return tuple(notes_for(setting))
    return tuple(getattr(pod, "notes", ()) or ())


# ------------------------------------------------------------------------ governance


def apply_exceptions(
    findings: list[Finding], rules: list[ExceptionRule], today: date
) -> dict[str, list[dict[str, Any]]]:
    """Suppress failing findings matched by an unexpired exception; report every rule."""
    used = [0] * len(rules)
    for finding in findings:
        if finding.result is Result.PASS or finding.suppression is not None:
            continue
        for index, rule in enumerate(rules):
            if _exception_matches(rule, finding):
                used[index] += 1
                if not rule.expired(today):
                    finding.suppression = Suppression(
                        "config", rule.reason, rule.expires, rule.approver
                    )
                    break
    entries = [
        _exception_entry(rule, count, today) for rule, count in zip(rules, used, strict=True)
    ]
    return {"exceptions": entries}


def _exception_matches(rule: ExceptionRule, finding: Finding) -> bool:
    target = rule.check == finding.check_id or rule.requirement == finding.requirement
    resource = finding.resource
    return target and rule.resource.matches(
        resource.kind, resource.namespace, resource.name, finding.location.path
    )


def _exception_entry(rule: ExceptionRule, matched: int, today: date) -> dict[str, Any]:
    state = "expired" if rule.expired(today) else ("active" if matched else "unused")
    return {
        "source": "config",
        "check": rule.check,
        "requirement": rule.requirement,
        "resource": rule.resource.model_dump(exclude_none=True),
        "reason": rule.reason,
        "expires": rule.expires.isoformat(),
        "approver": rule.approver,
        "status": state,
        "matched": matched,
    }


def _attestation_report(
    attestations: list[Attestation], results: list[RequirementResult], today: date
) -> list[dict[str, Any]]:
    status_of = {r.requirement.id: r.status for r in results}
    report = []
    for att in attestations:
        status = status_of.get(att.requirement)
        if att.expired(today):
            state = "expired"
        elif status is Status.ATTESTED:
            state = "applied"
        elif status is Status.FAIL:
            state = "overridden by failing findings"
        else:
            state = "not needed (evidence settled the requirement)"
        report.append({**att.model_dump(mode="json"), "status": state})
    return report


# ------------------------------------------------------------------------ status rules


def judge(
    req: Requirement,
    run: CheckRun,
    config: Config,
    domains: set[str],
    today: date,
    gaps: list[EvidenceGap] | None = None,
) -> RequirementResult:
    """The requirement's status, first rule that applies (DESIGN.md). Evidence its checks
    read but the inputs lack (`gaps`) keeps it from passing or being not applicable."""
    unread = [g for g in gaps or () if g.affects(run.reads.get(req.id, set()))]
    findings = run.by_requirement(req.id)
    failing = [f for f in findings if f.counts_as_failure]
    excepted = sum(1 for f in findings if f.result is not Result.PASS and f.suppression)
    passing = [f for f in findings if f.result is Result.PASS]
    unknowns = [f for f in findings if f.result is Result.UNKNOWN and f.suppression is None]
    attestation = _attestation(config.attestations, req.id, today, expired=False)
    result = RequirementResult(req, Status.REVIEW, "", findings, excepted)
    if failing:
        result.status, result.reason = Status.FAIL, _fail_reason(failing, attestation)
    elif (
        req.automation is Automation.FULL
        and passing
        and not unknowns
        and not run.errors.get(req.id)
        and not unread
    ):
        result.status, result.reason = Status.PASS, _pass_reason(passing, excepted)
    elif excepted and not passing and not unknowns and not unread:
        # Only suppressed failures: the scope was not empty (DESIGN.md, rule 2).
        result.status, result.reason = _all_excepted(req, run, excepted, attestation)
    elif attestation is not None:
        result.status, result.reason = Status.ATTESTED, _attested_reason(attestation)
    elif declared := next((n for n in config.not_applicable if n.requirement == req.id), None):
        result.status = Status.NOT_APPLICABLE
        result.reason = (
            f"declared not applicable in {config.source or 'the config'}: {declared.reason}"
        )
    elif (scope := _scope_empty(run, req.id)) and not passing and not unknowns and not unread:
        result.status, result.reason = Status.NOT_APPLICABLE, scope
    else:
        reasons = [g.reason for g in unread]
        reasons.append(_review_reason(req, run, config, domains, passing, unknowns, today))
        result.reason = "; ".join(r for r in reasons if r)
    return result


def _all_excepted(
    req: Requirement, run: CheckRun, excepted: int, attestation: Attestation | None
) -> tuple[Status, str]:
    """A requirement whose every failing finding is suppressed: pass with exceptions where
    it is fully automatable, otherwise attested or review; never not applicable."""
    plural = "s" if excepted != 1 else ""
    if req.automation is Automation.FULL and not run.errors.get(req.id):
        return Status.PASS, f"pass with {excepted} exception{plural}: every failure is suppressed"
    if attestation is not None:
        return Status.ATTESTED, _attested_reason(attestation)
    return Status.REVIEW, (
        f"{excepted} failing finding{plural} suppressed by exceptions and no passing finding; "
        "automation is not full, so a person must review it"
    )


def _attestation(
    attestations: list[Attestation], requirement: str, today: date, expired: bool
) -> Attestation | None:
    return next(
        (a for a in attestations if a.requirement == requirement and a.expired(today) is expired),
        None,
    )


def _scope_empty(run: CheckRun, requirement: str) -> str | None:
    reasons = [n.reason for n in run.not_applicable if n.requirement == requirement]
    return "; ".join(dict.fromkeys(reasons)) if reasons else None


def _fail_reason(failing: list[Finding], attestation: Attestation | None) -> str:
    checks = sorted({f.check_id for f in failing})
    reason = (
        f"{len(failing)} failing finding{'s' if len(failing) != 1 else ''} from {', '.join(checks)}"
    )
    if attestation is not None:
        reason += f"; the attestation by {attestation.owner} does not hide failing findings"
    return reason


def _pass_reason(passing: list[Finding], excepted: int) -> str:
    checks = sorted({f.check_id for f in passing})
    reason = f"{len(passing)} passing findings from {', '.join(checks)} and no failure"
    if excepted:
        reason += f" (pass with {excepted} exception{'s' if excepted != 1 else ''})"
    return reason


def _attested_reason(att: Attestation) -> str:
    return (
        f"attested by {att.owner}, reviewed {att.reviewed.isoformat()}, valid through "
        f"{att.expires.isoformat()}: {att.statement}"
    )


def _review_reason(
    req: Requirement,
    run: CheckRun,
    config: Config,
    domains: set[str],
    passing: list[Finding],
    unknowns: list[Finding],
    today: date,
) -> str:
    parts = list(run.errors.get(req.id, []))
    if run.left_out.get(req.id):
        parts.append(f"checks not selected: {', '.join(run.left_out[req.id])}")
    expired = _attestation(config.attestations, req.id, today, expired=True)
    if expired is not None:
        parts.append(f"the attestation by {expired.owner} expired on {expired.expires.isoformat()}")
    if unknowns:
        first = unknowns[0]
        parts.append(
            f"{len(unknowns)} finding{'s' if len(unknowns) != 1 else ''} could not be "
            f"settled, such as: {first.message} ({first.location})"
        )
    if req.automation is Automation.NONE:
        parts.append(f"only an attestation can settle it ({req.evidence})")
    elif passing and req.automation is Automation.PARTIAL:
        parts.append(
            f"automation is partial: {len(passing)} passing findings support a human "
            "review but cannot settle it alone; attest it once reviewed"
        )
    elif not passing and not unknowns:
        parts.append(_no_evidence(req, domains))
    return "; ".join(parts)


def _no_evidence(req: Requirement, domains: set[str]) -> str:
    covered = sorted(set(req.domains) & domains)
    missing = sorted(set(req.domains) - domains)
    if covered:
        text = f"no evidence in the scanned {', '.join(covered)} inputs (looked for {req.evidence})"
    else:
        text = f"looked for {req.evidence}"
    if missing:
        text += f"; not scanned: {', '.join(missing)}"
    return text
