"""OSCAL assessment results load into compliance-trestle's OSCAL models."""

from __future__ import annotations

from pathlib import Path

import pytest
from trestle.oscal.assessment_results import AssessmentResults

from c4guard.report import oscal
from tests.report.conftest import report


@pytest.fixture
def results(governed: Path, tmp_path: Path) -> AssessmentResults:
    out = tmp_path / "assessment-results.json"
    report(str(governed), "--format", "oscal", "-o", str(out))
    return AssessmentResults.oscal_read(out)


def test_loads_into_the_oscal_models(results: AssessmentResults) -> None:
    (result,) = results.results
    findings = {f.target.target_id: f for f in result.findings}
    assert len(findings) == 35
    assert findings["aisvs-c4-4.1.1"].target.status.state.value == "not-satisfied"
    assert findings["aisvs-c4-4.5.7"].target.status.state.value == "satisfied"
    assert findings["aisvs-c4-4.8.1"].target.status.state.value == "satisfied"
    assert findings["aisvs-c4-4.8.3"].target.status.reason == "other"
    statuses = {
        f.target.target_id: next(p.value for p in f.props if p.name == "status")
        for f in result.findings
    }
    assert statuses["aisvs-c4-4.5.7"] == "attested"
    selected = result.reviewed_controls.control_selections[0].include_controls
    assert {c.control_id for c in selected} == set(findings)


def test_observations_cite_findings_attestations_and_input_errors(
    results: AssessmentResults,
) -> None:
    (result,) = results.results
    observations = {o.uuid: o for o in result.observations}
    assert len(observations) == len(result.observations)  # unique UUIDs
    cited = {r.observation_uuid for f in result.findings for r in f.related_observations or []}
    assert cited <= set(observations)
    attested = next(f for f in result.findings if f.target.target_id == "aisvs-c4-4.5.7")
    evidence = [observations[r.observation_uuid] for r in attested.related_observations]
    assert any(o.methods == ["EXAMINE"] and o.expires is not None for o in evidence)
    suppressed = [
        o for o in result.observations if any(p.name == "suppressed-by" for p in o.props or [])
    ]
    assert {next(p.value for p in o.props if p.name == "suppressed-by") for o in suppressed} == {
        "inline",
        "annotation",
        "config",
    }
    assert any(
        o.types == ["discovery"] and "broken.yaml" in o.description for o in result.observations
    )
    passes = [o for o in result.observations if o.title.startswith("K8S-PROC-MOUNT pass")]
    (summary,) = passes  # one observation for all of a check's passing findings
    count = int(next(p.value for p in summary.props if p.name == "count"))
    assert count >= 2 and summary.description.count("\n- ") == count
    tool = result.local_definitions.components[0]
    assert all(
        o.origins[0].actors[0].actor_uuid == tool.uuid for o in result.observations if o.origins
    )


def test_missing_models_are_a_usage_error(monkeypatch, governed: Path) -> None:
    import builtins

    real_import = builtins.__import__

    def no_trestle(name, *args, **kwargs):
        if name.startswith("trestle"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_trestle)
    result = report(str(governed), "--format", "oscal")
    assert result.exit_code == 2 and oscal.MISSING in result.output
