"""Build-pipeline checks (Dockerfile, compose, CI workflows): every marked finding in the
fixtures is reported at its line, and every check has failing and passing fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from c4guard.checks import all_checks
from tests.conftest import findings_of, scan_paths
from tests.expectations import Expectation, expectations, unmet

FIXTURES = Path(__file__).parent / "fixtures"
AREAS = {"docker": ("docker",), "compose": ("compose",), "workflows": ("workflows", "gitlab")}


def marked(domain: str) -> list[Expectation]:
    return [e for area in AREAS[domain] for e in expectations(FIXTURES / area)]


@pytest.mark.parametrize("domain", sorted(AREAS))
def test_every_marked_finding_is_reported_at_its_line(domain: str) -> None:
    assessment = scan_paths([str(FIXTURES / area) for area in AREAS[domain]])
    missing = unmet(marked(domain), findings_of(assessment))
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    "check", [c for c in all_checks() if c.domain in AREAS], ids=lambda c: c.id
)
def test_every_check_has_failing_and_passing_fixtures(check) -> None:
    results = {e.result for e in marked(check.domain) if e.check_id == check.id}
    assert results >= {"pass", "fail"}, f"{check.id} lacks fixtures: has {results}"
