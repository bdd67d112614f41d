"""Baselines: only new failures fail; findings keep matching when lines move, documents
are reordered and containers are reordered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.cli import main
from tests.governance.conftest import scan_json

SERVE = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: serve, namespace: ml}
spec:
  template:
    spec:
      containers:
        - name: model
          image: registry.example/vllm:1
          securityContext: {privileged: true}
        - name: sidecar
          image: registry.example/proxy:1
"""
TRAIN = """
apiVersion: batch/v1
kind: Job
metadata: {name: train, namespace: ml}
spec:
  template:
    spec:
      hostNetwork: true
      containers:
        - name: trainer
          image: registry.example/trainer:1
"""
# The same objects: documents swapped, lines added, containers reordered, keys moved.
MOVED = """
# a long comment
# that moves every line down
apiVersion: batch/v1
kind: Job
metadata:
  namespace: ml
  name: train
  labels: {team: research}
spec:
  template:
    spec:
      containers:
        - image: registry.example/trainer:1
          name: trainer
      hostNetwork: true
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: serve, namespace: ml}
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: sidecar
          image: registry.example/proxy:1
        - name: model

          image: registry.example/vllm:1
          securityContext: {privileged: true}
"""
NEW_FAILURE = MOVED.replace(
    """        - name: sidecar
          image: registry.example/proxy:1""",
    """        - name: sidecar
          image: registry.example/proxy:1
          securityContext: {privileged: true}""",
)


@pytest.fixture
def baseline(write, tmp_path: Path) -> Path:
    write("k8s/apps.yaml", SERVE + "---" + TRAIN)
    target = tmp_path / "c4guard-baseline.json"
    result = CliRunner().invoke(
        main, ["scan", str(tmp_path / "k8s"), "--create-baseline", str(target)]
    )
    assert result.exit_code == 1  # creating a baseline changes neither report nor exit code
    return target


def failing(report) -> int:
    return report["summary"]["findings"]["fail"] + report["summary"]["findings"]["unknown"]


def test_baseline_records_fingerprints_not_lines(baseline: Path) -> None:
    document = json.loads(baseline.read_text())
    assert document["version"] == 1 and document["findings"]
    entry = document["findings"][0]
    assert set(entry) >= {"fingerprint", "path", "check_id", "resource"}
    assert "line" not in entry


def test_baseline_matches_after_lines_move_and_reordering(
    write, tmp_path: Path, baseline: Path
) -> None:
    before = json.loads(baseline.read_text())["findings"]
    write("k8s/apps.yaml", MOVED)
    code, report = scan_json(str(tmp_path / "k8s"), "--baseline", str(baseline))
    assert failing(report) == 0, "a moved finding was taken for a new one"
    assert report["governance"]["baseline"] == {
        "path": str(baseline),
        "created_at": report["governance"]["baseline"]["created_at"],
        "entries": len(before),
        "matched": len(before),
        "new": 0,
        "gone": 0,
    }
    suppressed = [f for r in report["requirements"] for f in r["findings"] if f["suppression"]]
    assert {f["suppression"]["source"] for f in suppressed} == {"baseline"}
    assert code == 0


def test_only_new_failures_fail(write, tmp_path: Path, baseline: Path) -> None:
    write("k8s/apps.yaml", NEW_FAILURE)
    code, report = scan_json(str(tmp_path / "k8s"), "--baseline", str(baseline))
    assert code == 1
    new = [
        f
        for r in report["requirements"]
        for f in r["findings"]
        if f["result"] == "fail" and not f["suppression"]
    ]
    assert [(f["check_id"], f["subject"]) for f in new] == [("K8S-PRIVILEGED", "container sidecar")]
    assert report["governance"]["baseline"]["new"] == 1


def test_fixed_findings_are_counted_as_gone(write, tmp_path: Path, baseline: Path) -> None:
    write("k8s/apps.yaml", SERVE.replace("securityContext: {privileged: true}", "") + "---" + TRAIN)
    _, report = scan_json(str(tmp_path / "k8s"), "--baseline", str(baseline))
    assert report["governance"]["baseline"]["gone"] >= 1


def test_a_finding_moved_to_another_file_still_matches(
    write, tmp_path: Path, baseline: Path
) -> None:
    (tmp_path / "k8s" / "apps.yaml").unlink()
    write("k8s/serve.yaml", SERVE)
    write("k8s/train.yaml", TRAIN)
    _, report = scan_json(str(tmp_path / "k8s"), "--baseline", str(baseline))
    assert failing(report) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "invalid JSON"),
        ('{"version": 2, "findings": []}', "version"),
        ('{"version": 1, "findings": [{"fingerprint": "xyz", "path": "a"}]}', "fingerprint"),
    ],
)
def test_a_bad_baseline_is_a_usage_error(write, tmp_path: Path, content: str, message: str) -> None:
    write("k8s/apps.yaml", SERVE)
    bad = write("baseline.json", content)
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "k8s"), "--baseline", str(bad)])
    assert result.exit_code == 2 and "not a c4guard baseline" in result.output
    assert message in result.output
