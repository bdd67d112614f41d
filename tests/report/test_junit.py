"""JUnit XML: a test case per requirement; failures carry the failing findings."""

from __future__ import annotations

from pathlib import Path

import defusedxml.ElementTree as SafeET

from tests.report.conftest import report


def junit_of(*args: str):
    return SafeET.fromstring(report(*args, "--format", "junit").stdout.encode("utf-8"))


def cases(root) -> dict[str, object]:
    return {c.get("name").split()[0]: c for c in root.iter("testcase")}


def test_a_case_per_requirement_with_failures_and_skips(governed: Path) -> None:
    root = junit_of(str(governed))
    by_id = cases(root)
    assert len([k for k in by_id if k[0] == "4"]) == 35
    failure = by_id["4.1.1"].find("failure")
    assert failure is not None and failure.get("type") == "fail"
    assert "suppressions.yaml:" in failure.text and "K8S-PRIVILEGED" in failure.text
    assert "fix:" in failure.text
    assert by_id["4.5.7"].find("system-out").text.startswith("attested:")
    assert "expired on 2020-06-30" in by_id["4.8.3"].find("skipped").get("message")
    assert by_id["4.8.1"].find("skipped").get("message").startswith("not applicable")
    inputs = by_id["every"].find("failure")
    assert inputs is not None and "broken.yaml" in inputs.text
    failures = sum(1 for c in root.iter("testcase") if c.find("failure") is not None)
    assert int(root.get("failures")) == failures and int(root.get("tests")) == 36
    for suite in root.iter("testsuite"):
        assert int(suite.get("tests")) == len(suite.findall("testcase"))


def test_level_and_fail_on_decide_what_fails(governed: Path) -> None:
    level_one = cases(junit_of(str(governed), "--level", "1"))
    assert level_one["4.1.3"].find("failure") is None
    assert "above --level 1" in level_one["4.1.3"].find("skipped").get("message")
    review = cases(junit_of(str(governed), "--fail-on", "review"))
    assert review["4.2.1"].find("failure").get("type") == "review"


def test_control_characters_do_not_break_the_xml(write, tmp_path: Path) -> None:
    write(
        "pod.json",
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a\\u0001b", '
        '"namespace": "ns"}, "spec": {"containers": [{"name": "c\\u0000", "image": "x", '
        '"securityContext": {"privileged": true}}]}}',
    )
    root = junit_of(str(tmp_path))
    assert "a\ufffdb" in cases(root)["4.1.1"].find("failure").text
