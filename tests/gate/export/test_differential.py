"""The exported CEL says what the Python checks say: the gate's verdict and the CEL
verdict agree, check by check, on every workload of the corpus and the fixtures and on
generated ones (docs/gate.md, "Webhook or native policies?")."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from c4guard.checks import all_checks
from c4guard.config import Config
from c4guard.config.gate import GatePolicy, ImageVerification, Rule
from c4guard.gate.decision import Gate
from c4guard.gate.export.declarations import DECLARATIONS, NOT_EXPRESSIBLE, Declaration
from tests.conftest import shared_path
from tests.gate.export.admissible import admissible
from tests.gate.export.differential import (
    EXPORTED,
    ROOT,
    CelJudge,
    PythonJudge,
    Tally,
    differential,
    workloads_in,
)
from tests.gate.export.strategies import sample_workloads, workloads

OBJECTS_PER_CHECK = 10_000
MUTANTS = ROOT / "tests" / "data" / "export" / "wrong-cel.yaml"
CONFIG = Config()


def _report(tally: Tally) -> str:
    lines = [f"{len(tally.disagreements)} disagreement(s)"]
    for check_id, body, python, cel in tally.disagreements[:5]:
        lines.append(f"{check_id}: python fails={python}, CEL fails={cel}: {json.dumps(body)}")
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_corpus_fixtures_and_generated_workloads_agree():
    corpus = workloads_in(shared_path("corpus"), ROOT / "tests" / "data", ROOT / "examples")
    found = [o for o in corpus if admissible(o[0])]
    assert len(found) > 1000, "the corpus and fixtures hold over a thousand workloads"
    generated = list(sample_workloads(OBJECTS_PER_CHECK - len(found) + 100, seed=20))
    tally = differential(found + generated, CONFIG)
    assert not tally.disagreements, _report(tally)
    assert set(tally.objects) == set(EXPORTED)
    assert min(tally.objects.values()) >= OBJECTS_PER_CHECK


_PYTHON = PythonJudge(CONFIG)
_CEL = CelJudge(CONFIG)
_HYPOTHESIS_TALLY = Tally()


@pytest.mark.slow
@settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(workloads())
def test_hypothesis_workloads_agree(workload):
    """Hypothesis explores the same fields and shrinks a disagreement to a minimal object."""
    body, namespace = workload
    tally = Tally()
    tally.compare(body, _PYTHON.failing(body, namespace), _CEL.failing(body, namespace), EXPORTED)
    assert not tally.disagreements, _report(tally)


def _mutants() -> list[tuple[str, str, str]]:
    data = yaml.safe_load(MUTANTS.read_text())
    return [(m["check"], m["find"], m["replace"]) for m in data["mutants"]]


@pytest.mark.slow
@pytest.mark.parametrize("check_id, find, replace", _mutants())
def test_a_wrong_expression_is_caught(check_id: str, find: str, replace: str):
    """A deliberately wrong CEL expression (tests/data/export/wrong-cel.yaml) disagrees
    with the Python check on generated workloads."""
    right = DECLARATIONS[check_id].allowed()
    assert right.count(find) >= 1, f"{find!r} is not in the {check_id} expression"
    wrong = Declaration(check_id, expression=right.replace(find, replace))
    cel = CelJudge(CONFIG, declarations={check_id: wrong})
    tally = Tally()
    for body, namespace in sample_workloads(3000, seed=5):
        tally.compare(
            body, _PYTHON.failing(body, namespace), cel.failing(body, namespace), (check_id,)
        )
        if tally.disagreements:
            break
    assert tally.disagreements, f"the wrong {check_id} expression went unnoticed"


@pytest.mark.slow
def test_both_engines_agree_on_fixtures():
    """cel-python (RE2, no heterogeneous equality) gives the verdicts cel-rust gives; it is
    about a thousand times slower on these expressions, so only a few objects."""
    rust, celpy = CelJudge(CONFIG), CelJudge(CONFIG, "cel-python")
    for body, namespace in list(sample_workloads(3, seed=9)):
        assert rust.failing(body, namespace) == celpy.failing(body, namespace)


def test_checks_without_cel_are_never_judged_on_one_object_alone():
    """Every check the gate judges on one object is exported or listed as not expressible;
    the rest are always left to the scan."""
    gate = Gate(
        CONFIG,
        GatePolicy(rules=[Rule(action="deny")], images=ImageVerification(verify=False)),
        None,
    )
    covered = set(DECLARATIONS) | set(NOT_EXPRESSIBLE)
    objects = workloads_in(ROOT / "examples", ROOT / "tests" / "gate")
    objects += tuple(sample_workloads(150, seed=3))
    judged: set[str] = set()
    from c4guard.gate.admission import to_mapping
    from c4guard.sources.kubernetes import resources_from_document
    from c4guard.sources.yamlload import Document

    for body, namespace in objects:
        [resource] = resources_from_document(Document(to_mapping(body), 1, 1), "<t>", namespace)
        decision, _ = gate.judge_object(resource)
        judged |= {r.code for r in decision.denials if r.source == "check"}
    assert judged - covered == set()
    assert judged >= set(DECLARATIONS) - {"K8S-ACCELERATOR-LIMITS"}
    kubernetes = {c.id for c in all_checks() if c.domain == "kubernetes"}
    assert covered <= kubernetes
