"""The labelled precision set against a fresh scan of the corpus (issue 15)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.conftest import shared_path
from tests.precision.findings import scanned_findings
from tests.precision.labels import load_labels, problems

MIN_LABELS, MIN_CHECKS, REPOSITORIES = 400, 60, 10


def test_the_labelled_set_is_broad_enough() -> None:
    labels = load_labels()
    assert len(labels) >= MIN_LABELS
    assert len({label.check for label in labels}) >= MIN_CHECKS
    assert len({label.repo for label in labels}) == REPOSITORIES
    assert {label.result for label in labels} >= {"fail", "pass"}
    keys = Counter((*label.key, label.result, label.where) for label in labels)
    assert not [key for key, count in keys.items() if count > 1], "duplicate labels"
    assert all(label.reason.strip() for label in labels), "every label gives its reason"


@pytest.mark.slow
def test_todays_findings_agree_with_the_labels() -> None:
    shared_path("corpus")
    labels = load_labels()
    issues = problems(labels, scanned_findings({label.repo for label in labels}))
    assert not issues, "\n".join(issues)
