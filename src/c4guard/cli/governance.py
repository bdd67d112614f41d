"""The governance options of `c4guard scan` (rule selection, inline ignores, baselines)
and how they become part of a `ScanRequest`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from c4guard.checks.selection import RuleSelection, split_selectors
from c4guard.config import Config
from c4guard.governance.baseline import load_baseline

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = (
    click.option(
        "--check",
        "select",
        multiple=True,
        metavar="ID",
        help="Run only these checks: check ids, requirement ids (4.1.1) or sections "
        "(4.1); repeat or separate with commas.",
    ),
    click.option(
        "--skip-check",
        "skip",
        multiple=True,
        metavar="ID",
        help="Do not run these checks (ids, requirements or sections).",
    ),
    click.option(
        "--no-inline-ignores",
        is_flag=True,
        help="Disregard `# c4guard:ignore` comments and `c4guard.dev/ignore` "
        "annotations (they are still listed in the report).",
    ),
    click.option(
        "--baseline",
        "baseline_path",
        type=click.Path(dir_okay=False),
        help="Accept the findings recorded in this baseline: only new ones fail.",
    ),
    click.option(
        "--create-baseline",
        "create_baseline",
        type=click.Path(dir_okay=False),
        help="Record the current failing findings in FILE (the report and exit "
        "code are unchanged).",
    ),
)


def governance_options(command: F) -> F:
    """Add the governance options to a click command."""
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def governance_request(
    config: Config,
    select: tuple[str, ...],
    skip: tuple[str, ...],
    no_inline_ignores: bool,
    baseline_path: str | None,
) -> dict[str, Any]:
    """The `ScanRequest` fields these options set. Raises `SelectionError` or
    `BaselineError` (usage errors)."""
    rules = RuleSelection.build(
        config.checks.select,
        config.checks.skip,
        config.checks.severity,
        split_selectors(select),
        split_selectors(skip),
    )
    baseline = load_baseline(Path(baseline_path)) if baseline_path else None
    return {"rules": rules, "inline_ignores": not no_inline_ignores, "baseline": baseline}
