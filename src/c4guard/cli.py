"""The `c4guard` command line (DESIGN.md, "Command-line contract").

Exit codes: 0 the level is met at `--fail-on` and every input was read; 1 a requirement
within the level is at or worse than `--fail-on`, or an input could not be read; 2 usage
or configuration error, or a scan that read nothing it understood.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from c4guard import __version__
from c4guard.audit.recording import (
    DEFAULT_TRAIL,
    audit_option,
    receipt_line,
    record,
    scan_events,
    trail_location,
)
from c4guard.catalog import load_catalog
from c4guard.checks import REGISTRY, checks_for
from c4guard.checks.selection import SelectionError
from c4guard.config import Config, ConfigError, find_config, load_config
from c4guard.engine import ScanRequest, assess
from c4guard.governance.baseline import BaselineError, write_baseline
from c4guard.governance.options import governance_options, governance_request
from c4guard.model import Assessment, Automation
from c4guard.report import html, junit, markdown, oscal, sarif
from c4guard.report import json as json_report
from c4guard.report import text as text_report
from c4guard.report.common import gating_statuses, within_level
from c4guard.sources import InputSet, ReadOptions, default_jobs, read_inputs

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
FORMATS = {
    "text": text_report,
    "json": json_report,
    "sarif": sarif,
    "junit": junit,
    "html": html,
    "markdown": markdown,
    "oscal": oscal,
}


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="c4guard")
def main() -> None:
    """Verify AI infrastructure against OWASP AISVS chapter C4."""


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How an assessing command (scan, cluster, host) judges, reports, records and exits."""

    fmt: str
    output: str | None
    config_path: str | None
    level: int | None
    fail_on: str
    show_passes: bool
    color: bool | None
    audit_location: str | None
    create_baseline: str | None
    governance: dict[str, Any]


def report_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add the options every assessing command shares (report, level, config, audit trail,
    rule selection, inline ignores, baselines); the command receives them as one
    `report: ReportOptions` argument."""

    @functools.wraps(command)
    def wrapper(
        *args: Any,
        fmt: str,
        output: str | None,
        config_path: str | None,
        level: int | None,
        fail_on: str,
        show_passes: bool,
        color: bool | None,
        audit_location: str | None,
        create_baseline: str | None,
        select: tuple[str, ...],
        skip: tuple[str, ...],
        no_inline_ignores: bool,
        baseline_path: str | None,
        **kwargs: Any,
    ) -> None:
        governance = {
            "select": select,
            "skip": skip,
            "no_inline_ignores": no_inline_ignores,
            "baseline_path": baseline_path,
        }
        report = ReportOptions(
            fmt,
            output,
            config_path,
            level,
            fail_on,
            show_passes,
            color,
            audit_location,
            create_baseline,
            governance,
        )
        command(*args, report=report, **kwargs)

    options = (
        click.option(
            "--format",
            "fmt",
            type=click.Choice(sorted(FORMATS)),
            default="text",
            show_default=True,
            help="Report format.",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, writable=True),
            help="Write the report to FILE instead of standard output.",
        ),
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False),
            help="Configuration file (default: c4guard.yaml at the scan root, or in "
            "the current directory).",
        ),
        click.option(
            "--level",
            type=click.IntRange(1, 3),
            help="Requirements up to this level count for --fail-on [default: config, else 3].",
        ),
        click.option(
            "--fail-on",
            type=click.Choice(["fail", "review", "none"]),
            default="fail",
            show_default=True,
            help="Lowest requirement status that makes the exit code 1.",
        ),
        click.option(
            "--show-passes", is_flag=True, help="List passing findings in the text report."
        ),
        click.option(
            "--color/--no-color", default=None, help="Colour the text report [default: auto]."
        ),
        audit_option,
        governance_options,
    )
    for option in reversed(options):
        wrapper = option(wrapper)
    return wrapper


@dataclass(frozen=True, slots=True)
class Prepared:
    config: Config
    request_fields: dict[str, Any]


def prepare(report: ReportOptions, targets: list[str]) -> Prepared:
    """The configuration and the request's governance fields, or exit 2 naming what is
    wrong with them."""
    try:
        config = load_config(find_config(report.config_path, targets))
        fields = governance_request(config, **report.governance)
        getattr(FORMATS[report.fmt], "require", lambda: None)()
    except ConfigError as exc:
        fail_usage("configuration error:\n  " + "\n  ".join(exc.messages))
    except (SelectionError, BaselineError, click.UsageError) as exc:
        fail_usage(str(exc))
    return Prepared(config, fields)


def assess_and_exit(
    inputs: InputSet, prepared: Prepared, targets: list[str], report: ReportOptions
) -> NoReturn:
    """Judge the inputs, write the baseline, render the report, record it in the audit
    trail and exit with the contract's code."""
    config = prepared.config
    request = ScanRequest(
        targets, report.level or config.level or 3, report.fail_on, **prepared.request_fields
    )
    assessment = assess(inputs, config, request)
    if report.create_baseline:
        count = write_baseline(assessment.findings(), Path(report.create_baseline))
        click.echo(
            f"c4guard: baseline of {count} findings written to {report.create_baseline}", err=True
        )
    _emit(assessment, report)
    configured = config.audit.db or DEFAULT_TRAIL if config.audit else None
    location = trail_location(report.audit_location, configured)
    if location is not False:
        _record(assessment, location, config.audit.actor if config.audit else None)
    sys.exit(exit_code(assessment))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@report_options
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(0, 64),
    default=1,
    show_default=True,
    help="Parse files in N processes (0: one per CPU).",
)
@click.option(
    "--max-file-size",
    type=click.IntRange(1, 1024),
    default=20,
    show_default=True,
    help="Largest file to read, in MiB; larger ones are input errors.",
)
def scan(paths: tuple[str, ...], report: ReportOptions, jobs: int, max_file_size: int) -> None:
    """Scan files, directories or `-` (stdin) and report AISVS C4 conformance."""
    targets = list(paths) or ["."]
    prepared = prepare(report, targets)
    options = ReadOptions(max_file_bytes=max_file_size * 1024 * 1024, jobs=jobs or default_jobs())
    inputs = _read(targets, options)
    understood = inputs.resources or inputs.summary.files_by_domain  # incl. the secret scan
    if not understood and not inputs.summary.input_errors:
        _nothing_understood(inputs)
    assess_and_exit(inputs, prepared, targets, report)


def _record(assessment: Assessment, location: str | None, actor: str | None) -> None:
    report = json_report.to_dict(assessment)
    report_bytes = json_report.dumps(report).encode()
    receipts = record(location, scan_events(report, report_bytes, actor))
    click.echo(receipt_line(receipts), err=True)


def _read(targets: list[str], options: ReadOptions) -> InputSet:
    if not sys.stderr.isatty():
        return read_inputs(targets, options)
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("reading inputs", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        return read_inputs(targets, options, advance)


def _nothing_understood(inputs: InputSet) -> None:
    lines = ["nothing to assess: no file among the inputs was understood"]
    for notice in inputs.summary.render_notices[:10]:
        lines.append(f"  {notice.path}: {notice.message}")
    if inputs.summary.skipped:
        skipped = ", ".join(f"{n} {why}" for why, n in sorted(inputs.summary.skipped.items()))
        lines.append(f"  skipped: {skipped}")
    fail_usage("\n".join(lines))


def _emit(assessment: Assessment, report: ReportOptions) -> None:
    if report.fmt == "text":
        use_color = (
            report.color
            if report.color is not None
            else (report.output is None and sys.stdout.isatty())
        )
        rendered = text_report.render(assessment, color=use_color, show_passes=report.show_passes)
    else:
        rendered = FORMATS[report.fmt].render(assessment)
    if report.output:
        Path(report.output).write_text(rendered, encoding="utf-8")
    else:
        click.echo(rendered, nl=False)


def exit_code(assessment: Assessment) -> int:
    """0, or 1 when a requirement within the level is at or worse than --fail-on, or an
    input could not be read (`--fail-on none` never fails)."""
    if assessment.fail_on == "none":
        return EXIT_OK
    failing = gating_statuses(assessment.fail_on)
    within = [r for r in assessment.requirements if within_level(assessment, r)]
    if any(r.status in failing for r in within) or assessment.inputs.input_errors:
        return EXIT_FINDINGS
    return EXIT_OK


def fail_usage(message: str) -> NoReturn:
    """Print `message` and exit 2 (usage, configuration or environment error)."""
    click.echo(f"c4guard: {message}", err=True)
    sys.exit(EXIT_USAGE)


@main.command()
@click.option("--level", type=click.IntRange(1, 3), help="Only requirements up to this level.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def controls(level: int | None, fmt: str) -> None:
    """List the requirements of the catalog (OWASP AISVS C4)."""
    catalog = load_catalog()
    requirements = [r for r in catalog.requirements if level is None or r.level <= level]
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "standard": catalog.standard,
                    "chapter": catalog.chapter,
                    "version": catalog.version,
                    "license": catalog.license,
                    "attribution": catalog.attribution,
                    "requirements": [_requirement_dict(r) for r in requirements],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for section in catalog.sections:
        members = [r for r in requirements if r.section == section.id]
        if members:
            click.echo(f"{section.id} {section.title}")
        for r in members:
            assumed = " (level assumed)" if r.level_assumed else ""
            click.echo(f"  {r.id}  L{r.level}{assumed}  {r.automation.value:<7}  {r.title}")


def _requirement_dict(r: object) -> dict[str, object]:
    from dataclasses import asdict

    data = asdict(r)  # type: ignore[call-overload]
    data["automation"] = data["automation"].value
    data["checks"] = [c.id for c in checks_for(data["id"])]
    return data


@main.command()
@click.argument("item")
def explain(item: str) -> None:
    """Explain a requirement (4.1.1) or a check (K8S-PRIVILEGED)."""
    catalog = load_catalog()
    requirement = catalog.get(item)
    if requirement is not None:
        click.echo(_explain_requirement(requirement.id))
    elif item.upper() in REGISTRY:
        click.echo(_explain_check(item.upper()))
    else:
        fail_usage(
            f"no requirement or check {item!r}; see `c4guard controls` and `c4guard explain 4.1.1`"
        )


def _explain_requirement(requirement_id: str) -> str:
    catalog = load_catalog()
    r = catalog.get(requirement_id)
    assert r is not None
    lines = [
        f"{r.id}  {r.title}",
        f"Section {r.section} {r.section_title}; level {r.level}"
        f"{' (assumed: the standard gives none)' if r.level_assumed else ''}; roles "
        f"{'/'.join(r.roles)}; automation {r.automation.value}",
        "",
        r.text,
    ]
    if r.text_ja:
        lines += ["", f"Original: {r.text_ja}"]
    lines += [
        "",
        f"Evidence c4guard reads: {r.evidence}",
        f"Evidence domains: {', '.join(r.domains) or 'none (attestation only)'}",
        "",
    ]
    checks = checks_for(r.id)
    if checks:
        lines.append("Checks:")
        for c in checks:
            lines += [
                f"  {c.id} ({c.severity.value}, {c.domain}): {c.title}",
                f"      fix: {c.remediation}",
            ]
    elif r.automation is Automation.NONE:
        lines.append(
            "Checks: none. No configuration can show this requirement: an attestation "
            "in c4guard.yaml (`attestations:`) settles it, or `not_applicable`."
        )
    else:
        lines.append(
            "Checks: none yet. Until one exists the requirement is `review` unless an "
            "attestation or a not_applicable entry in c4guard.yaml settles it."
        )
    kubernetes = ", ".join(c.id for c in checks if c.domain == "kubernetes")
    lines += ["", f"Kubernetes checks: {kubernetes or 'none. ' + (r.kubernetes_gap or '')}"]
    return "\n".join(lines)


def _explain_check(check_id: str) -> str:
    c = REGISTRY[check_id]
    requirement = load_catalog().get(c.requirement)
    lines = [
        f"{c.id}  {c.title}",
        f"Requirement {c.requirement}"
        f"{f' ({requirement.title})' if requirement else ''}; severity {c.severity.value}; "
        f"domain {c.domain}",
    ]
    if c.doc:
        lines += ["", c.doc]
    lines += ["", f"Remediation: {c.remediation}"]
    if c.references:
        lines += ["References:", *[f"  {ref}" for ref in c.references]]
    return "\n".join(lines)


# The other faces keep their commands in their own packages; they import their heavy
# libraries (cryptography, sigstore, database drivers) only when a command runs.
from c4guard.audit.cli import audit  # noqa: E402
from c4guard.gate.cli import gate  # noqa: E402
from c4guard.supplychain.cli import attest, verify  # noqa: E402

main.add_command(verify)
main.add_command(attest)
main.add_command(audit)
main.add_command(gate)
from c4guard.live.cli import cluster, host  # noqa: E402

main.add_command(host)
main.add_command(cluster)
