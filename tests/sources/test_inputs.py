"""Reading inputs: discovery, formats, Helm and Kustomize layouts, and bad input that
becomes an input error while the rest of the scan is reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from c4guard.sources import ReadOptions, read_inputs
from c4guard.sources.kubernetes import UNSPECIFIED_NAMESPACE
from c4guard.sources.render.tools import NONE

POD = """
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: ns
spec:
  containers:
    - name: app
      image: busybox
"""


def names(inputs) -> set[str]:
    return {r.name for r in inputs.resources}


def test_multi_document_and_list_kinds(write, tmp_path: Path) -> None:
    write("stream.yaml", POD.format(name="a") + "---\n" + POD.format(name="b"))
    write(
        "list.yaml",
        """
        apiVersion: v1
        kind: List
        items:
          - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
          - apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
    """,
    )
    inputs = read_inputs([str(tmp_path)])
    assert names(inputs) == {"a", "b", "c", "d"}
    deployment = next(r for r in inputs.resources if r.name == "d")
    assert deployment.location.line == 5
    assert deployment.namespace == UNSPECIFIED_NAMESPACE


def test_kubectl_get_json_output(write, tmp_path: Path) -> None:
    listing = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "namespace": "x"},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            }
        ],
    }
    write("pods.json", json.dumps(listing, indent=2))
    [pod] = read_inputs([str(tmp_path)]).resources
    assert (pod.kind, pod.namespace, pod.location.line) == ("Pod", "x", 5)  # its "{"


def test_stdin_stream(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "c4guard", "scan", "-", "--format", "json", "--fail-on", "none"],
        input=POD.format(name="from-stdin"),
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    report = json.loads(result.stdout)
    paths = {
        f["path"]
        for r in report["requirements"]
        for f in r["findings"]
        if f["resource"]["origin"] == "k8s"
    }
    assert paths == {"<stdin>"}
    assert report["summary"]["files_by_domain"] == {"kubernetes": 1, "secrets": 1}


def test_helm_chart_templates_are_not_parsed_as_written(write, tmp_path: Path) -> None:
    write("chart/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n")
    write("chart/values.yaml", "image: busybox\n")
    write(
        "chart/templates/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    )
    write("chart/templates/service.yaml", POD.format(name="looks-valid"))
    inputs = read_inputs([str(tmp_path)], ReadOptions(renderers=NONE))
    assert inputs.resources == []
    assert [n.tool for n in inputs.summary.render_notices] == ["helm"]
    assert "not judged" in inputs.summary.render_notices[0].message
    assert inputs.summary.skipped["Helm chart template"] == 2
    assert inputs.summary.input_errors == []


def test_kustomize_patches_skipped_and_namespace_applied(write, tmp_path: Path) -> None:
    write(
        "base/kustomization.yaml",
        """
        namespace: team
        resources: [pod.yaml]
        patches:
          - path: patch.yaml
    """,
    )
    write("base/pod.yaml", POD.format(name="p").replace("  namespace: ns\n", ""))
    write(
        "base/patch.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        "spec: {containers: [{name: app, securityContext: {privileged: true}}]}\n",
    )
    inputs = read_inputs([str(tmp_path)], ReadOptions(renderers=NONE))
    [pod] = inputs.resources
    assert pod.namespace == "team"
    assert inputs.summary.skipped["Kustomize patch"] == 1
    assert [n.tool for n in inputs.summary.render_notices] == ["kustomize"]


def test_bad_inputs_become_input_errors_and_the_rest_is_read(write, tmp_path: Path) -> None:
    write("good.yaml", POD.format(name="good"))
    write("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n")
    write(
        "bomb.yaml",
        "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 10) + "]\n"
            for i in range(9)
        ),
    )
    write(
        "latin1.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n".encode("latin-1"),
    )
    big = tmp_path / "huge.yaml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    inputs = read_inputs([str(tmp_path)], ReadOptions(max_file_bytes=20 * 1024 * 1024))
    assert names(inputs) == {"good"}
    errors = {Path(e.path).name: e for e in inputs.summary.input_errors}
    assert set(errors) == {"broken.yaml", "bomb.yaml", "latin1.yaml", "huge.yaml"}
    assert errors["broken.yaml"].line == 5 or errors["broken.yaml"].line == 4
    assert "alias bomb" in errors["bomb.yaml"].reason
    assert "UTF-8" in errors["latin1.yaml"].reason and errors["latin1.yaml"].line == 4
    assert "limit" in errors["huge.yaml"].reason


def test_binary_files_are_skipped_not_errors(write, tmp_path: Path) -> None:
    write("good.yaml", POD.format(name="good"))
    write("weights.yaml", b"\x00\x01\x02binary")
    write("model.bin", b"\x00" * 100)
    inputs = read_inputs([str(tmp_path)])
    assert inputs.summary.input_errors == []
    assert inputs.summary.skipped["binary file"] == 2


def test_excluded_dirs_gitignore_and_symlinks(write, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write("repo/app.yaml", POD.format(name="app"))
    write("repo/.git/config.yaml", POD.format(name="in-git"))
    write("repo/node_modules/x.yaml", POD.format(name="in-node-modules"))
    write("repo/.venv/pyvenv.cfg", "home = /usr\n")
    write("repo/.venv/lib/x.yaml", POD.format(name="in-venv"))
    write("repo/.gitignore", "generated/\n*.local.yaml\n!keep.local.yaml\n")
    write("repo/generated/g.yaml", POD.format(name="generated"))
    write("repo/dev.local.yaml", POD.format(name="local"))
    write("repo/keep.local.yaml", POD.format(name="kept"))
    write("outside/secret.yaml", POD.format(name="outside"))
    (root / "escape").symlink_to(tmp_path / "outside")
    (root / "loop").symlink_to(root)
    (root / "sub").mkdir()
    (root / "sub" / "back").symlink_to(root / "sub")
    inputs = read_inputs([str(root)])
    assert names(inputs) == {"app", "kept"}
    skipped = inputs.summary.skipped
    assert skipped["symlink outside the scan root"] == 1
    assert skipped["symlink loop"] >= 1
    assert skipped["ignored by .gitignore"] == 2


def test_missing_target_is_an_input_error(write, tmp_path: Path) -> None:
    write("good.yaml", POD.format(name="good"))
    inputs = read_inputs([str(tmp_path), str(tmp_path / "absent.yaml")])
    assert names(inputs) == {"good"}
    [error] = inputs.summary.input_errors
    assert error.path.endswith("absent.yaml") and "cannot read" in error.reason


def test_parallel_parsing_reads_the_same_resources(write, tmp_path: Path) -> None:
    for i in range(40):
        write(f"p{i}.yaml", POD.format(name=f"p{i}"))
    serial = read_inputs([str(tmp_path)])
    parallel = read_inputs([str(tmp_path)], ReadOptions(jobs=2))
    assert names(serial) == names(parallel) and len(names(serial)) == 40
    assert {r.location for r in serial.resources} == {r.location for r in parallel.resources}


def test_parallel_parsing_keeps_the_order_of_the_files(write, tmp_path: Path) -> None:
    for i in range(60):  # sizes out of name order: parsed largest first, reported in order
        write(f"p{i:02}.yaml", POD.format(name=f"p{i}") + f"# {'x' * ((i * 37) % 500)}\n")
    serial = read_inputs([str(tmp_path)])
    parallel = read_inputs([str(tmp_path)], ReadOptions(jobs=3))
    assert [r.name for r in parallel.resources] == [r.name for r in serial.resources]
    assert [r.location for r in parallel.resources] == [r.location for r in serial.resources]


def test_broken_workflow_with_expressions_is_an_error_not_a_template(write, tmp_path: Path) -> None:
    write(
        ".github/workflows/ci.yml",
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps:
              - run: echo "${{ github.event.issue.title }}"
              - run: echo "broken: ${{ github.sha }}"
    """,
    )
    inputs = read_inputs([str(tmp_path)])
    assert [e.line for e in inputs.summary.input_errors] == [7]
    assert not inputs.summary.render_notices
