"""SARIF 2.1.0: valid against the OASIS schema, shaped as GitHub code scanning expects,
with suppressions and fingerprints that survive line moves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from c4guard.report.sarif import artifact_location
from tests.conftest import REPO
from tests.report.conftest import report

GITHUB_MAX_RESULTS, GITHUB_MAX_TAGS = 25_000, 20


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    return json.loads((REPO / "tests" / "data" / "schemas" / "sarif-schema-2.1.0.json").read_text())


def sarif_of(*args: str) -> dict[str, Any]:
    return json.loads(report(*args, "--format", "sarif").stdout)


def assert_valid(document: dict[str, Any], schema: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(document)
    assert_github_conventions(document)


def assert_github_conventions(document: dict[str, Any]) -> None:
    """The properties GitHub code scanning requires, and its upload limits."""
    assert document["$schema"] and document["version"] == "2.1.0"
    for run in document["runs"]:
        driver = run["tool"]["driver"]
        assert driver["name"] == "c4guard" and driver["rules"]
        rule_ids = [r["id"] for r in driver["rules"]]
        assert len(rule_ids) == len(set(rule_ids))
        for rule in driver["rules"]:
            assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
            assert rule["help"]["text"] and len(rule["properties"]["tags"]) <= GITHUB_MAX_TAGS
            severity = rule["properties"].get("security-severity")
            assert severity is None or 0.0 < float(severity) <= 10.0
            assert rule["defaultConfiguration"]["level"] in ("note", "warning", "error")
        assert len(run["results"]) <= GITHUB_MAX_RESULTS
        for result in run["results"]:
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]
            assert result["message"]["text"]
            assert result["partialFingerprints"]["primaryLocationLineHash"]
            for location in result.get("locations", []):
                physical = location["physicalLocation"]
                assert physical["artifactLocation"]["uri"]
                assert physical.get("region", {"startLine": 1})["startLine"] >= 1


def test_insecure_example_validates(sarif_schema: dict[str, Any], monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    document = sarif_of("examples/insecure-platform")
    assert_valid(document, sarif_schema)
    run = document["runs"][0]
    privileged = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "K8S-PRIVILEGED")
    assert privileged["properties"]["security-severity"] == "9.5"
    assert {"security", "aisvs-4.1.1", "aisvs-level-1"} <= set(privileged["properties"]["tags"])
    assert "Remediation" in privileged["help"]["markdown"]
    result = next(r for r in run["results"] if r["ruleId"] == "K8S-PRIVILEGED")
    location = result["locations"][0]["physicalLocation"]
    uri = location["artifactLocation"]["uri"]
    assert uri.startswith("examples/insecure-platform/")
    assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
    lines = (REPO / uri).read_text().splitlines()
    assert "privileged: true" in lines[location["region"]["startLine"] - 1]
    assert result["level"] == "error"


def test_suppressions_input_errors_and_hostile_text(
    governed: Path, sarif_schema: dict[str, Any]
) -> None:
    document = sarif_of(str(governed))
    assert_valid(document, sarif_schema)
    run = document["runs"][0]
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    kinds = {(s["kind"], s["properties"]["source"]) for r in suppressed for s in r["suppressions"]}
    assert kinds == {("inSource", "inline"), ("inSource", "annotation"), ("external", "config")}
    inline = next(
        r["suppressions"][0]
        for r in suppressed
        if r["suppressions"][0]["properties"]["source"] == "inline"
    )
    assert inline["status"] == "accepted"
    assert "GPU driver installer needs the host (expires 2099-12-31)" in inline["justification"]
    (error,) = run["invocations"][0]["toolExecutionNotifications"]
    location = error["locations"][0]["physicalLocation"]
    assert error["level"] == "error" and location["artifactLocation"]["uri"].endswith("broken.yaml")
    assert location["region"]["startLine"] >= 2


def test_fingerprints_survive_line_moves(write, tmp_path: Path) -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n"
        "  containers: [{name: app, image: x, securityContext: {privileged: true}}]\n"
    )
    path = write("pod.yaml", pod)

    def fingerprints() -> dict[tuple[str, str], tuple[str, int]]:
        results = sarif_of(str(path))["runs"][0]["results"]
        return {
            (r["ruleId"], r["partialFingerprints"]["primaryLocationLineHash"]): (
                r["partialFingerprints"]["c4guard/v1"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in results
        }

    before = fingerprints()
    path.write_text("# moved\n# down\n" + pod)
    after = fingerprints()
    assert before.keys() == after.keys()
    assert all(after[k][1] == before[k][1] + 2 for k in before)


def test_artifact_locations(tmp_path: Path) -> None:
    assert artifact_location("k8s/../k8s/a b.yaml") == {
        "uri": "k8s/a%20b.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert artifact_location(str(tmp_path / "x.yaml"))["uri"] == (tmp_path / "x.yaml").as_uri()
    assert artifact_location("../outside.yaml")["uri"].startswith("file:///")
    assert artifact_location("<stdin>") == {"uri": "%3Cstdin%3E"}
