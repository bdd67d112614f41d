"""GitHub Actions as pipelines: jobs and steps of each workflow, local composite actions
expanded into the steps that use them, local reusable workflows run under the job that
calls them, and workflows started by `workflow_run` attached as followers."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from c4guard.model import Location, Resource
from c4guard.pipelines.model import Job, Pipeline, Run, Step
from c4guard.shellscan import command_label, shorten
from c4guard.sources.github import WORKFLOWS_DIR, normalise
from c4guard.sources.yamlload import Mapping

SYSTEM = "GitHub Actions"
MAX_CALL_DEPTH = 10  # GitHub allows ten levels of nested reusable workflows
MAX_ACTION_DEPTH = 10


@dataclass(eq=False)
class WorkflowFile:
    resource: Resource
    name: str
    triggers: dict[str, Any]
    jobs: list[Job]
    root: str

    @property
    def body(self) -> Any:
        return self.resource.body

    @property
    def only_called(self) -> bool:
        return set(self.triggers) == {"workflow_call"}


@dataclass(eq=False)
class ActionFile:
    resource: Resource
    steps: list[Step]


@dataclass(eq=False)
class GitHubModel:
    workflows: list[WorkflowFile] = field(default_factory=list)
    actions: list[ActionFile] = field(default_factory=list)
    pipelines: list[Pipeline] = field(default_factory=list)


def build(workflows: list[Resource], actions: list[Resource]) -> GitHubModel:
    """Read workflow and action files, then assemble pipelines from them."""
    model = GitHubModel(
        workflows=[read_workflow(r) for r in workflows],
        actions=[ActionFile(r, _action_steps(r)) for r in actions],
    )
    assembler = _Assembler(model)
    model.pipelines = assembler.pipelines()
    return model


# ------------------------------------------------------------------------ reading files


def triggers_of(body: Any) -> dict[str, Any]:
    """`on:` as a mapping of event name to its settings (strings and lists normalised)."""
    on = body.get("on") if isinstance(body, dict) else None
    if on is None and isinstance(body, dict):
        on = body.get(True)  # a loader that resolved `on` as a boolean
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(event): None for event in on}
    return dict(on) if isinstance(on, dict) else {}


def repository_root(path: str) -> str:
    """The checkout root a workflow's `./` references are relative to."""
    normal = normalise(path)
    marker = "/" + normal
    index = marker.rfind("/" + WORKFLOWS_DIR)
    if index >= 0:
        return normal[:index].rstrip("/") or "."
    return posixpath.dirname(normal) or "."


def read_workflow(resource: Resource) -> WorkflowFile:
    body = resource.body
    jobs_block = body.get("jobs") if isinstance(body.get("jobs"), dict) else {}
    env = _mapping(body.get("env"))
    jobs = [
        _job(resource, str(job_id), spec, jobs_block, env)
        for job_id, spec in jobs_block.items()
        if isinstance(spec, dict)
    ]
    name = body.get("name") if isinstance(body.get("name"), str) else resource.name
    return WorkflowFile(resource, name, triggers_of(body), jobs, repository_root(resource.name))


def _names(value: Any) -> list[str]:
    """A string or a list of strings as a list (anything else: none)."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _job(
    resource: Resource,
    job_id: str,
    spec: dict[str, Any],
    jobs_block: Any,
    workflow_env: dict[str, Any],
) -> Job:
    line = jobs_block.line_of(job_id) if isinstance(jobs_block, Mapping) else None
    needs = spec.get("needs")
    env = {**workflow_env, **_mapping(spec.get("env"))}
    job = Job(
        resource,
        job_id,
        spec,
        Location(resource.location.path, line),
        needs=_names(needs),
        calls=spec.get("uses") if isinstance(spec.get("uses"), str) else None,
    )
    job.steps = _steps(
        resource, job_id, spec.get("steps"), env, spec.get("continue-on-error") is True
    )
    return job


def _steps(
    resource: Resource, job_id: str, steps: Any, env: dict[str, Any], job_may_fail: bool
) -> list[Step]:
    if not isinstance(steps, list):
        return []
    lines = getattr(steps, "item_lines", [])
    found = []
    for index, spec in enumerate(steps):
        if not isinstance(spec, dict):
            continue
        line = lines[index] if index < len(lines) else getattr(spec, "line", None)
        run = spec.get("run")
        uses = spec.get("uses")
        found.append(
            Step(
                file=resource,
                job_id=job_id,
                label=_label(spec, index),
                location=Location(resource.location.path, getattr(spec, "line", None) or line),
                run=run if isinstance(run, str) else "",
                uses=uses if isinstance(uses, str) else None,
                inputs=_mapping(spec.get("with")),
                env={**env, **_mapping(spec.get("env"))},
                spec=spec,
                allowed_to_fail=job_may_fail or spec.get("continue-on-error") is True,
            )
        )
    return found


def _label(spec: dict[str, Any], index: int) -> str:
    """A step's name for findings: its name or id, else the action (without its ref, so that
    updating a pin keeps the finding's identity), else its first command."""
    for key in ("name", "id"):
        if isinstance(spec.get(key), str):
            return f"step '{shorten(spec[key], 60)}'"
    if isinstance(spec.get("uses"), str):
        return f"step '{shorten(spec['uses'].split('@', 1)[0], 60)}'"
    run = spec.get("run")
    if isinstance(run, str) and run.strip():
        return f"step '{command_label(run)}'"
    return f"step {index + 1}"


def _action_steps(resource: Resource) -> list[Step]:
    runs = resource.body.get("runs")
    if not isinstance(runs, dict) or runs.get("using") != "composite":
        return []
    name = posixpath.dirname(normalise(resource.name))
    return _steps(resource, f"action {name}", runs.get("steps"), {}, False)


# ------------------------------------------------------------------------ assembling runs


class _Assembler:
    def __init__(self, model: GitHubModel) -> None:
        self.model = model
        self.workflows = {normalise(w.resource.name): w for w in model.workflows}
        self.actions = {posixpath.dirname(normalise(a.resource.name)): a for a in model.actions}
        self.called = {
            self._local(w.root, job.calls) for w in model.workflows for job in w.jobs if job.calls
        } - {None}

    def pipelines(self) -> list[Pipeline]:
        built: list[tuple[Pipeline, WorkflowFile]] = []
        for workflow in self.model.workflows:
            key = normalise(workflow.resource.name)
            if workflow.only_called and key in self.called:
                continue
            pipeline = Pipeline(
                SYSTEM, workflow.resource, workflow.name, triggers=frozenset(workflow.triggers)
            )
            if workflow.only_called:
                pipeline.notes.append(
                    "only runs when called (workflow_call), and no workflow "
                    "among the inputs calls it"
                )
            pipeline.runs = self._instantiate(workflow, None, pipeline, {key})
            built.append((pipeline, workflow))
        _attach_followers(built)
        return [pipeline for pipeline, _workflow in built]

    def _local(self, root: str, reference: str | None) -> str | None:
        if not reference or not reference.startswith("./"):
            return None
        return posixpath.normpath(posixpath.join(root, reference.split("@", 1)[0]))

    def _instantiate(
        self, workflow: WorkflowFile, caller: Run | None, pipeline: Pipeline, visiting: set[str]
    ) -> list[Run]:
        by_id: dict[str, Run] = {}
        inner: dict[str, list[Run]] = {}
        for job in workflow.jobs:
            run = Run(job, self._job_steps(job, workflow.root), caller)
            by_id[job.id] = run
            target_key = self._local(workflow.root, job.calls)
            target = self.workflows.get(target_key or "")
            if (
                target is not None
                and target_key not in visiting
                and (len(visiting) < MAX_CALL_DEPTH)
            ):
                inner[job.id] = self._instantiate(
                    target, run, pipeline, visiting | {target_key or ""}
                )
            elif job.calls and target_key:
                pipeline.notes.append(
                    f"job {job.id} calls {job.calls}, which is not among "
                    "the inputs (or calls itself)"
                )
        runs: list[Run] = []
        for job_id, run in by_id.items():
            run.needs = [by_id[n] for n in run.job.needs if n in by_id]
            called = inner.get(job_id, [])
            for inner_run in called:
                inner_run.needs.extend(run.needs)
            run.needs.extend(called)
            runs.append(run)
            runs.extend(called)
        return runs

    def _job_steps(self, job: Job, root: str) -> list[Step]:
        if job.calls and not job.calls.startswith("./"):
            return [
                Step(
                    file=job.file,
                    job_id=job.id,
                    label=f"call of {job.calls}",
                    location=job.location,
                    uses=job.calls,
                    inputs=_mapping(job.spec.get("with")),
                    spec=job.spec,
                )
            ]
        return self._expand(job.steps, root, 0)

    def _expand(self, steps: list[Step], root: str, depth: int) -> list[Step]:
        """Steps with each local composite action replaced by its own steps."""
        expanded: list[Step] = []
        for step in steps:
            action = self.actions.get(self._local(root, step.uses) or "")
            if action is not None and action.steps and depth < MAX_ACTION_DEPTH:
                expanded.append(step)
                expanded.extend(self._expand(action.steps, root, depth + 1))
            else:
                expanded.append(step)
        return expanded


def _attach_followers(built: list[tuple[Pipeline, WorkflowFile]]) -> None:
    """A workflow with `on: workflow_run: workflows: [names]` follows those workflows."""
    for follower, workflow in built:
        settings = workflow.triggers.get("workflow_run")
        names = _names(settings.get("workflows") if isinstance(settings, dict) else None)
        if not names:
            continue
        for pipeline, _workflow in built:
            if pipeline is not follower and _named(pipeline, names):
                pipeline.followers.append(follower)


def _named(pipeline: Pipeline, names: list[str]) -> bool:
    base = posixpath.basename(normalise(pipeline.file.name))
    return any(n in (pipeline.name, base, normalise(pipeline.file.name)) for n in names)
