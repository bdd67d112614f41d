"""What every assessing command (scan, host, cluster) shares: the report options, the
configuration they load, and the assess-and-exit path (DESIGN.md, "Command-line contract")."""

from __future__ import annotations

import functools
import importlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import click

from c4guard.cli.governance import governance_options, governance_request
from c4guard.cli.recording import (
    DEFAULT_TRAIL,
    audit_option,
    receipt_line,
    record,
    scan_events,
    trail_location,
)
from c4guard.config import Config, find_config, load_config
from c4guard.engine import ScanRequest, assess
from c4guard.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from c4guard.governance.baseline import write_baseline
from c4guard.model import Assessment
from c4guard.report import json as json_report
from c4guard.report.common import gating_statuses, within_level
from c4guard.sources import InputSet


class Formats(Mapping[str, ModuleType]):
    """The report formats by name, each module `c4guard.report.<name>` imported when that
    format is asked for (rich, the HTML and OSCAL stacks load only when used)."""

    NAMES = ("text", "json", "sarif", "junit", "html", "markdown", "oscal")

    def __getitem__(self, name: str) -> ModuleType:
        if name not in self.NAMES:
            raise KeyError(name)
        return importlib.import_module(f"c4guard.report.{name}")

    def __iter__(self) -> Iterator[str]:
        return iter(self.NAMES)

    def __len__(self) -> int:
        return len(self.NAMES)


FORMATS = Formats()


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
    quiet: bool = False


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
        quiet: bool,
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
            quiet,
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
            "--color/--no-color",
            default=None,
            help="Colour the text report [default: on a terminal, unless NO_COLOR is set].",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            help="Text report: only the level line and the failing findings; no notices on stderr.",
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
    """The configuration and the request's governance fields; raises a `C4GuardError`
    naming what is wrong with them."""
    check_output(report.output)
    config = load_config(find_config(report.config_path, targets))
    fields = governance_request(config, **report.governance)
    getattr(FORMATS[report.fmt], "require", lambda: None)()
    return Prepared(config, fields)


def check_output(output: str | None) -> None:
    """A report file that cannot be written is a usage error now, before any scanning."""
    if output is None or output == "-":
        return
    path = Path(output)
    folder = path.parent
    if path.is_dir():
        raise UsageError(f"-o {output}: is a directory")
    if not folder.is_dir():
        raise UsageError(f"-o {output}: the directory {folder} does not exist")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"-o {output}: not writable")


def check_paths(targets: list[str]) -> None:
    """Every path to scan exists (`-` is standard input): a usage error now, before any
    scanning."""
    missing = [t for t in targets if t != "-" and not os.path.lexists(t)]
    if missing:
        raise UsageError("no such file or directory: " + ", ".join(missing))


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
        actor = config.audit.actor if config.audit else None
        _record(assessment, location, actor, quiet=report.quiet)
    sys.exit(exit_code(assessment))


def _record(
    assessment: Assessment, location: str | None, actor: str | None, *, quiet: bool
) -> None:
    report = json_report.to_dict(assessment)
    report_bytes = json_report.dumps(report).encode()
    receipts = record(location, scan_events(report, report_bytes, actor))
    if not quiet:
        click.echo(receipt_line(receipts), err=True)


def _emit(assessment: Assessment, report: ReportOptions) -> None:
    if report.fmt == "text":
        use_color = (
            report.color
            if report.color is not None
            else (report.output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))
        )
        rendered = FORMATS["text"].render(
            assessment, color=use_color, show_passes=report.show_passes, quiet=report.quiet
        )
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
