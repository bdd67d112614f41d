"""GitLab CI: `.gitlab-ci.yml` and the files it includes, one resource per document;
includes, `extends` and stages are resolved by `c4guard.pipelines`.

A `.gitlab-ci.yml` is claimed by name. Other YAML is claimed as a GitLab CI fragment (an
included file) when it has a job: a top-level mapping with a script, `trigger` or `extends` beside a
keyword only GitLab jobs have (`stage`, `rules`, `needs`...), or a hidden job (`.name`).
"""

from __future__ import annotations

import posixpath
from typing import Any

from c4guard.model import Domain, Location, Origin, Resource
from c4guard.sources.github import normalise
from c4guard.sources.structured import Interpreter
from c4guard.sources.yamlload import Document

ORIGIN = Origin.GITLAB
DOMAIN = Domain.CI
KIND = "GitLabCI"
ROOT_FILES = (".gitlab-ci.yml", ".gitlab-ci.yaml")
GLOBAL_KEYWORDS = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "types",
        "spec",
    }
)
SCRIPT_KEYWORDS = ("script", "before_script", "after_script")
# Keywords that no other common YAML format puts beside a script.
JOB_KEYWORDS = frozenset(
    {
        "stage",
        "extends",
        "rules",
        "only",
        "except",
        "needs",
        "artifacts",
        "allow_failure",
        "environment",
        "dependencies",
        "interruptible",
        "resource_group",
        "id_tokens",
        "release",
        "trigger",
    }
)


def is_root(path: str) -> bool:
    return posixpath.basename(normalise(path)) in ROOT_FILES


def resources_from_document(
    document: Document, path: str, _namespace: str | None = None
) -> list[Resource] | None:
    """A GitLab CI document as one resource (none for a `spec:` header), or None."""
    value = document.value
    if not isinstance(value, dict) or "apiVersion" in value or "kind" in value:
        return None
    if not (is_root(path) or _is_fragment(value)):
        return None
    if set(value) == {"spec"}:
        return []  # the header document of a CI/CD component or input-taking file
    return [
        Resource(
            origin=ORIGIN,
            kind=KIND,
            name=path,
            namespace=None,
            body=value,
            location=Location(path, document.start_line),
            end_line=document.end_line,
        )
    ]


def _is_fragment(value: dict[str, Any]) -> bool:
    return any(_is_job(key, job) for key, job in value.items())


def _is_job(key: Any, job: Any) -> bool:
    if not isinstance(key, str) or key in GLOBAL_KEYWORDS or not isinstance(job, dict):
        return False
    has_work = any(isinstance(job.get(k), str | list) for k in SCRIPT_KEYWORDS) or (
        "trigger" in job or "extends" in job
    )
    return has_work and (key.startswith(".") or bool(JOB_KEYWORDS.intersection(job)))


INTERPRETER = Interpreter(DOMAIN, resources_from_document)
