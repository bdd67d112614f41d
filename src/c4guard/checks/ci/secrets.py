"""C4.4 Secrets and cryptographic key management: checks of CI pipelines (no secrets on
command lines or in logs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.pipelines import Step
from c4guard.secretnames import is_secret_name
from c4guard.shellscan import logical_lines
from c4guard.views.ci import HARDENING, step_subject, written_jobs

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


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


@check(
    "WF-SECRETS-IN-COMMANDS",
    requirement="4.4.5",
    severity="high",
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
