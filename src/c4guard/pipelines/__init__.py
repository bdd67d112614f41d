"""CI pipelines (GitHub Actions, GitLab CI) read from the inventory: files, jobs and steps
as written, and pipelines of job runs for questions that span jobs and workflows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from c4guard.pipelines import github, gitlab
from c4guard.pipelines.model import Job, Pipeline, Run, Step
from c4guard.sources import github as github_source
from c4guard.sources import gitlab as gitlab_source

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

__all__ = ["CIModel", "Job", "Pipeline", "Run", "Step", "ci_model"]


@dataclass(frozen=True, slots=True)
class CIModel:
    github: github.GitHubModel
    pipelines: list[Pipeline]


_MODELS: WeakKeyDictionary[Inventory, CIModel] = WeakKeyDictionary()


def ci_model(inv: Inventory) -> CIModel:
    """The CI model of an inventory, built once and shared by every check."""
    model = _MODELS.get(inv)
    if model is None:
        hub = github.build(
            inv.kind(github_source.WORKFLOW, origin=github_source.ORIGIN),
            inv.kind(github_source.ACTION, origin=github_source.ORIGIN),
        )
        lab = gitlab.build(inv.kind(gitlab_source.KIND, origin=gitlab_source.ORIGIN))
        model = CIModel(hub, [*hub.pipelines, *lab])
        _MODELS[inv] = model
    return model
