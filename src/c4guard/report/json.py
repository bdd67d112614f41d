"""The JSON report: a documented, versioned structure (schema in `report.schema.json`)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from c4guard import __version__
from c4guard.catalog import load_catalog
from c4guard.model import Assessment, Finding, RequirementResult, Result, Status

SCHEMA_VERSION = "1.2"
SCHEMA_FILE = "report.schema.json"


def report_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) the report follows."""
    text = resources.files(__package__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def to_dict(assessment: Assessment) -> dict[str, Any]:
    catalog = load_catalog()
    inputs = assessment.inputs
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "c4guard", "version": __version__},
        "catalog": {
            "standard": catalog.standard,
            "chapter": catalog.chapter,
            "version": catalog.version,
        },
        "generated_at": assessment.started_at,
        "duration_s": round(assessment.duration_s, 3),
        "targets": assessment.targets,
        "level": assessment.level,
        "fail_on": assessment.fail_on,
        "scanned_domains": assessment.scanned_domains,
        "summary": summary(assessment),
        "requirements": [_requirement(r) for r in assessment.requirements],
        "input_errors": [
            {"path": e.path, "line": e.line, "reason": e.reason} for e in inputs.input_errors
        ],
        "skipped": dict(sorted(inputs.skipped.items())),
        "render_notices": [
            {"path": n.path, "tool": n.tool, "message": n.message} for n in inputs.render_notices
        ],
        "evidence_gaps": [
            {"origin": g.origin, "kind": g.kind, "reason": g.reason} for g in inputs.gaps
        ],
        "governance": {
            "exceptions": assessment.governance.get("exceptions", []),
            "attestations": assessment.governance.get("attestations", []),
            "not_applicable": assessment.governance.get("not_applicable", []),
            "baseline": assessment.governance.get("baseline"),
            "rule_selection": assessment.governance.get("rule_selection"),
        },
    }


def summary(assessment: Assessment) -> dict[str, Any]:
    results = assessment.requirements
    statuses = {s.value: sum(1 for r in results if r.status is s) for s in Status}
    findings = assessment.findings()
    return {
        "levels": [
            {
                "level": n,
                "met": assessment.level_met(n),
                "unmet": [
                    r.requirement.id
                    for r in results
                    if r.requirement.level <= n and r.status in (Status.FAIL, Status.REVIEW)
                ],
            }
            for n in (1, 2, 3)
        ],
        "requirements": statuses,
        "pass_with_exceptions": sum(1 for r in results if r.status is Status.PASS and r.exceptions),
        "findings": {
            res.value: sum(1 for f in findings if f.result is res and f.suppression is None)
            for res in Result
        }
        | {"suppressed": sum(1 for f in findings if f.suppression is not None)},
        "files_read": assessment.inputs.files_read,
        "files_by_domain": dict(sorted(assessment.inputs.files_by_domain.items())),
        "resources": assessment.inputs.resources,
        "skipped_files": sum(assessment.inputs.skipped.values()),
        "input_errors": len(assessment.inputs.input_errors),
        "render_notices": len(assessment.inputs.render_notices),
    }


def _requirement(result: RequirementResult) -> dict[str, Any]:
    req = result.requirement
    return {
        "id": req.id,
        "section": req.section,
        "title": req.title,
        "level": req.level,
        "level_assumed": req.level_assumed,
        "automation": req.automation.value,
        "status": result.status.value,
        "reason": result.reason,
        "exceptions": result.exceptions,
        "findings": [finding_dict(f) for f in result.findings],
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "check_id": f.check_id,
        "requirement": f.requirement,
        "result": f.result.value,
        "severity": f.severity.value,
        "title": f.title,
        "resource": {
            "kind": f.resource.kind,
            "namespace": f.resource.namespace,
            "name": f.resource.name,
            "origin": f.resource.origin,
            **({"render": f.resource.render} if f.resource.render else {}),
        },
        "subject": f.subject,
        "setting": f.setting,
        "path": f.location.path,
        "line": f.location.line,
        "message": f.message,
        "remediation": f.remediation,
        "evidence": f.evidence,
        "fingerprint": f.fingerprint,
        "suppression": f.suppression.to_dict() if f.suppression else None,
    }


def dumps(report: dict[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, default=str) + "\n"


def render(assessment: Assessment) -> str:
    return dumps(to_dict(assessment))
