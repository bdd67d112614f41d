"""GitLab CI as pipelines: `.gitlab-ci.yml` with its local includes merged, `extends` and
`default:` applied to each job, and jobs ordered by `needs:` or, without it, by stage."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from c4guard.model import Location, Resource
from c4guard.pipelines.model import Job, Pipeline, Run, Step
from c4guard.shellscan import command_label
from c4guard.sources.github import normalise
from c4guard.sources.gitlab import GLOBAL_KEYWORDS, is_root
from c4guard.sources.merge import overlay
from c4guard.sources.yamlload import Mapping

SYSTEM = "GitLab CI"
DEFAULT_STAGES = ("build", "test", "deploy")
DEFAULT_STAGE = "test"
INHERITED_DEFAULTS = (
    "image",
    "services",
    "before_script",
    "after_script",
    "cache",
    "tags",
    "timeout",
    "retry",
    "interruptible",
    "id_tokens",
)
SCRIPT_SECTIONS = ("before_script", "script", "after_script")
MAX_INCLUDE_DEPTH = 150  # GitLab's limit on included files
MAX_EXTENDS_DEPTH = 11  # GitLab's limit on `extends` nesting
METADATA_VARIABLE = "RUNNER_GENERATE_ARTIFACTS_METADATA"


@dataclass(eq=False)
class Config:
    """One pipeline's merged configuration and where it came from."""

    root: Resource
    body: dict[str, Any]
    files: list[str] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def build(resources: list[Resource]) -> list[Pipeline]:
    """A pipeline per `.gitlab-ci.yml`, and one per fragment that no root includes."""
    by_path: dict[str, list[Resource]] = {}
    for resource in resources:
        by_path.setdefault(normalise(resource.name), []).append(resource)
    included: set[str] = set()
    pipelines = []
    roots = [r for r in resources if is_root(r.name)]
    for root in roots:
        config = merged_config(root, by_path)
        included.update(config.files)
        pipelines.append(_pipeline(config))
    for resource in resources:
        if not is_root(resource.name) and normalise(resource.name) not in included:
            config = merged_config(resource, by_path)
            config.notes.append(
                "a fragment that no .gitlab-ci.yml among the inputs includes; judged as it stands"
            )
            pipelines.append(_pipeline(config))
    return pipelines


# ------------------------------------------------------------------------ includes


def merged_config(root: Resource, by_path: dict[str, list[Resource]]) -> Config:
    config = Config(root, {})
    base = posixpath.dirname(normalise(root.name))
    config.body = _merge_file(root.body, base, by_path, config, 0)
    return config


def _merge_file(
    body: Any, base: str, by_path: dict[str, list[Resource]], config: Config, depth: int
) -> Any:
    merged: Any = Mapping(getattr(body, "path", None), getattr(body, "line", None))
    for entry in _include_entries(body.get("include") if isinstance(body, dict) else None):
        for path in _resolve(entry, base, by_path, config):
            if path in config.files or depth >= MAX_INCLUDE_DEPTH:
                continue
            config.files.append(path)
            for resource in by_path[path]:
                merged = overlay(
                    merged, _merge_file(resource.body, base, by_path, config, depth + 1)
                )
    own = {k: v for k, v in body.items() if k != "include"} if isinstance(body, dict) else {}
    top = Mapping(getattr(body, "path", None), getattr(body, "line", None))
    top.update(own)
    if isinstance(body, Mapping):
        top.key_lines.update(body.key_lines)
    return overlay(merged, top)


def _describe_include(entry: Any) -> str:
    if isinstance(entry, dict) and entry.get("remote"):
        return f"remote include {entry['remote']}"
    if isinstance(entry, dict) and entry.get("project"):
        return f"include of {entry.get('file')} from project {entry['project']}"
    if isinstance(entry, dict) and entry.get("component"):
        return f"component {entry['component']}"
    return f"include {entry!r}"


def _include_entries(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _resolve(
    entry: Any, base: str, by_path: dict[str, list[Resource]], config: Config
) -> list[str]:
    """Paths among the inputs that a local include names (globs allowed)."""
    if isinstance(entry, str):
        if "://" in entry:
            config.notes.append(f"remote include {entry} is not followed")
            return []
        local = entry
    elif isinstance(entry, dict) and isinstance(entry.get("local"), str):
        local = entry["local"]
    elif isinstance(entry, dict) and isinstance(entry.get("template"), str):
        config.templates.append(entry["template"])
        return []
    else:
        config.notes.append(f"{_describe_include(entry)} is not followed")
        return []
    pattern = posixpath.normpath(posixpath.join(base, local.lstrip("/")))
    found = sorted(p for p in by_path if p == pattern or fnmatchcase(p, pattern))
    if not found:
        config.notes.append(f"included file {local} is not among the inputs")
    return found


# ------------------------------------------------------------------------ jobs


def job_specs(body: dict[str, Any]) -> dict[str, Mapping]:
    """Visible jobs with `extends` and `default:` applied."""
    defaults = _defaults(body)
    jobs = {}
    for name, spec in body.items():
        if (
            not isinstance(name, str)
            or name.startswith(".")
            or name in GLOBAL_KEYWORDS
            or not isinstance(spec, dict)
        ):
            continue
        effective = _extended(body, spec, 0)
        jobs[name] = _with_defaults(effective, defaults)
    return jobs


def _defaults(body: dict[str, Any]) -> dict[str, Any]:
    defaults = {k: body[k] for k in INHERITED_DEFAULTS if k in body}  # deprecated globals
    default = body.get("default")
    if isinstance(default, dict):
        defaults.update(default)
    return defaults


def _extended(body: dict[str, Any], spec: Any, depth: int) -> Any:
    parents = spec.get("extends") if isinstance(spec, dict) else None
    if parents is None or depth >= MAX_EXTENDS_DEPTH:
        return spec
    merged: Any = Mapping(getattr(spec, "path", None), getattr(spec, "line", None))
    for parent in [parents] if isinstance(parents, str) else _list(parents):
        template = body.get(parent) if isinstance(parent, str) else None
        if isinstance(template, dict):
            merged = overlay(merged, _extended(body, template, depth + 1))
    return overlay(merged, spec)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _with_defaults(spec: Any, defaults: dict[str, Any]) -> Any:
    inherit = spec.get("inherit") if isinstance(spec, dict) else None
    allowed = inherit.get("default", True) if isinstance(inherit, dict) else True
    if allowed is False:
        return spec
    keys = [k for k in defaults if allowed is True or (isinstance(allowed, list) and k in allowed)]
    missing = {k: defaults[k] for k in keys if k not in spec}
    if not missing:
        return spec
    base = Mapping(getattr(spec, "path", None), getattr(spec, "line", None))
    base.update(missing)
    return overlay(base, spec)


def _pipeline(config: Config) -> Pipeline:
    root = config.root
    pipeline = Pipeline(SYSTEM, root, root.name, notes=config.notes)
    body = config.body
    declared = body.get("variables")
    variables = declared if isinstance(declared, dict) else {}
    stages = _stages(body)
    runs: dict[str, Run] = {}
    for name, spec in job_specs(body).items():
        job = _job(root, name, spec, body, variables)
        included = job.location.path != root.location.path
        runs[name] = Run(
            job,
            job.steps,
            stage_rank=stages.get(job.stage or DEFAULT_STAGE, len(stages)),
            included_by=root.name if included else None,
        )
    for run in runs.values():
        run.needs = _needs(run, runs)
    pipeline.runs = list(runs.values())
    pipeline.runs.extend(_template_runs(root, config.templates))
    return pipeline


def _stages(body: dict[str, Any]) -> dict[str, int]:
    declared = body.get("stages")
    names = [str(s) for s in declared] if isinstance(declared, list) else list(DEFAULT_STAGES)
    ordered = [".pre", *[n for n in names if n not in (".pre", ".post")], ".post"]
    return {name: rank for rank, name in enumerate(ordered)}


def _job(
    root: Resource, name: str, spec: Any, body: dict[str, Any], variables: dict[str, Any]
) -> Job:
    path = getattr(spec, "path", None) or root.location.path
    line = body.line_of(name) if isinstance(body, Mapping) else None
    needs = spec.get("needs")
    job = Job(
        root,
        name,
        spec,
        Location(path, line),
        needs=_need_names(needs) if needs is not None else [],
        stage=str(spec.get("stage") or DEFAULT_STAGE),
    )
    job_variables = spec.get("variables") if isinstance(spec.get("variables"), dict) else {}
    env = {**variables, **job_variables}
    may_fail = spec.get("allow_failure") not in (None, False)
    job.steps = [
        step
        for section in SCRIPT_SECTIONS
        for step in _script_steps(root, name, spec, section, env, may_fail, path)
    ]
    return job


def _need_names(needs: Any) -> list[str]:
    names = []
    for need in _list(needs):
        if isinstance(need, str):
            names.append(need)
        elif isinstance(need, dict) and isinstance(need.get("job"), str):
            names.append(need["job"])
    return names


def _needs(run: Run, runs: dict[str, Run]) -> list[Run]:
    """`needs:` when given (an empty list runs at once), else every earlier stage's job."""
    if "needs" in run.job.spec:
        return [runs[n] for n in run.job.needs if n in runs]
    return [other for other in runs.values() if other.stage_rank < run.stage_rank]


def _script_steps(
    root: Resource,
    job_id: str,
    spec: Any,
    section: str,
    env: dict[str, Any],
    may_fail: bool,
    path: str,
) -> list[Step]:
    script = spec.get(section)
    if isinstance(script, str):
        items, lines = [script], [spec.line_of(section) if isinstance(spec, Mapping) else None]
    elif isinstance(script, list):
        items, lines = list(script), list(getattr(script, "item_lines", [None] * len(script)))
    else:
        return []
    steps = []
    for item, line in zip(items, lines, strict=False):
        text = _flatten(item)
        if not text.strip():
            continue
        steps.append(
            Step(
                file=root,
                job_id=job_id,
                label=f"{section} '{command_label(text)}'",
                location=Location(getattr(script, "path", None) or path, line),
                run=text,
                env=env,
                spec=spec,
                allowed_to_fail=may_fail or section == "after_script",
            )
        )
    return steps


def _flatten(item: Any) -> str:
    """A script entry; nested lists (`!reference` results) become lines."""
    if isinstance(item, list):
        return "\n".join(_flatten(i) for i in item)
    return item if isinstance(item, str) else ""


def _template_runs(root: Resource, templates: list[str]) -> list[Run]:
    """GitLab's own templates as runs whose one step is the template (read by name)."""
    runs = []
    for template in templates:
        job = Job(root, f"template {template}", {}, root.location)
        job.steps = [
            Step(
                file=root,
                job_id=job.id,
                label=f"template {template}",
                location=root.location,
                uses=f"gitlab-template/{template}",
            )
        ]
        runs.append(Run(job, job.steps))
    return runs


def generates_unsigned_metadata(run: Run) -> bool:
    """GitLab's runner-generated provenance (unsigned, for job artifacts only)."""
    value = run.steps[0].env.get(METADATA_VARIABLE) if run.steps else None
    return str(value).lower() in ("true", "1")
