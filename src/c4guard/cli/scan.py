"""`c4guard scan`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from c4guard.cli.common import (
    ReportOptions,
    assess_and_exit,
    check_paths,
    prepare,
    report_options,
)
from c4guard.errors import UsageError
from c4guard.sources import InputSet, ReadOptions, default_jobs, read_inputs


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(allow_dash=True))
@report_options
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(0, 256),
    default=0,
    help="Parse files in N processes and run N chart and overlay renders at once "
    "[default: 0, one per usable core].",
)
@click.option(
    "--max-file-size",
    type=click.IntRange(1, 1024),
    default=20,
    show_default=True,
    help="Largest file to read, in MiB; larger ones are input errors.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep parse results, chart renders and overlay builds in DIR and reuse them "
    'while the files they come from do not change (docs/configuration.md, "Parse cache").',
)
def scan(
    paths: tuple[str, ...],
    report: ReportOptions,
    jobs: int,
    max_file_size: int,
    cache_dir: Path | None,
) -> None:
    """Scan files, directories or `-` (stdin) and report AISVS C4 conformance."""
    targets = list(paths) or ["."]
    check_paths(targets)
    prepared = prepare(report, targets)
    config = prepared.config
    options = ReadOptions(
        max_file_bytes=max_file_size * 1024 * 1024,
        jobs=jobs or default_jobs(),
        render=config.render,
        config_dir=Path(config.source).parent if config.source else None,
        cache_dir=cache_dir,
    )
    inputs = _read(targets, options, show_progress=not report.quiet)
    understood = inputs.resources or inputs.summary.files_by_domain  # incl. the secret scan
    if not understood and not inputs.summary.input_errors:
        _nothing_understood(inputs)
    assess_and_exit(inputs, prepared, targets, report)


def _read(targets: list[str], options: ReadOptions, *, show_progress: bool) -> InputSet:
    if not show_progress or not sys.stderr.isatty():
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
    raise UsageError("\n".join(lines))
