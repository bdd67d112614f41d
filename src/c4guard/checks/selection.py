"""Rule selection: which checks run (`--check`, `--skip-check`, `checks:` in c4guard.yaml)
and at what severity (`checks.severity`).

A selector names a check (`K8S-PRIVILEGED`), a requirement (`4.1.1`) or a section (`4.1`
or `C4.1`). Skipping wins over selecting; a severity override on a check wins over one on
its requirement, which wins over one on its section.
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from c4guard.catalog import load_catalog
from c4guard.checks.registry import REGISTRY, Check
from c4guard.errors import UsageError
from c4guard.model import Severity

_SECTION = re.compile(r"^(?:C)?(4\.[1-8])$", re.IGNORECASE)


class SelectionError(UsageError, ValueError):
    """A selector that names no check, requirement or section."""


@dataclass(frozen=True, slots=True)
class RuleSelection:
    select: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        config_select: list[str],
        config_skip: list[str],
        severity: dict[str, Severity],
        cli_select: tuple[str, ...] = (),
        cli_skip: tuple[str, ...] = (),
    ) -> RuleSelection:
        """`--check` replaces `checks.select` of the config; `--skip-check` adds to
        `checks.skip`. Raises `SelectionError` for a selector that names nothing known."""
        for origin, selectors in (
            ("--check", cli_select),
            ("--skip-check", cli_skip),
            ("checks.select", config_select),
            ("checks.skip", config_skip),
            ("checks.severity", tuple(severity)),
        ):
            unknown = next((s for s in selectors if not known(s)), None)
            if unknown is not None:
                raise SelectionError(
                    f"{origin}: {unknown!r} is not a check, requirement or section "
                    "(see `c4guard controls` and docs/checks.md)"
                )
        return cls(cli_select or tuple(config_select), (*config_skip, *cli_skip), dict(severity))

    def resolve(self, checks: list[Check]) -> Resolved:
        """The checks to run, with severity overrides applied, and what was left out."""
        chosen, left_out = [], defaultdict(list)
        for chk in checks:
            wanted = not self.select or any(matches(s, chk) for s in self.select)
            if wanted and not any(matches(s, chk) for s in self.skip):
                chosen.append(self._with_severity(chk))
            else:
                left_out[chk.requirement].append(chk.id)
        return Resolved(chosen, dict(left_out), self.report(left_out))

    def _with_severity(self, chk: Check) -> Check:
        for selector in (chk.id, chk.requirement, _section_of(chk.requirement)):
            override = next(
                (sev for s, sev in self.severity.items() if normalise(s) == selector), None
            )
            if override is not None:
                return dataclasses.replace(chk, severity=Severity(override))
        return chk

    def report(self, left_out: dict[str, list[str]]) -> dict[str, Any]:
        return {
            "select": list(self.select),
            "skip": list(self.skip),
            "severity": {s: Severity(v).value for s, v in self.severity.items()},
            "not_run": sorted(c for ids in left_out.values() for c in ids),
        }


@dataclass(frozen=True, slots=True)
class Resolved:
    checks: list[Check]
    left_out: dict[str, list[str]]  # requirement -> ids of its checks that were left out
    report: dict[str, Any]


def normalise(selector: str) -> str:
    """`k8s-privileged` -> `K8S-PRIVILEGED`, `c4.1` / `4.1` -> `C4.1`, `4.1.1` stays."""
    selector = selector.strip()
    section = _SECTION.match(selector)
    if section:
        return f"C{section[1]}"
    return selector.upper()


def matches(selector: str, chk: Check) -> bool:
    wanted = normalise(selector)
    return wanted in (chk.id, chk.requirement, _section_of(chk.requirement))


def known(selector: str) -> bool:
    wanted = normalise(selector)
    catalog = load_catalog()
    return (
        wanted in REGISTRY
        or catalog.get(wanted) is not None
        or any(s.id == wanted for s in catalog.sections)
    )


def split_selectors(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Repeated and comma-separated option values as one tuple."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _section_of(requirement: str) -> str:
    return "C" + requirement.rsplit(".", 1)[0]
