"""SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

One rule per check that ran (help text, remediation, requirement and level tags,
`security-severity`); one result per failing or unknown finding, with its exact location;
suppressed findings carry `suppressions` with their justification. `partialFingerprints`
hold the finding's fingerprint (check, resource identity, subject and setting path, never
the line), so code scanning keeps tracking an alert when lines move: GitHub only reads
`primaryLocationLineHash`, so that key carries it too.
"""

from __future__ import annotations

import json
import posixpath
from collections import defaultdict
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from c4guard import __version__
from c4guard.catalog import load_catalog
from c4guard.checks.registry import REGISTRY
from c4guard.model import Assessment, CheckInfo, Finding, Result, Severity
from c4guard.report.common import STATUS_LABEL, finding_order

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "c4guard/v1"
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
IN_SOURCE = {"inline", "annotation"}
NOT_FILES = {"<none>", ""}


def render(assessment: Assessment) -> str:
    # Compact: with `indent`, Python's JSON encoder falls back to pure Python.
    return json.dumps(to_sarif(assessment), ensure_ascii=False) + "\n"


def to_sarif(assessment: Assessment) -> dict[str, Any]:
    findings = sorted(
        (f for f in assessment.findings() if f.result is not Result.PASS), key=finding_order
    )
    rules = _rules(assessment, findings)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    occurrences: dict[tuple[str, str], int] = defaultdict(int)
    results = []
    for finding in findings:
        occurrences[(finding.location.path, finding.fingerprint)] += 1
        results.append(
            _result(
                finding,
                index[finding.check_id],
                occurrences[(finding.location.path, finding.fingerprint)],
            )
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "c4guard",
                        "semanticVersion": __version__,
                        "fullName": f"c4guard {__version__} (OWASP AISVS C4)",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": "c4guard/"},
                "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri() + "/"}},
                "invocations": [_invocation(assessment)],
                "results": results,
                "columnKind": "unicodeCodePoints",
                "properties": _summary(assessment),
            }
        ],
    }


def _rules(assessment: Assessment, findings: list[Finding]) -> list[dict[str, Any]]:
    """A rule for every check that ran (and for the check of any finding, should an
    assessment not list its checks)."""
    checks = {c.id: c for c in assessment.checks}
    checks |= {f.check_id: REGISTRY[f.check_id] for f in findings if f.check_id not in checks}
    return [_rule(c) for c in sorted(checks.values(), key=lambda c: c.id)]


def _rule(chk: CheckInfo) -> dict[str, Any]:
    requirement = load_catalog().get(chk.requirement)
    level = requirement.level if requirement else 3
    title = requirement.title if requirement else chk.requirement
    help_text = (
        f"{chk.doc or chk.title}\n\nRemediation: {chk.remediation}\n\n"
        f"OWASP AISVS {chk.requirement} (level {level}): {title}"
    )
    references = "".join(f"\n- <{ref}>" for ref in chk.references)
    help_markdown = (
        f"{chk.doc or chk.title}\n\n**Remediation:** {chk.remediation}\n\n"
        f"**OWASP AISVS {chk.requirement}** (level {level}): {title}"
        + (f"\n\nReferences:{references}" if references else "")
    )
    properties: dict[str, Any] = {
        "tags": [
            "security",
            "owasp-aisvs",
            f"aisvs-{chk.requirement}",
            f"aisvs-level-{level}",
            chk.domain,
        ],
        "precision": "high",
        "problem.severity": "recommendation"
        if chk.severity is Severity.INFO
        else ("error" if LEVEL[chk.severity] == "error" else "warning"),
        "requirement": chk.requirement,
        "aisvs-level": level,
        "severity": chk.severity.value,
    }
    if chk.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[chk.severity]
    rule: dict[str, Any] = {
        "id": chk.id,
        "name": chk.id,
        "shortDescription": {"text": chk.title[:1024]},
        "fullDescription": {"text": (chk.doc or chk.title)[:1024]},
        "help": {"text": help_text, "markdown": help_markdown},
        "defaultConfiguration": {"level": LEVEL[chk.severity]},
        "properties": properties,
    }
    if chk.references:
        rule["helpUri"] = chk.references[0]
    return rule


def _result(finding: Finding, rule_index: int, occurrence: int) -> dict[str, Any]:
    text = f"{finding.resource}: {finding.message}."
    if finding.remediation:
        text += f" Fix: {finding.remediation}"
    result: dict[str, Any] = {
        "ruleId": finding.check_id,
        "ruleIndex": rule_index,
        # SARIF: a result whose kind is not "fail" has level "none".
        "kind": "fail" if finding.result is Result.FAIL else "review",
        "level": LEVEL[finding.severity] if finding.result is Result.FAIL else "none",
        "message": {"text": text},
        "partialFingerprints": {
            "primaryLocationLineHash": f"{finding.fingerprint}:{occurrence}",
            FINGERPRINT_KEY: finding.fingerprint,
        },
        "properties": {
            "requirement": finding.requirement,
            "result": finding.result.value,
            "severity": finding.severity.value,
            "resource": str(finding.resource),
            "subject": finding.subject,
            "setting": finding.setting,
        },
    }
    location = _location(finding)
    if location is not None:
        result["locations"] = [location]
    if finding.suppression is not None:
        s = finding.suppression
        justification = s.reason + (f" (expires {s.expires.isoformat()})" if s.expires else "")
        if s.approver:
            justification += f"; approved by {s.approver}"
        result["suppressions"] = [
            {
                "kind": "inSource" if s.source in IN_SOURCE else "external",
                "status": "accepted",
                "justification": justification,
                "properties": {"source": s.source},
            }
        ]
    return result


def _location(finding: Finding) -> dict[str, Any] | None:
    path = finding.location.path
    if path in NOT_FILES:
        return None
    physical: dict[str, Any] = {"artifactLocation": artifact_location(path)}
    if finding.location.line:
        physical["region"] = {"startLine": finding.location.line}
    return {"physicalLocation": physical}


def artifact_location(path: str) -> dict[str, Any]:
    """A relative path under the working directory as a `%SRCROOT%` reference, anything
    else as an absolute file URI (stdin as a relative name)."""
    return dict(_artifact_location(path))


@lru_cache(maxsize=8192)
def _artifact_location(path: str) -> dict[str, Any]:
    if path == "<stdin>":
        return {"uri": quote(path)}
    posix = PurePosixPath(Path(path).as_posix())
    if not posix.is_absolute():
        normal = posixpath.normpath(str(posix))
        if not normal.startswith("../") and normal != "..":
            return {"uri": quote(normal), "uriBaseId": SRCROOT}
    return {"uri": Path(path).resolve().as_uri()}


def _invocation(assessment: Assessment) -> dict[str, Any]:
    notifications = [
        {
            "level": "error",
            "message": {"text": f"not scanned: {e.reason}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": artifact_location(e.path),
                        **({"region": {"startLine": e.line}} if e.line else {}),
                    }
                }
            ],
        }
        for e in assessment.inputs.input_errors
    ]
    return {"executionSuccessful": True, "toolExecutionNotifications": notifications}


def _summary(assessment: Assessment) -> dict[str, Any]:
    return {
        "aisvs": {
            "level": assessment.level,
            "failOn": assessment.fail_on,
            "levelsMet": [n for n in (1, 2, 3) if assessment.level_met(n)],
            "requirements": {
                r.requirement.id: STATUS_LABEL[r.status] for r in assessment.requirements
            },
        },
    }
