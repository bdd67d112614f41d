"""Terraform checks: every check has failing and passing fixtures, asserted by id, result
and line (markers in tests/checks/fixtures/terraform)."""

from __future__ import annotations

from pathlib import Path

import pytest

from c4guard.checks import all_checks
from c4guard.model import Assessment
from tests.conftest import findings_of, scan_paths
from tests.expectations import expectations, unmet

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"
TERRAFORM_CHECKS = sorted(c.id for c in all_checks() if c.domain == "terraform")


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return scan_paths([str(FIXTURES)])


def test_every_marked_finding_is_reported_at_its_line(assessment: Assessment) -> None:
    missing = unmet(expectations(FIXTURES), findings_of(assessment))
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("check_id", TERRAFORM_CHECKS)
def test_every_check_has_failing_and_passing_fixtures(check_id: str) -> None:
    results = {e.result for e in expectations(FIXTURES) if e.check_id == check_id}
    assert results >= {"pass", "fail"}, f"{check_id} lacks fixtures: has {results}"


def test_fixtures_read_without_input_errors(assessment: Assessment) -> None:
    assert assessment.inputs.input_errors == []
