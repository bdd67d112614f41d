"""What several reporters need: the order findings are shown in, which requirements fail
the gate, per-section counts and the lists of governance entries."""

from __future__ import annotations

from collections import Counter
from typing import Any

from c4guard.catalog import Section, load_catalog
from c4guard.model import Assessment, Finding, RequirementResult, Result, Status

STATUS_LABEL = {
    Status.PASS: "pass",
    Status.FAIL: "fail",
    Status.ATTESTED: "attested",
    Status.NOT_APPLICABLE: "not applicable",
    Status.REVIEW: "review",
}
MET_STATUSES = frozenset({Status.PASS, Status.ATTESTED, Status.NOT_APPLICABLE})
# Worst first: the order of counts, bars and legends.
STATUS_ORDER = (Status.FAIL, Status.REVIEW, Status.PASS, Status.ATTESTED, Status.NOT_APPLICABLE)


def gating_statuses(fail_on: str) -> frozenset[Status]:
    """The statuses that make the exit code 1 with `--fail-on` (none for `none`)."""
    return {
        "fail": frozenset({Status.FAIL}),
        "review": frozenset({Status.FAIL, Status.REVIEW}),
        "none": frozenset(),
    }[fail_on]


def within_level(assessment: Assessment, result: RequirementResult) -> bool:
    return result.requirement.level <= assessment.level


def fails(assessment: Assessment, result: RequirementResult) -> bool:
    """Whether a requirement shows as failing: `fail`, or `review` under `--fail-on
    review`, within the level (`--fail-on none` reports failures without failing)."""
    shown = gating_statuses("review" if assessment.fail_on == "review" else "fail")
    return within_level(assessment, result) and result.status in shown


def finding_order(finding: Finding) -> tuple[Any, ...]:
    """Failures first, worst severity first, then by file and line."""
    return (
        finding.result is Result.PASS,
        finding.suppression is not None,
        -finding.severity.rank,
        finding.location.path,
        finding.location.line or 0,
        finding.check_id,
    )


def open_findings(assessment: Assessment) -> list[Finding]:
    """Failing and unknown findings that nothing suppresses, worst first."""
    return sorted(
        (f for f in assessment.findings() if f.result is not Result.PASS and f.suppression is None),
        key=finding_order,
    )


def suppressed_findings(assessment: Assessment) -> list[Finding]:
    return sorted(
        (f for f in assessment.findings() if f.suppression is not None), key=finding_order
    )


def by_section(assessment: Assessment) -> list[tuple[Section, Counter[Status]]]:
    """Each section of the catalog with the count of its requirements per status."""
    return [
        (
            section,
            Counter(
                r.status for r in assessment.requirements if r.requirement.section == section.id
            ),
        )
        for section in load_catalog().sections
    ]


def exceptions(assessment: Assessment) -> list[dict[str, Any]]:
    return list(assessment.governance.get("exceptions", []))


def attestations(assessment: Assessment) -> list[dict[str, Any]]:
    return list(assessment.governance.get("attestations", []))
