"""CI workflow hygiene: pinned actions, least-privilege tokens, no untrusted code with
privileged tokens, no downloaded scripts piped to shells (4.2.1), and no secrets on
command lines or in logs (4.4.5)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.checks.subjects import BlockSubject, key_line
from c4guard.checks.workflows import step_subject
from c4guard.model import Location
from c4guard.pipelines import Job, Step, ci_model
from c4guard.pipelines.facts import action_name
from c4guard.pipelines.github import SYSTEM as GITHUB
from c4guard.pipelines.github import WorkflowFile
from c4guard.secretnames import is_secret_name
from c4guard.shellscan import logical_lines, pipes_download_to_shell

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

HARDENING = (
    "https://docs.github.com/en/actions/security-for-github-actions/"
    "security-guides/security-hardening-for-github-actions"
)
TOKEN_PERMISSIONS = (
    "https://docs.github.com/en/actions/writing-workflows/"
    "choosing-what-your-workflow-does/controlling-permissions-for-github_token"
)
PWN_REQUEST = "https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/"
_SHA = re.compile(r"^[0-9a-f]{40}$")
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_PR_HEAD = re.compile(
    r"github\.event\.pull_request\.head\.(?:sha|ref|repo)|github\.head_ref"
    r"|refs/pull/|github\.event\.number|github\.event\.pull_request\.number"
)
_GIT_FETCH = re.compile(r"\bgit\s+(?:checkout|fetch|pull|switch|clone)\b|\bgh\s+pr\s+checkout\b")
# Event fields others write (GitHub Security Lab's list of untrusted input).
_ANY = r"(?:\.\*|\[[^\]]*\]|\.[\w-]+)"  # one path element: .*, [0], .name
_UNTRUSTED = re.compile(
    r"\$\{\{[^}]*?\b(github\.head_ref"
    r"|github\.event\.(?:issue|pull_request|discussion)\.(?:title|body)"
    r"|github\.event\.(?:comment|review|review_comment|discussion_comment)\.body"
    rf"|github\.event\.pages{_ANY}\.page_name"
    rf"|github\.event\.commits{_ANY}\.(?:message|author\.email|author\.name)"
    r"|github\.event\.head_commit\.(?:message|author\.email|author\.name)"
    r"|github\.event\.pull_request\.head\.(?:ref|label|repo\.default_branch)"
    r"|github\.event\.workflow_run\.(?:head_branch|display_title|head_commit\.message"
    r"|head_commit\.author\.(?:email|name)))\b"
)
_SECRET_EXPRESSION = re.compile(r"\$\{\{\s*secrets\.([A-Za-z0-9_-]+)\s*\}\}")
_NO_PROCESS = re.compile(
    r"^\s*(?:if\s+|then\s+|elif\s+|while\s+|!\s*)?(?:\[\[?|test\b|export\b|"
    r"local\b|declare\b|readonly\b|:\s)"
)
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?[A-Za-z_]\w*=\S*\s*$")
_ECHO = re.compile(r"^\s*(?:echo|printf)\b")
_BUILD_ARGS = "build-args"
_ASSIGNED = re.compile(
    r"(?:^|[\s;&\"'])(?:export\s+)?([A-Za-z_]\w*)=[\"']?"
    r"((?:\$\{\{[^}]*\}\}|[^\s\"';])*)"
)
_PATH_PREFIXES = (
    "/",
    "./",
    "~/",
    "$HOME",
    "${HOME",
    "$CI_PROJECT_DIR",
    "${CI_PROJECT_DIR",
    "${{ github.workspace",
    "$GITHUB_WORKSPACE",
    "${GITHUB_WORKSPACE",
    "$RUNNER_TEMP",
    "${RUNNER_TEMP",
    "${{ runner.temp",
)


def written_jobs(inv: Inventory) -> Iterator[tuple[BlockSubject, list[Step]]]:
    """Every job (and composite action) once, where it is written, with its own steps:
    GitHub workflows and actions, GitLab jobs after includes and `extends`."""
    model = ci_model(inv)
    for workflow in model.github.workflows:
        for job in workflow.jobs:
            yield _job_subject(job), job.steps
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
                yield _job_subject(run.job), run.steps


# ---------------------------------------------------------------------------- 4.2.1


@check(
    "WF-ACTION-PINNED",
    requirement="4.2.1",
    severity="medium",
    domain="workflows",
    title="Actions and reusable workflows are pinned by commit SHA",
    remediation="Pin every `uses:` to a full 40-character commit SHA (keep the tag in a "
    "comment, `# v4.2.0`), and let Dependabot or Renovate update it.",
    references=(HARDENING + "#using-third-party-actions",),
)
def actions_pinned(inv: Inventory) -> Iterator[Outcome]:
    """A tag or branch can be moved to new code by whoever controls the action's repository;
    a commit SHA cannot."""
    model = ci_model(inv)
    for workflow in model.github.workflows:
        for job in workflow.jobs:
            if job.calls:
                subject = _job_subject(job)
                yield _pin_outcome(subject, job.calls, subject.setting("uses"))
            for step in job.steps:
                yield from _step_pin(step)
    for action in model.github.actions:
        for step in action.steps:
            yield from _step_pin(step)


def _step_pin(step: Step) -> Iterator[Outcome]:
    if step.uses:
        subject = step_subject(step)
        yield _pin_outcome(subject, step.uses, subject.setting("uses"))


def _pin_outcome(subject: BlockSubject, uses: str, setting: Any) -> Outcome:
    reference = uses.strip()
    if reference.startswith("./"):
        return passed(
            subject, f"uses the local {reference}, versioned with the repository", setting=setting
        )
    if reference.startswith("docker://"):
        if _DIGEST.search(reference):
            return passed(subject, f"pins {reference.split('@')[0]} by digest", setting=setting)
        return failed(subject, f"uses {reference} by tag, not by digest", setting=setting)
    name, _, ref = reference.partition("@")
    if _SHA.match(ref):
        return passed(subject, f"pins {name} to commit {ref[:12]}", setting=setting)
    what = f"to {ref!r}, a tag or branch that can move" if ref else "without any ref"
    return failed(subject, f"uses {name} {what}", setting=setting)


def _job_subject(job: Job) -> BlockSubject:
    return BlockSubject(
        job.file.ref, f"job {job.id}", f"jobs.{job.id}", job.spec, job.location, "workflow"
    )


@check(
    "WF-TOKEN-PERMISSIONS",
    requirement="4.2.1",
    severity="medium",
    domain="workflows",
    title="Workflows give the GITHUB_TOKEN least-privilege permissions",
    remediation="Set `permissions: {}` or `contents: read` at the top of the workflow and "
    "grant write scopes (`packages: write`, `id-token: write`...) only on the "
    "jobs that need them.",
    references=(TOKEN_PERMISSIONS,),
)
def token_permissions(inv: Inventory) -> Iterator[Outcome]:
    """Without `permissions`, the token gets the repository's default, read-write in many
    repositories: any compromised step can push code, packages and releases."""
    for workflow in ci_model(inv).github.workflows:
        if workflow.only_called:
            continue  # a called workflow's token is the caller's, bounded by it
        for job in workflow.jobs:
            yield _permissions_outcome(workflow, job)


def _permissions_outcome(workflow: WorkflowFile, job: Job) -> Outcome:
    subject = _job_subject(job)
    if "permissions" in job.spec:
        setting = subject.setting("permissions")
        if setting.value == "write-all":
            return failed(subject, "grants write-all permissions", setting=setting)
        return passed(
            subject, f"sets its own permissions ({_scopes(setting.value)})", setting=setting
        )
    body = workflow.body
    setting = subject.at(job.location.line, body.get("permissions"), "permissions (workflow)")
    if "permissions" not in body:
        return failed(
            subject,
            "sets no permissions, nor does its workflow: the token gets the "
            "repository default, read-write in many repositories",
            setting=subject.setting("permissions"),
        )
    value = body["permissions"]
    if value == "write-all":
        return failed(subject, "inherits write-all permissions from the workflow", setting=setting)
    writes = _write_scopes(value)
    if writes and len(workflow.jobs) > 1:
        return failed(
            subject,
            f"inherits workflow-level write scopes ({', '.join(writes)}) granted to every job",
            setting=setting,
        )
    return passed(
        subject, f"inherits least-privilege permissions ({_scopes(value)})", setting=setting
    )


def _write_scopes(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return []
    return sorted(str(k) for k, v in value.items() if v == "write" and k != "id-token")


def _scopes(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
    return str(value)


@check(
    "WF-PR-TARGET-CHECKOUT",
    requirement="4.2.1",
    severity="critical",
    domain="workflows",
    title="pull_request_target workflows do not run the pull request's code",
    remediation="Use `pull_request` for building untrusted code; if `pull_request_target` "
    "is needed (labels, comments), never check out or run the PR head in it.",
    references=(PWN_REQUEST,),
)
def pull_request_target_checkout(inv: Inventory) -> Iterator[Outcome]:
    """`pull_request_target` runs with the base repository's secrets and a write token;
    checking out the pull request's head runs a stranger's code with them."""
    for workflow in ci_model(inv).github.workflows:
        if "pull_request_target" not in workflow.triggers:
            continue
        risky = [step for job in workflow.jobs for step in job.steps if _checks_out_head(step)]
        for step in risky:
            yield failed(
                step_subject(step),
                "checks out the pull request's head in a pull_request_target workflow",
                setting=step_subject(step).setting("with", "ref"),
            )
        if not risky:
            body = workflow.body
            subject = BlockSubject(
                workflow.resource.ref,
                "workflow",
                "on",
                body,
                Location(workflow.resource.name, key_line(body, "on")),
                "workflow",
            )
            yield passed(
                subject, "runs on pull_request_target without checking out the pull request's code"
            )


def _checks_out_head(step: Step) -> bool:
    if step.uses and action_name(step.uses) == "actions/checkout":
        target = f"{step.inputs.get('ref', '')} {step.inputs.get('repository', '')}"
        return bool(_PR_HEAD.search(target))
    return bool(
        step.run
        and _GIT_FETCH.search(step.run)
        and (_PR_HEAD.search(step.run) or "gh pr checkout" in step.run)
    )


@check(
    "WF-SCRIPT-INJECTION",
    requirement="4.2.1",
    severity="high",
    domain="workflows",
    title="Scripts do not expand attacker-controlled event fields",
    remediation="Pass the value through `env:` (`TITLE: ${{ github.event.issue.title }}`) "
    'and use it quoted as `"$TITLE"`; never put `${{ github.event.… }}` '
    "into `run:` or a github-script `script:`.",
    references=(HARDENING + "#understanding-the-risk-of-script-injections",),
)
def script_injection(inv: Inventory) -> Iterator[Outcome]:
    """Titles, bodies, branch names and commit messages are written by whoever opens the
    issue or pull request; expanded into a script, they run as code with the job's token."""
    for workflow in ci_model(inv).github.workflows:
        for job in workflow.jobs:
            for step in job.steps:
                script = _script_text(step)
                if not script:
                    continue
                subject = step_subject(step)
                setting = subject.setting(*(("run",) if step.run else ("with", "script")))
                fields = sorted(set(_UNTRUSTED.findall(script)))
                if fields:
                    yield failed(
                        subject, f"expands {', '.join(fields)} into its script", setting=setting
                    )
                elif "${{" in script:
                    yield passed(
                        subject,
                        "expands no attacker-controlled field into its script",
                        setting=setting,
                    )


def _script_text(step: Step) -> str:
    if step.run:
        return step.run
    if step.uses and action_name(step.uses) == "actions/github-script":
        return str(step.inputs.get("script", ""))
    return ""


@check(
    "WF-PIPE-TO-SHELL",
    requirement="4.2.1",
    severity="medium",
    domain="workflows",
    title="CI jobs do not pipe downloads into a shell",
    remediation="Use a pinned action or package, or download, verify the checksum or "
    "signature, then run.",
    references=(HARDENING,),
)
def ci_pipe_to_shell(inv: Inventory) -> Iterator[Outcome]:
    """`curl … | sh` in a build job runs unverified code with the job's token and secrets."""
    for job_subject, steps in written_jobs(inv):
        scripts = [step for step in steps if step.run]
        flagged = [
            (step, command) for step in scripts if (command := pipes_download_to_shell(step.run))
        ]
        for step, command in flagged:
            subject = step_subject(step)
            yield failed(
                subject,
                f"pipes a download into an interpreter ({command})",
                setting=subject.setting("run"),
            )
        if scripts and not flagged:
            yield passed(job_subject, "runs no downloaded script unverified")


# ---------------------------------------------------------------------------- 4.4.5


@check(
    "WF-SECRETS-IN-COMMANDS",
    requirement="4.4.5",
    severity="high",
    domain="workflows",
    title="CI scripts keep secrets off command lines and out of logs",
    remediation="Pass secrets through `env:` and read them from the environment or stdin "
    "(`--password-stdin`); never interpolate `${{ secrets.X }}` into a script, "
    "echo a secret, or put it in a command's arguments.",
    references=(HARDENING + "#using-secrets",),
)
def secrets_in_commands(inv: Inventory) -> Iterator[Outcome]:
    """Secrets in a script's text or a command's arguments are visible in the process list
    of a shared runner, and echoed or transformed secrets escape the log masking."""
    for _job, steps in written_jobs(inv):
        assigned = {name: value for step in steps for name, value in _ASSIGNED.findall(step.run)}
        for step in steps:
            if step.run or _BUILD_ARGS in step.inputs:
                yield from _secret_outcomes(step, assigned)


def _secret_outcomes(step: Step, assigned: dict[str, str]) -> Iterator[Outcome]:
    subject = step_subject(step)
    setting = subject.setting(*(("run",) if step.run else ("with", _BUILD_ARGS)))
    names = _secret_variables(step, assigned)
    build_args = str(step.inputs.get(_BUILD_ARGS, ""))
    problems = [
        f"passes secrets.{name} as a build argument, which the image history keeps"
        for name in dict.fromkeys(_SECRET_EXPRESSION.findall(build_args))
    ]
    problems += [
        f"interpolates secrets.{name} into its script"
        for name in dict.fromkeys(_SECRET_EXPRESSION.findall(step.run))
    ]
    problems += _exposures(step.run, names)
    for problem in problems:
        yield failed(subject, problem, setting=setting)
    if not problems and names:
        yield passed(
            subject,
            f"uses {', '.join(sorted(names))} without putting it on a command line or in the log",
            setting=setting,
        )


def _secret_variables(step: Step, assigned: dict[str, str]) -> set[str]:
    """Variables the script reads that hold secrets: set from `secrets.*` (GitHub), or
    secret-named (GitLab's CI/CD variables, values written to $GITHUB_ENV), unless the job
    visibly sets them to a path (`echo "private_key=$RUNNER_TEMP/key" >> $GITHUB_ENV`)."""
    referenced = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", step.run))
    defined = {**assigned, **{name: str(value) for name, value in step.env.items()}}
    return {name for name in referenced if _holds_secret(name, defined.get(name))}


def _holds_secret(name: str, value: str | None) -> bool:
    if value is not None and ("secrets." in value or "github.token" in value):
        return True
    if value is not None and value.startswith(_PATH_PREFIXES):
        return False
    return is_secret_name(name)


def _exposures(script: str, names: set[str]) -> list[str]:
    problems = []
    for _offset, line in logical_lines(script):
        for name in sorted(names):
            if not re.search(rf"\$\{{?{re.escape(name)}\b", line):
                continue
            for command in _commands(line):
                if not re.search(rf"\$\{{?{re.escape(name)}\b", command):
                    continue
                problem = _exposure(command, name)
                if problem:
                    problems.append(problem)
    return list(dict.fromkeys(problems))


def _commands(line: str) -> list[str]:
    """The simple commands of a line (split on `;`, `&&`, `||`), with pipes kept."""
    return [c for c in re.split(r";|&&|\|\|", line) if c.strip()]


def _exposure(command: str, name: str) -> str | None:
    first = command.split("|", 1)[0]
    if not re.search(rf"\$\{{?{re.escape(name)}\b", first):
        return None  # only used after a pipe, e.g. `... | cmd` reading stdin
    if re.search(rf"--build-arg[= ]+[\"']?\w+=[\"']?\$\{{?{re.escape(name)}\b", first):
        return f"passes {name} as a build argument, which the image history keeps"
    if _ECHO.match(first):
        quiet = "|" in command or ">" in first or "::add-mask::" in first
        return None if quiet else f"echoes {name} to the log"
    if _NO_PROCESS.match(first) or _ASSIGNMENT.match(first):
        return None
    return f"passes {name} on a command line"
