"""GitHub Actions: workflows (`.github/workflows/*.yml`) and actions (`action.yml`), one
resource per file; jobs and steps are read by `c4guard.pipelines`.

Workflows are recognised by their place, or anywhere by their shape (`on` and `jobs` whose
entries have `runs-on`, `steps` or `uses`); the YAML loader keeps `on:` as the key "on".
"""

from __future__ import annotations

import posixpath
from typing import Any

from c4guard.model import Domain, Location, Origin, Resource
from c4guard.sources.structured import Interpreter
from c4guard.sources.yamlload import Document

ORIGIN = Origin.GITHUB
DOMAIN = Domain.CI
WORKFLOW = "GitHubWorkflow"
ACTION = "GitHubAction"
ACTION_FILES = ("action.yml", "action.yaml")
WORKFLOWS_DIR = ".github/workflows/"
JOB_MARKERS = ("runs-on", "steps", "uses")


def normalise(path: str) -> str:
    """A display path with forward slashes and no `.` segments."""
    return posixpath.normpath(path.replace("\\", "/"))


def resources_from_document(
    document: Document, path: str, _namespace: str | None = None
) -> list[Resource] | None:
    """A workflow or action file as one resource, or None for other documents."""
    value = document.value
    if not isinstance(value, dict) or "apiVersion" in value:
        return None
    if is_workflow(value, path):
        kind = WORKFLOW
    elif is_action(value, path):
        kind = ACTION
    else:
        return None
    return [
        Resource(
            origin=ORIGIN,
            kind=kind,
            name=path,
            namespace=None,
            body=value,
            location=Location(path, document.start_line),
            end_line=document.end_line,
        )
    ]


def is_workflow(value: dict[str, Any], path: str) -> bool:
    jobs = value.get("jobs")
    if not isinstance(jobs, dict):
        return False
    if WORKFLOWS_DIR in "/" + normalise(path):
        return True
    return (
        "on" in value
        and bool(jobs)
        and all(
            isinstance(job, dict) and any(m in job for m in JOB_MARKERS) for job in jobs.values()
        )
    )


def is_action(value: dict[str, Any], path: str) -> bool:
    runs = value.get("runs")
    return (
        posixpath.basename(normalise(path)) in ACTION_FILES
        and isinstance(runs, dict)
        and "using" in runs
    )


INTERPRETER = Interpreter(DOMAIN, resources_from_document)
