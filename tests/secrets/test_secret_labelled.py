"""The acceptance figures: precision and recall on the labelled set (>= 200 synthetic true
secrets across all rule families, >= 200 hard negatives), and every case on its own."""

from __future__ import annotations

import pytest

from c4guard.secrets import scan_text
from c4guard.secrets.rules import RULES
from tests.secrets.labelled_secrets import Case, all_cases, negative_cases, positive_cases

CASES = all_cases()


def _found_lines(case: Case) -> set[int]:
    return {match.line for match in scan_text(case.text, case.name)}


def test_the_set_is_large_enough_and_reproducible() -> None:
    positives, negatives = positive_cases(), negative_cases()
    assert sum(len(case.lines) for case in positives) >= 200
    assert len(negatives) >= 200
    assert [c.text for c in positive_cases()] == [c.text for c in positives]


def test_every_rule_is_exercised_by_a_true_secret() -> None:
    fired = {m.rule_id for case in positive_cases() for m in scan_text(case.text, case.name)}
    assert {rule.id for rule in RULES} - fired == set()


def test_precision_and_recall_meet_the_targets() -> None:
    expected = {(c.name, line) for c in CASES for line in c.lines}
    found = {(c.name, line) for c in CASES for line in _found_lines(c)}
    true_positives = len(found & expected)
    assert true_positives / len(found) >= 0.95
    assert true_positives / len(expected) >= 0.95


@pytest.mark.parametrize("case", [c for c in CASES if c.positive], ids=lambda c: c.name)
def test_true_secret_is_found_on_its_line(case: Case) -> None:
    assert _found_lines(case) == set(case.lines)


@pytest.mark.parametrize("case", [c for c in CASES if not c.positive], ids=lambda c: c.name)
def test_hard_negative_is_not_reported(case: Case) -> None:
    assert _found_lines(case) == set()
