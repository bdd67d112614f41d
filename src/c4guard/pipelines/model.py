"""CI pipelines as written (files, jobs, steps) and as they run (pipelines of job runs
ordered by their dependencies), shared by GitHub Actions and GitLab CI."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from c4guard.model import Location, Resource
from c4guard.pipelines.facts import StepFacts, recognise

REVIEW_TRIGGERS = frozenset({"pull_request", "merge_group"})


@dataclass(eq=False)
class Step:
    """One step as written: a GitHub step, or one GitLab script entry."""

    file: Resource
    job_id: str
    label: str
    location: Location
    run: str = ""
    uses: str | None = None
    inputs: dict[str, Any] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    spec: Any = None
    allowed_to_fail: bool = False

    @cached_property
    def facts(self) -> StepFacts:
        return recognise(self.uses, self.inputs, self.run, self.env, self.allowed_to_fail)


@dataclass(eq=False)
class Job:
    """A job as written in a file."""

    file: Resource
    id: str
    spec: Any
    location: Location
    steps: list[Step] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)
    calls: str | None = None
    stage: str | None = None


@dataclass(eq=False)
class Run:
    """A job as it runs in one pipeline: its steps with local actions expanded, the job that
    called its workflow (reusable workflows), and the runs it waits for."""

    job: Job
    steps: list[Step]
    caller: Run | None = None
    needs: list[Run] = field(default_factory=list)
    stage_rank: int = 0
    included_by: str | None = None

    @property
    def label(self) -> str:
        """`job x`, with the job that called its workflow, or the pipeline file that
        included it, when those tell two runs of one written job apart."""
        chain = []
        caller = self.caller
        while caller is not None:
            chain.append(caller.job.id)
            caller = caller.caller
        if chain:
            return f"job {self.job.id} (called by job {' → '.join(reversed(chain))})"
        if self.included_by:
            return f"job {self.job.id} (in the pipeline of {self.included_by})"
        return f"job {self.job.id}"

    @cached_property
    def facts(self) -> StepFacts:
        total = StepFacts()
        for step in self.steps:
            total = total | step.facts
        return total


@dataclass(eq=False)
class Pipeline:
    """The runs of one workflow or `.gitlab-ci.yml`, and the pipelines it triggers."""

    system: str
    file: Resource
    name: str
    runs: list[Run] = field(default_factory=list)
    followers: list[Pipeline] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    triggers: frozenset[str] = frozenset()
    _closures: dict[int, set[Run]] = field(default_factory=dict, repr=False)

    @property
    def review_only(self) -> bool:
        """Triggered only by pull requests: it tests changes, it does not release them."""
        return bool(self.triggers) and self.triggers <= REVIEW_TRIGGERS

    def depends_on(self, run: Run) -> set[Run]:
        """Every run that `run` waits for, directly or through others."""
        closure = self._closures.get(id(run))
        if closure is None:
            closure = set()
            pending = list(run.needs)
            while pending:
                current = pending.pop()
                if current not in closure:
                    closure.add(current)
                    pending.extend(current.needs)
            self._closures[id(run)] = closure
        return closure

    def steps_after(self, run: Run, step: Step) -> Iterator[Step]:
        """Steps that run after `step`: later in its job, in jobs that wait for its job,
        and in the pipelines this one triggers."""
        position = run.steps.index(step)
        yield from run.steps[position + 1 :]
        for other in self.runs:
            if other is not run and run in self.depends_on(other):
                yield from other.steps
        yield from self.follower_steps(set())

    def steps_before(self, run: Run, step: Step) -> Iterator[Step]:
        """Steps that have finished when `step` starts: earlier in its job, and in the jobs
        its job waits for."""
        position = run.steps.index(step)
        yield from run.steps[:position]
        for other in self.depends_on(run):
            yield from other.steps

    def all_steps(self) -> Iterator[Step]:
        for run in self.runs:
            yield from run.steps
        yield from self.follower_steps(set())

    def follower_steps(self, seen: set[int]) -> Iterator[Step]:
        for follower in self.followers:
            if id(follower) in seen:
                continue
            seen.add(id(follower))
            for run in follower.runs:
                yield from run.steps
            yield from follower.follower_steps(seen)
