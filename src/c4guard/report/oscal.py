"""OSCAL assessment results (JSON), built and validated with compliance-trestle's OSCAL
models, so GRC tools can import the assessment.

Each requirement is a finding whose target is the AISVS objective (`aisvs-c4-4.1.1`),
`satisfied` when it passes, is attested or does not apply, else `not-satisfied`, with
c4guard's status and reason. Each failing, unknown or suppressed check finding, each
check's passing findings (together), each attestation and input error is an observation
that the findings cite; c4guard itself is the tool component that originated them. UUIDs
are derived from the run and the fingerprints (version 5).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import AnyUrl

from c4guard import __version__
from c4guard.catalog import load_catalog
from c4guard.errors import UsageError
from c4guard.model import Assessment, Finding, RequirementResult, Result
from c4guard.report.common import MET_STATUSES, attestations
from c4guard.report.sarif import NOT_FILES, artifact_location

if TYPE_CHECKING:
    from trestle.oscal import common

NAMESPACE = "https://c4guard.dev/ns/oscal"
_UUIDS = uuid.UUID("5d7f2a34-8f0e-5c1b-9d4e-0c4a0a11c4c4")
MAX_LISTED_PASSES = 50
MISSING = "OSCAL output needs compliance-trestle's OSCAL models: pip install 'c4guard[oscal]'"


def require() -> None:
    """Raise a usage error when the OSCAL models are not installed."""
    try:
        import trestle.oscal.assessment_results  # noqa: F401
    except ImportError as exc:
        raise UsageError(MISSING) from exc


def render(assessment: Assessment) -> str:
    return build(assessment).oscal_serialize_json(pretty=True, wrapped=True) + "\n"


def one_line(value: Any) -> str:
    """Text as OSCAL titles and property values need it: one line, trimmed, not empty."""
    return " ".join(str(value).split())[:200] or "-"


def target_id(requirement_id: str) -> str:
    """The OSCAL token of an AISVS C4 requirement (tokens cannot start with a digit)."""
    return f"aisvs-c4-{requirement_id}"


class _Builder:
    def __init__(self, assessment: Assessment) -> None:
        from trestle.oscal import common

        self.common = common
        self.a = assessment
        self.start = _started(assessment)
        self.run = f"{self.start.isoformat()}|{','.join(assessment.targets)}"
        self.tool_uuid = self.uuid("tool")

    def uuid(self, *parts: str) -> str:
        return str(uuid.uuid5(_UUIDS, "|".join((self.run, *parts))))

    def prop(self, name: str, value: Any) -> common.Property:
        return self.common.Property(name=name, value=one_line(value), ns=AnyUrl(NAMESPACE))

    def evidence(self, path: str, description: str) -> list[common.RelevantEvidence]:
        href = None if path in NOT_FILES else artifact_location(path)["uri"]
        return [self.common.RelevantEvidence(href=href, description=description)]

    def finding_observation(self, f: Finding, number: int) -> common.Observation:
        props = [
            self.prop("check", f.check_id),
            self.prop("result", f.result.value),
            self.prop("severity", f.severity.value),
            self.prop("resource", f.resource),
            self.prop("fingerprint", f.fingerprint),
        ]
        remarks = f"Fix: {f.remediation}" if f.remediation else None
        if f.suppression is not None:
            s = f.suppression
            props.append(self.prop("suppressed-by", s.source))
            remarks = (
                f"Suppressed ({s.source}): {s.reason}"
                + (f"; expires {s.expires.isoformat()}" if s.expires else "")
                + (f"; approved by {s.approver}" if s.approver else "")
            )
        return self.common.Observation(
            uuid=self.uuid("finding", f.requirement, str(number), f.fingerprint),
            title=one_line(f"{f.check_id} {f.result.value}: {f.title or f.check_id}"),
            description=f"{f.resource}: {f.message}",
            props=props,
            methods=["TEST"],
            types=["control-objective" if f.result is Result.PASS else "finding"],
            origins=[self.origin()],
            relevant_evidence=self.evidence(f.location.path, f"{f.location}: {f.resource}"),
            collected=self.start,
            remarks=remarks,
        )

    def passes_observation(self, check_id: str, passes: list[Finding]) -> common.Observation:
        """A check's passing findings for one requirement, as one observation."""
        listed = "\n".join(
            f"- {f.resource}: {f.message} ({f.location})" for f in passes[:MAX_LISTED_PASSES]
        )
        more = len(passes) - MAX_LISTED_PASSES
        files = list(dict.fromkeys(f.location.path for f in passes))[:MAX_LISTED_PASSES]
        return self.common.Observation(
            uuid=self.uuid("passes", passes[0].requirement, check_id),
            title=one_line(f"{check_id} pass: {passes[0].title or check_id}"),
            description=f"{len(passes)} passing findings:\n{listed}"
            + (f"\n- ... {more} more (see the JSON report)" if more > 0 else ""),
            props=[
                self.prop("check", check_id),
                self.prop("result", "pass"),
                self.prop("count", len(passes)),
            ],
            methods=["TEST"],
            types=["control-objective"],
            origins=[self.origin()],
            relevant_evidence=[
                e for path in files for e in self.evidence(path, f"{path}: passing evidence")
            ],
            collected=self.start,
        )

    def attestation_observation(self, att: dict[str, Any]) -> common.Observation:
        evidence = [
            self.common.RelevantEvidence(href=link, description="attestation evidence")
            for link in att.get("evidence", [])
        ]
        return self.common.Observation(
            uuid=self.uuid("attestation", att["requirement"], att["owner"]),
            title=one_line(f"Attestation of {att['requirement']} by {att['owner']}"),
            description=att["statement"],
            props=[
                self.prop("owner", att["owner"]),
                self.prop("reviewed", att["reviewed"]),
                self.prop("attestation-status", att["status"]),
            ],
            methods=["EXAMINE"],
            types=["control-objective"],
            relevant_evidence=evidence or None,
            collected=self.start,
            expires=datetime.fromisoformat(att["expires"]).replace(tzinfo=UTC)
            + timedelta(days=1)
            - timedelta(seconds=1),
        )

    def input_error_observations(self) -> list[common.Observation]:
        return [
            self.common.Observation(
                uuid=self.uuid("input-error", e.path, str(e.line)),
                title="Input not scanned",
                description=f"{e.path}: {e.reason}",
                props=[self.prop("input-error", f"{e.path}:{e.line}" if e.line else e.path)],
                methods=["TEST"],
                types=["discovery"],
                origins=[self.origin()],
                relevant_evidence=self.evidence(e.path, e.reason),
                collected=self.start,
            )
            for e in self.a.inputs.input_errors
        ]

    def origin(self) -> common.Origin:
        return self.common.Origin(
            actors=[
                self.common.OriginActor(
                    type=self.common.OriginActorValidValues.tool, actor_uuid=self.tool_uuid
                )
            ]
        )

    def requirement_finding(
        self, result: RequirementResult, observations: list[str]
    ) -> common.Finding:
        req = result.requirement
        met = result.status in MET_STATUSES
        status = self.common.ObjectiveStatus(
            state=self.common.ObjectiveStatusStateValidValues.satisfied
            if met
            else self.common.ObjectiveStatusStateValidValues.not_satisfied,
            reason="pass" if met else ("fail" if result.status.value == "fail" else "other"),
            remarks=result.reason,
        )
        return self.common.Finding(
            uuid=self.uuid("requirement", req.id),
            title=one_line(f"{req.id} {req.title}"),
            description=req.text,
            props=[
                self.prop("status", result.status.value),
                self.prop("level", req.level),
                self.prop("automation", req.automation.value),
            ],
            origins=[self.origin()],
            target=self.common.FindingTarget(
                type=self.common.FindingTargetTypeValidValues.objective_id,
                target_id=target_id(req.id),
                title=one_line(req.title),
                status=status,
            ),
            related_observations=[
                self.common.RelatedObservation(observation_uuid=o) for o in observations
            ]
            or None,
            remarks=result.reason,
        )


def build(assessment: Assessment) -> Any:
    """The assessment as trestle's `AssessmentResults` (validated on construction)."""
    from trestle.oscal import OSCAL_VERSION, common
    from trestle.oscal import assessment_results as ar

    b = _Builder(assessment)
    catalog = load_catalog()
    observations, findings = [], []
    attested = {a["requirement"]: a for a in attestations(assessment)}
    for judged in assessment.requirements:
        open_findings = [f for f in judged.findings if f.result is not Result.PASS]
        cited = [b.finding_observation(f, n) for n, f in enumerate(open_findings)]
        cited += [
            b.passes_observation(check_id, passes)
            for check_id, passes in _passes_by_check(judged.findings).items()
        ]
        if judged.requirement.id in attested:
            cited.append(b.attestation_observation(attested[judged.requirement.id]))
        observations += cited
        findings.append(b.requirement_finding(judged, [o.uuid for o in cited]))
    observations += b.input_error_observations()
    end = b.start + timedelta(seconds=max(assessment.duration_s, 0.0))
    plan = b.uuid("plan")
    tool = common.SystemComponent(
        uuid=b.tool_uuid,
        type=common.SystemComponentTypeValidValues.software,
        title="c4guard",
        description=f"c4guard {__version__}: verifies AI infrastructure against "
        f"{catalog.standard} chapter {catalog.chapter}",
        status=common.Status(state=common.SystemComponentOperationalStateValidValues.operational),
    )
    result = ar.Result(
        uuid=b.uuid("result"),
        title=one_line(f"c4guard scan of {', '.join(assessment.targets)}"),
        description=(
            f"Static verification of {assessment.inputs.files_read} files "
            f"({assessment.inputs.resources} resources; domains: "
            f"{', '.join(assessment.scanned_domains) or 'none'}) against "
            f"{catalog.standard} {catalog.chapter} version {catalog.version}."
        ),
        start=b.start,
        end=end,
        props=[
            b.prop("level", assessment.level),
            b.prop("fail-on", assessment.fail_on),
            *[b.prop(f"level-{n}-met", str(assessment.level_met(n)).lower()) for n in (1, 2, 3)],
        ],
        local_definitions=ar.LocalDefinitions1(components=[tool]),
        reviewed_controls=common.ReviewedControls(
            control_selections=[
                common.ControlSelections(
                    include_controls=[
                        common.SelectControlById(control_id=target_id(r.requirement.id))
                        for r in assessment.requirements
                    ]
                )
            ]
        ),
        observations=observations or None,
        findings=findings or None,
    )
    return ar.AssessmentResults(
        uuid=b.uuid("assessment-results"),
        metadata=common.Metadata(
            title=f"{catalog.standard} {catalog.chapter} assessment by c4guard",
            last_modified=end,
            version=__version__,
            oscal_version=common.OscalVersion.model_validate(OSCAL_VERSION),
            props=[b.prop("catalog-version", catalog.version)],
            remarks=catalog.attribution,
        ),
        import_ap=ar.ImportAp(
            href=f"#{plan}",
            remarks="c4guard runs without a separate "
            "assessment plan: the plan is the scan described in back-matter",
        ),
        results=[result],
        back_matter=common.BackMatter(
            resources=[
                common.Resource(
                    uuid=plan,
                    title="c4guard scan",
                    description=(
                        f"c4guard scan {' '.join(assessment.targets)} --level "
                        f"{assessment.level} --fail-on {assessment.fail_on}: every "
                        f"requirement of {catalog.standard} {catalog.chapter}"
                    ),
                )
            ]
        ),
    )


def _passes_by_check(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.result is Result.PASS:
            grouped.setdefault(finding.check_id, []).append(finding)
    return grouped


def _started(assessment: Assessment) -> datetime:
    if assessment.started_at:
        started = datetime.fromisoformat(assessment.started_at)
        return started if started.tzinfo else started.replace(tzinfo=UTC)
    return datetime.now(UTC).replace(microsecond=0)
