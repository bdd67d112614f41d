"""The terminal report: the summary by level and section first, then the findings grouped
by requirement with file:line and remediation."""

from __future__ import annotations

import io
import textwrap
from collections import Counter

from rich.console import Console
from rich.table import Table
from rich.text import Text

from c4guard import __version__
from c4guard.catalog import load_catalog
from c4guard.model import Assessment, Finding, RequirementResult, Result, Status
from c4guard.report.common import attestations, exceptions

STATUS_STYLE = {
    Status.PASS: ("PASS", "green"),
    Status.FAIL: ("FAIL", "bold red"),
    Status.ATTESTED: ("ATTESTED", "cyan"),
    Status.NOT_APPLICABLE: ("N/A", "dim"),
    Status.REVIEW: ("REVIEW", "yellow"),
}
SEVERITY_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "blue",
    "info": "dim",
}
MAX_FINDINGS_PER_REQUIREMENT = 25
INDENT = " " * 13


def render(
    assessment: Assessment,
    *,
    color: bool = False,
    width: int = 110,
    show_passes: bool = False,
    quiet: bool = False,
) -> str:
    """The report; `quiet` keeps the level line and the failing findings only."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=width,
        highlight=False,
        soft_wrap=False,
    )
    if quiet:
        _levels(console, assessment)
        _findings(console, assessment, show_passes=False)
        return _lines(buffer)
    _header(console, assessment)
    _levels(console, assessment)
    _sections(console, assessment)
    _requirements(console, assessment)
    _findings(console, assessment, show_passes)
    _governance(console, assessment)
    _inputs(console, assessment)
    return _lines(buffer)


def _lines(buffer: io.StringIO) -> str:
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _hanging(console: Console, lead: str, text: str, style: str) -> None:
    """`lead` then `text`, continuation lines indented under the text's first character."""
    width = max(console.width - len(lead), 40)
    wrapped = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
    for index, line in enumerate(wrapped or [""]):
        prefix = lead if index == 0 else " " * len(lead)
        console.print(Text(prefix + line, style=style), soft_wrap=True)


def _header(console: Console, a: Assessment) -> None:
    inputs = a.inputs
    targets = ", ".join(a.targets) or "."
    console.print(
        Text(f"c4guard {__version__}: OWASP AISVS C4 assessment of {targets}", style="bold")
    )
    domains = ", ".join(a.scanned_domains) or "none"
    console.print(
        Text(
            f"Read {inputs.files_read} files, {inputs.resources} resources ({domains}); "
            + (f"rendered {inputs.rendered} charts and overlays; " if inputs.rendered else "")
            + f"skipped {sum(inputs.skipped.values())} files; {len(inputs.render_notices)} render "
            f"notices; {len(inputs.input_errors)} input errors"
        )
    )
    console.print()


def _levels(console: Console, a: Assessment) -> None:
    counts = Counter(r.status for r in a.requirements)
    line = Text("Level conformance: ")
    for level in (1, 2, 3):
        met = a.level_met(level)
        line.append(f"L{level} {'met' if met else 'not met'}", style="green" if met else "red")
        line.append("   ")
    line.append(f"(--level {a.level}, --fail-on {a.fail_on})", style="dim")
    console.print(line)
    status_line = Text("Requirements: ")
    for status in Status:
        label, style = STATUS_STYLE[status]
        status_line.append(f"{counts.get(status, 0)} {label.lower()}", style=style)
        status_line.append("  ")
    excepted = sum(1 for r in a.requirements if r.status is Status.PASS and r.exceptions)
    if excepted:
        status_line.append(f"({excepted} pass with exceptions)", style="dim")
    console.print(status_line)
    console.print()


def _sections(console: Console, a: Assessment) -> None:
    table = Table(
        title="By section", title_justify="left", show_edge=False, box=None, pad_edge=False
    )
    table.add_column("section")
    for status in Status:
        table.add_column(STATUS_STYLE[status][0].lower(), justify="right")
    for section in load_catalog().sections:
        counts = Counter(r.status for r in a.requirements if r.requirement.section == section.id)
        table.add_row(
            f"{section.id} {section.title}", *[str(counts.get(s, 0) or "") for s in Status]
        )
    console.print(table)
    console.print()


def _requirements(console: Console, a: Assessment) -> None:
    table = Table(
        title="Requirements", title_justify="left", show_edge=False, box=None, pad_edge=False
    )
    table.add_column("id", no_wrap=True)
    table.add_column("lvl", justify="right")
    table.add_column("status", no_wrap=True)
    table.add_column("reason", overflow="fold")
    for r in a.requirements:
        label, style = STATUS_STYLE[r.status]
        level = f"{r.requirement.level}{'*' if r.requirement.level_assumed else ''}"
        dim = r.requirement.level > a.level
        table.add_row(
            r.requirement.id,
            level,
            Text(label, style=style),
            Text(r.reason, style="dim" if dim else ""),
        )
    console.print(table)
    if any(r.requirement.level_assumed for r in a.requirements):
        console.print(Text("* level assumed: the standard gives none", style="dim"))
    console.print()


def _findings(console: Console, a: Assessment, show_passes: bool) -> None:
    shown = [r for r in a.requirements if _visible(r, show_passes)]
    if not shown:
        return
    console.print(Text("Findings by requirement", style="bold"))
    for r in shown:
        label, style = STATUS_STYLE[r.status]
        console.print()
        console.print(
            Text.assemble(
                (f"{r.requirement.id} ", "bold"),
                (label, style),
                f"  {r.requirement.title} (level {r.requirement.level})",
            )
        )
        findings = sorted(
            _visible_findings(r, show_passes),
            key=lambda f: (
                f.result is Result.PASS,
                -f.severity.rank,
                f.location.path,
                f.location.line or 0,
            ),
        )
        for finding in findings[:MAX_FINDINGS_PER_REQUIREMENT]:
            _finding(console, finding)
        hidden = len(findings) - MAX_FINDINGS_PER_REQUIREMENT
        if hidden > 0:
            console.print(Text(f"  ... {hidden} more (see --format json)", style="dim"))


def _visible(r: RequirementResult, show_passes: bool) -> bool:
    return any(True for _ in _visible_findings(r, show_passes))


def _visible_findings(r: RequirementResult, show_passes: bool) -> list[Finding]:
    return [f for f in r.findings if show_passes or f.result is not Result.PASS]


def _finding(console: Console, f: Finding) -> None:
    if f.suppression is not None:
        tag, style = "EXCEPTED", "dim"
    elif f.result is Result.PASS:
        tag, style = "pass", "green"
    elif f.result is Result.UNKNOWN:
        tag, style = "unknown", "yellow"
    else:
        tag, style = f.severity.value, SEVERITY_STYLE[f.severity.value]
    console.print(
        Text.assemble(
            "  ", (f"{tag:<9}", style), (f"{f.check_id}  ", "bold"), f"{f.resource}: {f.message}"
        ),
        soft_wrap=True,
    )
    console.print(Text(f"             {f.location}", style="dim"))
    if f.suppression is not None:
        expires = f.suppression.expires.isoformat() if f.suppression.expires else "never"
        _hanging(
            console,
            f"{INDENT}excepted ({f.suppression.source}): ",
            f"{f.suppression.reason}; expires {expires}",
            "dim",
        )
    elif f.result is not Result.PASS and f.remediation:
        _hanging(console, f"{INDENT}fix: ", f.remediation, "cyan")


def _inputs(console: Console, a: Assessment) -> None:
    inputs = a.inputs
    if inputs.input_errors:
        console.print()
        console.print(
            Text(
                f"Input errors ({len(inputs.input_errors)}): these files were not scanned",
                style="bold red",
            )
        )
        for error in inputs.input_errors:
            where = f"{error.path}:{error.line}" if error.line else error.path
            console.print(Text(f"  {where}: {error.reason}"), soft_wrap=True)
    if inputs.gaps:
        console.print()
        console.print(
            Text(
                f"Not read ({len(inputs.gaps)}): the requirements whose checks read "
                "these kinds are review",
                style="bold yellow",
            )
        )
        for gap in inputs.gaps:
            console.print(Text(f"  {gap.kind}: {gap.reason}"), soft_wrap=True)
    if inputs.render_notices:
        console.print()
        console.print(
            Text(
                f"Render notices ({len(inputs.render_notices)}): charts, overlays and templates "
                "not judged until rendered",
                style="bold yellow",
            )
        )
        for notice in inputs.render_notices:
            console.print(Text(f"  {notice.path}: {notice.message}"), soft_wrap=True)
    if inputs.skipped:
        console.print()
        skipped = ", ".join(f"{count} {reason}" for reason, count in sorted(inputs.skipped.items()))
        console.print(Text(f"Skipped: {skipped}", style="dim"))


def _governance(console: Console, a: Assessment) -> None:
    """Every exception with its state (those that do not suppress in red), attestations
    that lapsed, the baseline and the checks left out."""
    entries = exceptions(a)
    if entries:
        console.print()
        console.print(Text(f"Exceptions ({len(entries)})", style="bold"))
    for e in entries:
        style = {"active": "", "unused": "dim"}.get(e["status"], "red")
        where = f" {e['path']}:{e['line']}" if e.get("path") else ""
        target = e.get("check") or e.get("requirement") or "?"
        problem = f" ({e['problem']})" if e.get("problem") else ""
        console.print(
            Text(
                f"  {e['status']:<8} {e['source']}{where} {target}: "
                f"{e.get('reason') or 'no reason'}; expires "
                f"{e.get('expires') or 'never'}; matched {e.get('matched', 0)}"
                f"{problem}",
                style=style,
            ),
            soft_wrap=True,
        )
    for att in attestations(a):
        if att["status"] != "applied":
            console.print(
                Text(
                    f"  attestation {att['requirement']} by {att['owner']}: "
                    f"{att['status']} (expires {att['expires']})",
                    style="yellow",
                ),
                soft_wrap=True,
            )
    baseline = a.governance.get("baseline")
    if baseline:
        console.print()
        console.print(
            Text(
                f"Baseline {baseline['path']}: {baseline['matched']} findings "
                f"accepted, {baseline['new']} new, {baseline['gone']} gone"
            )
        )
    not_run = (a.governance.get("rule_selection") or {}).get("not_run")
    if not_run:
        console.print()
        console.print(
            Text(f"Checks not run (--check/--skip-check): {', '.join(not_run)}", style="dim"),
            soft_wrap=True,
        )
