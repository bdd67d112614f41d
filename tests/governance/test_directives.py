"""The suppression syntax of DESIGN.md: comments and annotations."""

from __future__ import annotations

from datetime import date

import pytest

from c4guard.model import Location
from c4guard.sources.directives import IGNORE_COMMENT, parse_annotation, parse_comment

HERE = Location("f.yaml", 3)


def comment(line: str):
    match = IGNORE_COMMENT.search(line)
    assert match, line
    return parse_comment(match["body"], HERE)


def test_full_comment() -> None:
    d = comment(
        '  privileged: true  # c4guard:ignore K8S-PRIVILEGED,4.1.2 reason="GPU '
        'driver; needs \\"host\\"" expires=2027-01-31 approver="sec@example.com"'
    )
    assert d.targets == ("K8S-PRIVILEGED", "4.1.2")
    assert d.reason == 'GPU driver; needs "host"'
    assert d.expires == date(2027, 1, 31) and d.approver == "sec@example.com"
    assert d.problem is None and d.source == "inline" and d.location == HERE


def test_hcl_comment_marker_and_lower_case_ids() -> None:
    d = comment("  // c4guard:ignore tf-s3-public reason=legacy expires=2030-01-01")
    assert d.targets == ("TF-S3-PUBLIC",) and d.reason == "legacy" and d.problem is None


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("# c4guard:ignore K8S-X expires=2030-01-01", "has no reason"),
        ('# c4guard:ignore K8S-X reason="r"', "has no expiry"),
        ('# c4guard:ignore K8S-X reason="r" expires=2030-13-01', "is not a date"),
        ('# c4guard:ignore K8S-X reason="r" expires=30.1.2030', "is not a date"),
        ('# c4guard:ignore reason="r" expires=2030-01-01', "names no check"),
        ('# c4guard:ignore K8S_X! reason="r" expires=2030-01-01', "not a check or requirement"),
        ('# c4guard:ignore K8S-X reason="r" expires=2030-01-01 until=x', "unknown field"),
        ("# c4guard:ignore K8S-X because it is fine", "cannot read"),
    ],
)
def test_malformed_comments_carry_their_problem(line: str, problem: str) -> None:
    d = comment(line)
    assert d.problem and problem in d.problem


def test_marker_inside_a_word_is_not_a_comment() -> None:
    assert IGNORE_COMMENT.search("image: repo/app#c4guard:ignore") is None
    assert IGNORE_COMMENT.search("# c4guard:ignoreX K8S-A") is None


def test_annotation_entries_one_per_line() -> None:
    value = (
        "K8S-PRIVILEGED,K8S-CAPS-ADDED: vendor agent; expires=2027-06-30; approver=sec\n"
        "4.1.2: profile is set by the node; expires=2027-06-30\n"
        "K8S-RUN-AS-NON-ROOT no colon; expires=2027-06-30\n"
    )
    first, second, third = parse_annotation(value, HERE)
    assert first.targets == ("K8S-PRIVILEGED", "K8S-CAPS-ADDED") and first.approver == "sec"
    assert first.reason == "vendor agent" and first.problem is None
    assert first.source == "annotation"
    assert second.targets == ("4.1.2",) and second.expires == date(2027, 6, 30)
    assert third.problem and "no `:`" in third.problem


def test_annotation_without_reason_or_expiry() -> None:
    (d,) = parse_annotation("K8S-PRIVILEGED: ; expires=2027-06-30", HERE)
    assert d.problem == "has no reason"
    (d,) = parse_annotation("K8S-PRIVILEGED: a reason", HERE)
    assert d.problem and "no expiry" in d.problem
