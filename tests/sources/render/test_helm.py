"""Helm charts are rendered and judged: every variant, findings located in the template or
values file that set the value, inline suppressions, dependencies, failures and no renderer."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from c4guard.cli import main
from c4guard.config import Config
from c4guard.engine import ScanRequest, assess
from c4guard.model import Result, Status
from c4guard.sources import ReadOptions, read_inputs
from c4guard.sources.render.settings import RenderSection
from c4guard.sources.render.tools import NONE, SDK_WORKER, Renderer, Renderers

CHART = "apiVersion: v2\nname: demo\nversion: 0.1.0\n"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: "nginx:{{ .Values.tag }}"
          securityContext:
            privileged: {{ .Values.privileged }}
"""
LITERAL = """\
apiVersion: v1
kind: Pod
metadata:
  name: debug
spec:
  containers:
    - name: shell
      image: busybox:1.36
      securityContext:
        allowPrivilegeEscalation: true
        privileged: true
"""


def chart(write, root: str = "chart") -> None:
    write(f"{root}/Chart.yaml", CHART)
    write(f"{root}/values.yaml", "tag: '1.25'\nprivileged: false\n")
    write(f"{root}/templates/deployment.yaml", DEPLOYMENT)


def privileged(report: dict) -> list[dict]:
    return [
        f
        for r in report["requirements"]
        for f in r["findings"]
        if f["check_id"] == "K8S-PRIVILEGED" and f["result"] == "fail"
    ]


def scan(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(main, ["scan", *args, "--format", "json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.output)


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_privileged_literal_in_a_template_fails_at_the_template_line(
    write, tmp_path: Path, renderers
) -> None:
    chart(write)
    template = write("chart/templates/debug.yaml", LITERAL)
    _, report = scan(str(tmp_path))
    [finding] = privileged(report)
    assert finding["path"] == str(template)
    assert finding["line"] == line_of(template, "privileged: true")
    assert finding["resource"]["render"] == "helm chart [default values] release release-name"


def test_privileged_set_only_through_a_values_file_fails_at_the_values_line(
    write, tmp_path: Path, renderers
) -> None:
    chart(write)
    prod = write("chart/values-prod.yaml", "tag: '1.26'\nprivileged: true\n")
    _, report = scan(str(tmp_path))
    [finding] = privileged(report)  # the default variant (privileged: false) passes
    assert (finding["path"], finding["line"]) == (str(prod), 2)
    assert finding["resource"]["name"] == "release-name-web"
    assert finding["resource"]["render"] == "helm chart [values-prod.yaml] release release-name"
    passed = [
        f
        for r in report["requirements"]
        for f in r["findings"]
        if f["check_id"] == "K8S-PRIVILEGED" and f["result"] == "pass"
    ]
    assert any("[default values]" in f["resource"]["render"] for f in passed)


def test_ci_values_and_config_variants_with_release_namespace_and_set(
    write, tmp_path: Path, renderers
) -> None:
    chart(write)
    write("chart/ci/gpu-values.yaml", "privileged: true\n")
    write(
        "c4guard.yaml",
        """
        version: 1
        render:
          helm:
            charts:
              chart:
                - name: staging
                  release: rel
                  namespace: ml
                  set: ["tag=1.27", "privileged=true"]
        """,
    )
    _, report = scan(str(tmp_path))
    renders = {f["resource"]["render"]: f for f in privileged(report)}
    assert set(renders) == {
        "helm chart [ci/gpu-values.yaml] release release-name",
        "helm chart [staging] release rel",
    }
    staging = renders["helm chart [staging] release rel"]["resource"]
    assert (staging["name"], staging["namespace"]) == ("rel-web", "ml")


def test_fingerprints_are_stable_across_renders_and_distinct_per_variant(
    write, tmp_path: Path, renderers
) -> None:
    chart(write)
    write("chart/values-a.yaml", "privileged: true\n")
    write("chart/values-b.yaml", "privileged: true\n")
    first = [f["fingerprint"] for f in privileged(scan(str(tmp_path))[1])]
    second = [f["fingerprint"] for f in privileged(scan(str(tmp_path), "--jobs", "2")[1])]
    assert sorted(first) == sorted(second) and len(set(first)) == 2


def test_inline_ignore_in_a_template_and_in_a_values_file(write, tmp_path: Path, renderers) -> None:
    chart(write)
    write(
        "chart/templates/debug.yaml",
        LITERAL.replace(
            "        privileged: true\n",
            "        privileged: true  # c4guard:ignore K8S-PRIVILEGED "
            'reason="debug pod" expires=2999-01-01\n',
        ),
    )
    write(
        "chart/values-prod.yaml",
        '# c4guard:ignore K8S-PRIVILEGED reason="GPU driver" expires=2999-01-01\n'
        "privileged: true\n",
    )
    _, report = scan(str(tmp_path))
    found = privileged(report)
    assert len(found) == 3  # the debug pod in both variants, the prod variant's web
    assert all(f["suppression"] and f["suppression"]["source"] == "inline" for f in found)


def test_vendored_dependency_judged_through_its_parent_missing_one_is_a_gap(
    write, tmp_path: Path, renderers
) -> None:
    write(
        "app/Chart.yaml",
        CHART + "dependencies:\n  - {name: sub, version: 0.1.0}\n"
        "  - {name: redis, version: 19.0.0, repository: https://charts.example.com}\n",
    )
    write("app/charts/sub/Chart.yaml", "apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    template = write("app/charts/sub/templates/debug.yaml", LITERAL)
    inputs = read_inputs([str(tmp_path)])
    [pod] = inputs.resources
    assert pod.location.path == str(template)
    assert pod.render == "helm app [default values] release release-name"
    [gap] = inputs.summary.gaps
    assert "redis 19.0.0 from https://charts.example.com is not vendored" in gap.reason


def test_a_failed_render_is_an_input_error_naming_the_chart_and_exits_1(
    write, tmp_path: Path, renderers
) -> None:
    write("broken/Chart.yaml", CHART)
    write("broken/templates/x.yaml", '{{ fail "the values need a model name" }}\n')
    code, report = scan(str(tmp_path))
    assert code == 1 and not [r for r in report["requirements"] if r["status"] == "fail"]
    [error] = report["input_errors"]
    assert error["path"] == str(tmp_path / "broken")
    assert "the values need a model name" in error["reason"]
    chart(write)
    _, report = scan(str(tmp_path))
    assert len(report["input_errors"]) == 1 and report["summary"]["resources"] == 1


def test_without_a_renderer_each_chart_is_named_and_nothing_passes_on_its_account(
    write, tmp_path: Path
) -> None:
    chart(write, "one")
    chart(write, "two")
    inputs = read_inputs([str(tmp_path)], ReadOptions(renderers=NONE))
    assert inputs.resources == []
    assert sorted(n.path for n in inputs.summary.render_notices) == [
        str(tmp_path / "one"),
        str(tmp_path / "two"),
    ]
    assert all("not judged: no Helm renderer" in n.message for n in inputs.summary.render_notices)
    write("pod.yaml", LITERAL.replace("privileged: true", "privileged: false"))
    inputs = read_inputs([str(tmp_path)], ReadOptions(renderers=NONE))
    assessment = assess(inputs, Config(), ScanRequest([str(tmp_path)], 3, "fail"))
    k8s = [
        r for r in assessment.requirements if any(f.check_id.startswith("K8S") for f in r.findings)
    ]
    assert k8s and all(r.status is not Status.PASS for r in k8s)
    passing_only = [
        r
        for r in k8s
        if all(f.result is Result.PASS for f in r.findings if f.check_id[:3] == "K8S")
    ]
    assert passing_only and all(r.status is Status.REVIEW for r in passing_only)
    assert all("not judged" in r.reason for r in passing_only)


def test_scan_without_a_renderer_names_each_chart_and_no_requirement_passes(
    write, tmp_path: Path
) -> None:
    chart(write, "serving")
    chart(write, "training")
    write("pod.yaml", LITERAL.replace("true", "false"))  # something read, all of it passing
    result = CliRunner(env={"C4GUARD_RENDERERS": "none"}).invoke(
        main, ["scan", str(tmp_path), "--format", "json"]
    )
    report = json.loads(result.output)
    notices = {n["path"]: n["message"] for n in report["render_notices"]}
    assert set(notices) == {str(tmp_path / "serving"), str(tmp_path / "training")}
    assert all(m.startswith("not judged: no Helm renderer") for m in notices.values())
    assert not [r for r in report["requirements"] if r["status"] == "pass"]
    passing = [f for r in report["requirements"] for f in r["findings"] if f["result"] == "pass"]
    assert any(f["check_id"] == "K8S-PRIVILEGED" for f in passing)
    text = CliRunner(env={"C4GUARD_RENDERERS": "none"}).invoke(main, ["scan", str(tmp_path)])
    assert f"{tmp_path / 'serving'}: not judged" in text.output


def test_a_relative_scan_root_renders_and_reports_relative_paths(
    write, tmp_path: Path, renderers, monkeypatch
) -> None:
    chart(write)
    write("chart/values-prod.yaml", "privileged: true\n")
    monkeypatch.chdir(tmp_path)
    _, report = scan(".")
    assert report["input_errors"] == []
    [finding] = privileged(report)
    assert (finding["path"], finding["line"]) == ("chart/values-prod.yaml", 1)


def test_capabilities_the_sdk_cannot_set_are_named(write, tmp_path: Path, renderers) -> None:
    chart(write)
    sdk = Renderers(helm=Renderer((sys.executable, "-I", SDK_WORKER), "helm-python-sdk"))
    settings = RenderSection.model_validate({"helm": {"kube_version": "1.30.0"}})
    inputs = read_inputs([str(tmp_path)], ReadOptions(render=settings, renderers=sdk))
    [notice] = inputs.summary.render_notices
    assert "cannot set kube_version" in notice.message and inputs.resources
