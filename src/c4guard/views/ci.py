"""CI pipelines as subjects: a workflow step or job as a block with its settings, and the
jobs a repository's own workflows define (with the hardening references of the checks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.pipelines import Job, Run, Step, ci_model
from c4guard.pipelines.github import SYSTEM as GITHUB
from c4guard.views.blocks import BlockSubject

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


def step_subject(step: Step, run: Run | None = None) -> BlockSubject:
    """A step, named with the run it is part of when it is judged as part of a pipeline."""
    owner = run.label if run is not None else job_name(step)
    return BlockSubject(
        step.file.ref,
        f"{step.label} of {owner}",
        f"jobs.{step.job_id}.steps[{step.label}]",
        step.spec,
        step.location,
        "workflow",
    )


def job_name(step: Step) -> str:
    return step.job_id if step.job_id.startswith("action ") else f"job {step.job_id}"


HARDENING = (
    "https://docs.github.com/en/actions/security-for-github-actions/"
    "security-guides/security-hardening-for-github-actions"
)


def written_jobs(inv: Inventory) -> Iterator[tuple[BlockSubject, list[Step]]]:
    """Every job (and composite action) once, where it is written, with its own steps:
    GitHub workflows and actions, GitLab jobs after includes and `extends`."""
    model = ci_model(inv)
    for workflow in model.github.workflows:
        for job in workflow.jobs:
            yield job_subject(job), job.steps
    for action in model.github.actions:
        resource = action.resource
        yield (
            BlockSubject(
                resource.ref,
                "composite action",
                "runs.steps",
                resource.body,
                resource.location,
                "workflow",
            ),
            action.steps,
        )
    seen: set[tuple[str, int | None]] = set()
    for pipeline in model.pipelines:
        if pipeline.system == GITHUB:
            continue
        for run in pipeline.runs:
            key = (run.job.location.path, run.job.location.line)
            if run.steps and key not in seen:
                seen.add(key)
                yield job_subject(run.job), run.steps


def job_subject(job: Job) -> BlockSubject:
    return BlockSubject(
        job.file.ref, f"job {job.id}", f"jobs.{job.id}", job.spec, job.location, "workflow"
    )
