"""Markdown for a pull-request comment: the verdict and counts first, the worst failures
in a short table, everything else collapsed in `<details>`. Kept under GitHub's comment
limit (65,536 characters) by listing fewer findings when needed."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable

from c4guard import __version__
from c4guard.model import Assessment, Finding, Result, Status
from c4guard.report.common import (
    STATUS_LABEL,
    STATUS_ORDER,
    attestations,
    exceptions,
    open_findings,
)

MAX_CHARS = 60_000
TOP = 10
ICON = {
    Status.PASS: "✅",
    Status.FAIL: "❌",
    Status.ATTESTED: "🖊️",
    Status.NOT_APPLICABLE: "➖",
    Status.REVIEW: "👀",
}


def render(assessment: Assessment) -> str:
    findings = open_findings(assessment)
    for listed in (500, 200, 50, TOP):
        text = _document(assessment, findings, listed)
        if len(text) <= MAX_CHARS:
            return text
    return text[: MAX_CHARS - 40] + "\n\n…(truncated; see the JSON report)\n"


def _document(assessment: Assessment, findings: list[Finding], listed: int) -> str:
    parts = [_headline(assessment), _counts(assessment, findings)]
    if findings:
        parts += ["### Top failures", _table(findings[:TOP])]
    if len(findings) > TOP:
        rest = findings[TOP:listed]
        more = len(findings) - TOP - len(rest)
        parts.append(
            _details(
                f"{len(findings) - TOP} more failing or unknown findings",
                _table(rest) + (f"\n\n…and {more} more (see the JSON report)" if more > 0 else ""),
            )
        )
    parts.append(
        _details(f"Requirements ({len(assessment.requirements)})", _requirements(assessment))
    )
    governance = _governance(assessment)
    if governance:
        parts.append(_details("Exceptions and attestations", governance))
    errors = assessment.inputs.input_errors
    if errors:
        parts.append(
            _details(
                f"⚠️ Input errors ({len(errors)}): not scanned",
                "\n".join(
                    f"- `{_code(e.path)}{f':{e.line}' if e.line else ''}`: {_cell(e.reason)}"
                    for e in errors
                ),
            )
        )
    parts.append(
        f"<sub>c4guard {__version__} · targets: {_cell(', '.join(assessment.targets))}</sub>"
    )
    return "\n\n".join(parts) + "\n"


def _headline(a: Assessment) -> str:
    met = a.level_met(a.level)
    verdict = f"level {a.level} {'met' if met else 'not met'}"
    return f"## {'✅' if met else '❌'} c4guard: OWASP AISVS C4 — {verdict}"


def _counts(a: Assessment, findings: list[Finding]) -> str:
    levels = " · ".join(f"L{n} {'✅' if a.level_met(n) else '❌'}" for n in (1, 2, 3))
    counts = Counter(r.status for r in a.requirements)
    statuses = " · ".join(f"{counts.get(s, 0)} {STATUS_LABEL[s]}" for s in STATUS_ORDER)
    excepted = sum(1 for r in a.requirements if r.status is Status.PASS and r.exceptions)
    failing = sum(1 for f in findings if f.result is Result.FAIL)
    unknown = len(findings) - failing
    suppressed = sum(1 for f in a.findings() if f.suppression is not None)
    inputs = a.inputs
    return "\n".join(
        [
            f"**Levels:** {levels} (`--level {a.level}`, `--fail-on {a.fail_on}`)  ",
            f"**Requirements:** {statuses}"
            + (f" ({excepted} pass with exceptions)" if excepted else "")
            + "  ",
            f"**Findings:** {failing} failing, {unknown} unknown, {suppressed} suppressed · read "
            f"{inputs.files_read} files, {inputs.resources} resources "
            f"({', '.join(a.scanned_domains) or 'nothing'})"
            + (f" · ⚠️ {len(inputs.input_errors)} input errors" if inputs.input_errors else ""),
        ]
    )


def _table(findings: Iterable[Finding]) -> str:
    rows = [
        "| severity | check | requirement | resource | where | finding |",
        "|---|---|---|---|---|---|",
    ]
    for f in findings:
        severity = f.severity.value if f.result is Result.FAIL else "unknown"
        fix = f"<br>fix: {_cell(f.remediation)}" if f.remediation else ""
        rows.append(
            f"| {severity} | `{f.check_id}` | {f.requirement} | {_cell(str(f.resource))} "
            f"| `{_code(str(f.location))}` | {_cell(f.message)}{fix} |"
        )
    return "\n".join(rows)


def _requirements(a: Assessment) -> str:
    rows = ["| id | level | status | reason |", "|---|---|---|---|"]
    for r in a.requirements:
        rows.append(
            f"| {r.requirement.id} | {r.requirement.level} | {ICON[r.status]} "
            f"{STATUS_LABEL[r.status]} | {_cell(r.reason)} |"
        )
    return "\n".join(rows)


def _governance(a: Assessment) -> str:
    lines = []
    for e in exceptions(a):
        target = e.get("check") or e.get("requirement") or "?"
        where = f" at `{_code(str(e['path']))}:{e['line']}`" if e.get("path") else ""
        problem = f" — {_cell(e['problem'])}" if e.get("problem") else ""
        lines.append(
            f"- exception ({e['source']}{where}) `{_code(target)}`: **{e['status']}**, "
            f"{_cell(e.get('reason') or 'no reason')}, expires "
            f"{e.get('expires') or 'never'}{problem}"
        )
    for att in attestations(a):
        lines.append(
            f"- attestation {att['requirement']} by {_cell(att['owner'])}: "
            f"**{_cell(att['status'])}**, expires {att['expires']}"
        )
    baseline = a.governance.get("baseline")
    if baseline:
        lines.append(
            f"- baseline `{_code(baseline['path'])}`: {baseline['matched']} accepted, "
            f"{baseline['new']} new, {baseline['gone']} gone"
        )
    return "\n".join(lines)


def _details(summary: str, body: str) -> str:
    summary = html.escape(summary, quote=False)
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def _cell(text: str) -> str:
    """Text safe in a table cell: no HTML, no pipes, no line breaks."""
    return html.escape(" ".join(str(text).split()), quote=False).replace("|", "\\|")


def _code(text: str) -> str:
    return " ".join(text.split()).replace("`", "'").replace("|", "\\|")
