"""Pipelines across files: reusable workflows, composite actions, workflow_run followers,
GitLab includes, extends, defaults and ordering."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from c4guard.config import Config
from c4guard.inventory import Inventory
from c4guard.pipelines import Pipeline, ci_model
from c4guard.sources import read_inputs


def pipelines_of(path: Path) -> dict[str, Pipeline]:
    inventory = Inventory(read_inputs([str(path)]).resources, Config())
    return {Path(p.file.name).name: p for p in ci_model(inventory).pipelines}


def run_named(pipeline: Pipeline, job: str):
    return next(r for r in pipeline.runs if r.job.id == job)


def test_reusable_workflow_runs_under_its_caller(write: Callable, tmp_path: Path) -> None:
    write(
        ".github/workflows/ci.yml",
        """
        on: push
        jobs:
          build:
            uses: ./.github/workflows/build.yml
          publish:
            needs: build
            runs-on: ubuntu-latest
            steps: [{run: cosign sign x}]
    """,
    )
    write(
        ".github/workflows/build.yml",
        """
        on: workflow_call
        jobs:
          image:
            runs-on: ubuntu-latest
            steps: [{run: docker push x}]
    """,
    )
    pipelines = pipelines_of(tmp_path)
    assert set(pipelines) == {"ci.yml"}  # a called workflow is not a pipeline of its own
    ci = pipelines["ci.yml"]
    image = run_named(ci, "image")
    assert image.label == "job image (called by job build)"
    after = list(ci.steps_after(image, image.steps[0]))
    assert [s.run for s in after] == ["cosign sign x"]


def test_recursive_calls_end(write: Callable, tmp_path: Path) -> None:
    write(
        ".github/workflows/a.yml",
        """
        on: [push, workflow_call]
        jobs:
          again: {uses: ./.github/workflows/a.yml}
    """,
    )
    [pipeline] = pipelines_of(tmp_path).values()
    assert len(pipeline.runs) == 1
    assert "calls itself" in pipeline.notes[0]


def test_composite_actions_are_expanded(write: Callable, tmp_path: Path) -> None:
    write(
        ".github/workflows/ci.yml",
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: ./.github/actions/publish
    """,
    )
    write(
        ".github/actions/publish/action.yaml",
        """
        name: publish
        runs:
          using: composite
          steps:
            - run: docker push x
              shell: bash
    """,
    )
    build = run_named(pipelines_of(tmp_path)["ci.yml"], "build")
    assert [s.run for s in build.steps] == ["", "docker push x"]
    assert build.steps[1].file.name.endswith("action.yaml")


def test_workflow_run_followers(write: Callable, tmp_path: Path) -> None:
    write(
        ".github/workflows/build.yml",
        """
        name: Build images
        on: push
        jobs:
          image: {runs-on: x, steps: [{run: docker push x}]}
    """,
    )
    write(
        ".github/workflows/sign.yml",
        """
        on:
          workflow_run:
            workflows: [Build images]
            types: [completed]
        jobs:
          sign: {runs-on: x, steps: [{run: cosign sign x}]}
    """,
    )
    pipelines = pipelines_of(tmp_path)
    build = pipelines["build.yml"]
    assert build.followers == [pipelines["sign.yml"]]
    image = run_named(build, "image")
    assert [s.run for s in build.steps_after(image, image.steps[0])] == ["cosign sign x"]


def test_gitlab_includes_extends_defaults_and_stages(write: Callable, tmp_path: Path) -> None:
    write(
        ".gitlab-ci.yml",
        """
        stages: [build, publish]
        default:
          before_script: [echo default]
        include:
          - local: ci/*.yml
          - remote: https://example.com/ci.yml
          - project: group/templates
            file: base.yml
        build:
          extends: .base
          stage: build
          script: [make]
        push:
          stage: publish
          inherit: {default: false}
          script:
            - docker push x
            - [echo one, echo two]
        lint:
          stage: build
          needs: []
          script: [make lint]
    """,
    )
    write(
        "ci/base.yml",
        """
        .base:
          extends: .root
          image: golang:1.22
        .root:
          variables: {A: "1"}
          tags: [docker]
          allow_failure: true
    """,
    )
    [pipeline] = pipelines_of(tmp_path).values()
    build, push = run_named(pipeline, "build"), run_named(pipeline, "push")
    assert build.job.spec["image"] == "golang:1.22" and build.job.spec["tags"] == ["docker"]
    assert [s.run for s in build.steps] == ["echo default", "make"]
    assert all(s.allowed_to_fail for s in build.steps)
    assert [s.run for s in push.steps] == ["docker push x", "echo one\necho two"]
    assert push.needs == [build, run_named(pipeline, "lint")]
    assert run_named(pipeline, "lint").needs == []
    assert any("remote include" in n for n in pipeline.notes)
    assert any("from project group/templates" in n for n in pipeline.notes)


def test_gitlab_fragment_nobody_includes_is_judged_alone(write: Callable, tmp_path: Path) -> None:
    write(
        "templates/release.gitlab-ci.yml",
        """
        release:
          stage: deploy
          script: [helm upgrade --install x ./chart]
    """,
    )
    [pipeline] = pipelines_of(tmp_path).values()
    assert "no .gitlab-ci.yml among the inputs includes" in pipeline.notes[0]
    assert run_named(pipeline, "release").steps[0].facts.deployment
