"""JUnit XML: one test suite per C4 section, one test case per requirement, so CI test
tabs show the standard. A requirement fails as a test when it is `fail` within `--level`
(or `review` under `--fail-on review`); the failure lists its failing findings. Passing
and attested requirements pass with their evidence in `system-out`; `review`,
`not_applicable` and requirements above the level are skipped with the reason. Input
errors fail one more test case, as they fail the scan.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from c4guard.catalog import Section
from c4guard.model import Assessment, Finding, RequirementResult, Result, Status
from c4guard.report.common import STATUS_LABEL, by_section, fails, finding_order, within_level

# Characters XML 1.0 cannot hold.
_INVALID_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MAX_LISTED = 200


def render(assessment: Assessment) -> str:
    root = ET.Element(
        "testsuites", name="c4guard OWASP AISVS C4", time=_seconds(assessment.duration_s)
    )
    for section, _ in by_section(assessment):
        members = [r for r in assessment.requirements if r.requirement.section == section.id]
        if members:
            _suite(root, assessment, section, members)
    _inputs_suite(root, assessment)
    _totals(root, root.findall("testsuite"))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _suite(
    root: ET.Element, assessment: Assessment, section: Section, members: list[RequirementResult]
) -> None:
    suite = ET.SubElement(
        root,
        "testsuite",
        name=f"{section.id} {section.title}",
        timestamp=_timestamp(assessment),
        time="0",
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("level", assessment.level),
        ("fail_on", assessment.fail_on),
        ("scanned_domains", ",".join(assessment.scanned_domains)),
    ):
        ET.SubElement(properties, "property", name=name, value=_text(str(value)))
    for result in members:
        _case(suite, assessment, result)
    _totals(suite, [suite])


def _case(suite: ET.Element, assessment: Assessment, result: RequirementResult) -> None:
    req = result.requirement
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"aisvs.{req.section}",
        name=_text(f"{req.id} {req.title}"),
        time="0",
    )
    status = STATUS_LABEL[result.status]
    if fails(assessment, result):
        failing = sorted(
            (f for f in result.findings if f.result is not Result.PASS and f.suppression is None),
            key=finding_order,
        )
        failure = ET.SubElement(
            case, "failure", type=result.status.value, message=_text(f"{status}: {result.reason}")
        )
        failure.text = _text(_listing(failing) or result.reason)
    elif result.status in (Status.PASS, Status.ATTESTED):
        out = ET.SubElement(case, "system-out")
        passing = sorted((f for f in result.findings if f.result is Result.PASS), key=finding_order)
        out.text = _text(f"{status}: {result.reason}\n{_listing(passing)}")
    else:
        above = "" if within_level(assessment, result) else f", above --level {assessment.level}"
        ET.SubElement(case, "skipped", message=_text(f"{status}{above}: {result.reason}"))


def _inputs_suite(root: ET.Element, assessment: Assessment) -> None:
    inputs = assessment.inputs
    suite = ET.SubElement(
        root, "testsuite", name="c4guard inputs", timestamp=_timestamp(assessment), time="0"
    )
    case = ET.SubElement(
        suite, "testcase", classname="c4guard.inputs", name="every input was read", time="0"
    )
    if inputs.input_errors:
        failure = ET.SubElement(
            case,
            "failure",
            type="input-error",
            message=f"{len(inputs.input_errors)} inputs could not be read",
        )
        failure.text = _text(
            "\n".join(
                f"{e.path}:{e.line}: {e.reason}" if e.line else f"{e.path}: {e.reason}"
                for e in inputs.input_errors
            )
        )
    else:
        ET.SubElement(case, "system-out").text = _text(
            f"read {inputs.files_read} files, {inputs.resources} resources"
        )
    _totals(suite, [suite])


def _listing(findings: list[Finding]) -> str:
    lines = []
    for f in findings[:MAX_LISTED]:
        lines.append(f"{f.location}: [{f.severity.value}] {f.check_id} {f.resource}: {f.message}")
        if f.result is not Result.PASS and f.remediation:
            lines.append(f"    fix: {f.remediation}")
    if len(findings) > MAX_LISTED:
        lines.append(f"... {len(findings) - MAX_LISTED} more (see --format json)")
    return "\n".join(lines)


def _totals(element: ET.Element, suites: list[ET.Element]) -> None:
    cases = [c for s in suites for c in s.iter("testcase")]
    counts: dict[str, Any] = {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": 0,
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }
    for key, value in counts.items():
        element.set(key, str(value))


def _text(value: str) -> str:
    return _INVALID_XML.sub("\ufffd", value)


def _timestamp(assessment: Assessment) -> str:
    """ISO 8601 without the zone (UTC), as the JUnit schema has it."""
    return assessment.started_at[:19]


def _seconds(value: float) -> str:
    return f"{value:.3f}"
