"""Terraform checks: the marked findings of the fixtures, asserted by id, result and line
(markers in tests/checks/fixtures/terraform)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from c4guard.model import Assessment
from c4guard.sources import read_inputs
from tests.conftest import findings_of, scan_paths
from tests.expectations import expectations, unmet
from tests.sources.plans import plan_of

FIXTURES = Path(__file__).parents[1] / "fixtures" / "terraform"


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return scan_paths([str(FIXTURES)])


def test_every_marked_finding_is_reported_at_its_line(assessment: Assessment) -> None:
    missing = unmet(expectations(FIXTURES), findings_of(assessment))
    assert not missing, "\n".join(missing)


def test_fixtures_read_without_input_errors(assessment: Assessment) -> None:
    assert assessment.inputs.input_errors == []


def test_plans_of_the_fixtures_get_the_same_verdicts(assessment: Assessment, tmp_path) -> None:
    """Each fixture configuration, written as the plan Terraform would show, gives the same
    result per check and resource (the plan has no source lines and no code to judge for
    literal secrets)."""
    resources = [r for r in read_inputs([str(FIXTURES)]).resources if r.origin == "terraform"]
    roots = sorted({r.namespace for r in resources})
    plans = []
    for index, root in enumerate(roots):
        plan = tmp_path / f"plan-{index}.json"
        plan.write_text(json.dumps(plan_of([r for r in resources if r.namespace == root])))
        plans.append(str(plan))
    from_plans = _verdicts(scan_paths(plans))
    from_configuration = _verdicts(assessment)
    assert from_plans == from_configuration


def _verdicts(assessment: Assessment) -> set[tuple[str, str, str]]:
    return {
        (f.check_id, f.resource.name, f.result.value)
        for f in findings_of(assessment)
        if f.check_id.startswith("TF-") and f.check_id not in PLAN_BLIND
    }


# Literal secrets are judged in code only (a plan shows values, not where they were written).
PLAN_BLIND = {"TF-SECRET-LITERAL"}
