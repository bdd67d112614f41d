"""Kustomize overlays are built and judged: a patch's setting fails in the overlay's report at
the patch's line, bases and patches are not judged alone, remote bases are not fetched, and a
failed build is an input error."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from c4guard.cli import main
from c4guard.sources import ReadOptions, read_inputs
from c4guard.sources.render.tools import NONE

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.25
"""
PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          securityContext:
            privileged: true
"""


def tree(write) -> None:
    write("base/deployment.yaml", DEPLOYMENT)
    write("base/kustomization.yaml", "resources: [deployment.yaml]\n")
    write("overlays/prod/patch.yaml", PATCH)
    write(
        "overlays/prod/kustomization.yaml",
        "namespace: prod\nnamePrefix: prod-\nresources: [../../base]\npatches:\n"
        "  - path: patch.yaml\n",
    )


def findings(report: dict, check: str) -> list[dict]:
    return [
        f
        for r in report["requirements"]
        for f in r["findings"]
        if f["check_id"] == check and f["result"] == "fail"
    ]


def scan(path: Path) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["scan", str(path), "--format", "json"])
    return result.exit_code, json.loads(result.output)


def test_a_patch_adding_privileged_fails_in_the_overlay_at_the_patch_line(
    write, tmp_path: Path, renderers
) -> None:
    tree(write)
    _, report = scan(tmp_path)
    [finding] = findings(report, "K8S-PRIVILEGED")
    assert finding["path"] == str(tmp_path / "overlays/prod/patch.yaml")
    assert finding["line"] == 11
    resource = finding["resource"]
    assert (resource["name"], resource["namespace"]) == ("prod-web", "prod")
    assert resource["render"] == "kustomize overlays/prod"
    # the base is judged through the overlay only: every finding on it is the overlay's
    web = [
        f
        for r in report["requirements"]
        for f in r["findings"]
        if f["resource"]["kind"] == "Deployment"
    ]
    assert web and all(f["resource"]["render"] == "kustomize overlays/prod" for f in web)
    # a setting written in the base is located in the base file
    [image] = [f for f in web if f["check_id"] == "K8S-IMAGE-DIGEST"]
    assert (image["path"], image["line"]) == (str(tmp_path / "base/deployment.yaml"), 14)
    assert report["skipped"]["judged through a chart or overlay render"] == 1


def test_a_base_used_by_no_overlay_is_built_on_its_own(write, tmp_path: Path, renderers) -> None:
    write("base/deployment.yaml", DEPLOYMENT)
    write("base/kustomization.yaml", "resources: [deployment.yaml]\n")
    inputs = read_inputs([str(tmp_path)])
    [web] = inputs.resources
    assert web.render == "kustomize base" and web.location.path == str(
        tmp_path / "base/deployment.yaml"
    )


def test_a_remote_base_is_not_fetched_and_the_overlay_is_named(
    write, tmp_path: Path, renderers
) -> None:
    write(
        "kustomization.yaml",
        "resources:\n  - https://github.com/kubeflow/manifests//common/istio?ref=v1.9.0\n",
    )
    inputs = read_inputs([str(tmp_path)])
    [notice] = inputs.summary.render_notices
    assert "remote base" in notice.message and "not fetched" in notice.message
    assert inputs.summary.gaps and not inputs.summary.input_errors


def test_a_failed_build_is_an_input_error_with_the_message_and_exits_1(
    write, tmp_path: Path, renderers
) -> None:
    tree(write)
    write("overlays/prod/kustomization.yaml", "resources: [../../base, missing.yaml]\n")
    code, report = scan(tmp_path)
    assert code == 1
    [error] = report["input_errors"]
    assert error["path"] == str(tmp_path / "overlays/prod")
    assert "missing.yaml" in error["reason"] and "kustomize build failed" in error["reason"]


def test_without_a_renderer_the_overlay_is_named_and_read_as_written(write, tmp_path: Path) -> None:
    tree(write)
    inputs = read_inputs([str(tmp_path)], ReadOptions(renderers=NONE))
    assert [n.path for n in inputs.summary.render_notices] == [str(tmp_path / "overlays/prod")]
    assert [r.name for r in inputs.resources] == ["web"]  # the base as written
    assert inputs.summary.gaps


def test_a_generated_object_is_located_at_the_overlay_kustomization(
    write, tmp_path: Path, renderers
) -> None:
    write("app/settings.env", "MODEL=llama\n")
    overlay = write(
        "app/kustomization.yaml",
        "configMapGenerator:\n  - name: settings\n    envs: [settings.env]\n",
    )
    [config_map] = read_inputs([str(tmp_path)]).resources
    assert config_map.kind == "ConfigMap" and config_map.location.path == str(overlay)


def test_a_failed_build_names_paths_as_the_user_gave_the_root(
    write, tmp_path: Path, renderers, monkeypatch
) -> None:
    """The renderer resolves paths absolutely; the report speaks in the root as given, so
    the same tree reports the same wherever it lies."""
    tree(write)
    write("overlays/prod/kustomization.yaml", "resources: [../../base, missing.yaml]\n")
    monkeypatch.chdir(tmp_path.parent)
    code, report = scan(Path(tmp_path.name))
    [error] = report["input_errors"]
    assert code == 1 and error["path"] == f"{tmp_path.name}/overlays/prod"
    assert f"{tmp_path.name}/overlays/prod/missing.yaml" in error["reason"]
    assert str(tmp_path) not in error["reason"], error["reason"]
