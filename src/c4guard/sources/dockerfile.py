"""Dockerfiles (and Containerfiles): build stages from instructions, with BuildKit's rules
for `ARG` before `FROM`, stage names, and variable expansion.

Each stage becomes a resource (origin `docker`, kind `Dockerfile`, named by the file's
path) spanning its lines, so a finding or an inline suppression belongs to one stage.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass

from c4guard.model import Domain, Location, Origin, Resource
from c4guard.sources.dockerlines import (
    DockerfileSyntaxError,
    Instruction,
    split_instructions,
)
from c4guard.sources.handlers import FileContext, FileHandler
from c4guard.sources.result import FileResult
from c4guard.sources.structured import TEMPLATE_MARKER

ORIGIN = Origin.DOCKER
DOMAIN = Domain.DOCKER
KIND = "Dockerfile"
SCRATCH = "scratch"
UNRENDERED_TEMPLATE = "unrendered template"
EMPTY = "empty Dockerfile"
# `Dockerfile.<ext>` files that are not Dockerfiles.
_NOT_DOCKERFILE_SUFFIXES = (
    ".dockerignore",
    ".go",
    ".py",
    ".md",
    ".txt",
    ".json",
    ".yaml",
    ".yml",
    ".sh",
    ".rs",
    ".js",
    ".ts",
    ".orig",
    ".rej",
    ".swp",
    ".bak",
)
_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)
_UNSET = object()


def claims(name: str) -> bool:
    """`Dockerfile`, `Dockerfile.*`, `*.dockerfile`, `Containerfile*` (any case)."""
    lower = name.lower()
    if lower.endswith(_NOT_DOCKERFILE_SUFFIXES):
        return False
    return (
        lower in ("dockerfile", "containerfile")
        or lower.startswith("dockerfile.")
        or lower.endswith(".dockerfile")
        or lower.startswith("containerfile.")
    )


@dataclass(frozen=True, slots=True)
class Stage:
    """One build stage: `FROM` and the instructions up to the next `FROM`."""

    index: int
    name: str | None
    base: str
    image: str | None
    parent: int | None
    platform: str | None
    instructions: tuple[Instruction, ...]
    line: int
    end_line: int

    @property
    def label(self) -> str:
        return self.name or f"#{self.index}"

    def of(self, *keywords: str) -> Iterator[Instruction]:
        """This stage's instructions with one of `keywords`."""
        return (i for i in self.instructions if i.keyword in keywords)


@dataclass(frozen=True, slots=True)
class Dockerfile:
    path: str
    directives: tuple[tuple[str, str], ...]
    global_args: tuple[Instruction, ...]
    stages: tuple[Stage, ...]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def parent_of(self, stage: Stage) -> Stage | None:
        return self.stages[stage.parent] if stage.parent is not None else None

    def variables(self, stage: Stage, before: Instruction | None = None) -> dict[str, object]:
        """ARG and ENV values visible in `stage` (before `before`); `_UNSET`-valued names
        are declared without a known value (a build argument given at build time)."""
        parent = self.parent_of(stage)
        known: dict[str, object] = (
            {k: v for k, v in self.variables(parent).items() if k in _env_names(parent)}
            if parent is not None
            else {}
        )
        globals_ = _global_defaults(list(self.global_args))
        for instruction in stage.instructions:
            if instruction is before:
                break
            if instruction.keyword == "ARG":
                for name, value in arg_pairs((instruction,)):
                    if value is None:
                        value = globals_.get(name)
                    known[name] = _UNSET if value is None else expand(value, known)
            elif instruction.keyword == "ENV":
                for name, value in env_pairs(instruction):
                    known[name] = expand(value, known)
        return known

    def effective_user(self, stage: Stage) -> tuple[str | None, Instruction | None, Stage]:
        """The USER in force at the end of `stage` (inherited from parent stages), the
        instruction that set it, and the stage it was found in (None when no stage sets
        one: the base image decides)."""
        current: Stage | None = stage
        while current is not None:
            users = list(current.of("USER"))
            if users:
                last = users[-1]
                value = expand(last.arguments, self.variables(current, last))
                return value, last, current
            if self.parent_of(current) is None:
                return None, None, current
            current = self.parent_of(current)
        return None, None, stage


def _env_names(stage: Stage) -> set[str]:
    return {name for i in stage.of("ENV") for name, _ in env_pairs(i)}


def expand(text: str, variables: dict[str, object]) -> str | None:
    """Substitute `$VAR`/`${VAR}`/`${VAR:-word}`/`${VAR:+word}`; None when a value is
    unknown (a build argument without a default, or an unsupported modifier)."""
    expander = _Expander(text, variables)
    result = _VARIABLE.sub(expander.substitute, text)
    if expander.unknown or "${" in result:
        return None
    return result.replace("\\$", "$")


class _Expander:
    def __init__(self, text: str, variables: dict[str, object]) -> None:
        self.text = text
        self.variables = variables
        self.unknown = False

    def substitute(self, match: re.Match[str]) -> str:
        if match.start() > 0 and self.text[match.start() - 1] == "\\":
            return match[0]
        value = self.variables.get(match["braced"] or match["plain"])
        op = match["op"]
        if op is None:
            if value is None or value is _UNSET:
                self.unknown = True
                return ""
            return str(value)
        if value is _UNSET:
            value = None  # a build argument without a default: the modifier's default applies
        word = expand(match["word"] or "", self.variables) or ""
        is_set = value is not None
        non_empty = is_set and value != ""
        if op == ":-":
            return str(value) if non_empty else word
        if op == "-":
            return str(value) if is_set else word
        if op == ":+":
            return word if non_empty else ""
        return word if is_set else ""


def words(text: str) -> list[str]:
    """Shell-like words (quotes removed); whitespace split when the quotes do not balance."""
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


def arg_pairs(
    instructions: tuple[Instruction, ...] | list[Instruction],
) -> list[tuple[str, str | None]]:
    """`ARG name[=default] ...` as (name, default or None)."""
    pairs: list[tuple[str, str | None]] = []
    for instruction in instructions:
        for word in words(instruction.arguments):
            name, equals, value = word.partition("=")
            pairs.append((name, value if equals else None))
    return pairs


def env_pairs(instruction: Instruction) -> list[tuple[str, str]]:
    """`ENV k=v k2="v 2"` or the legacy `ENV k value with spaces`."""
    parts = words(instruction.arguments)
    if not parts:
        return []
    if "=" not in parts[0]:
        name, _, rest = instruction.arguments.strip().partition(" ")
        return [(name, rest.strip())]
    return [(name, value) for name, _, value in (p.partition("=") for p in parts)]


# ------------------------------------------------------------------------ building stages


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    """Parse a Dockerfile into stages; raises `DockerfileSyntaxError`."""
    lines = split_instructions(text)
    global_args: list[Instruction] = []
    groups: list[list[Instruction]] = []
    for instruction in lines.instructions:
        if instruction.keyword == "FROM":
            groups.append([instruction])
        elif groups:
            groups[-1].append(instruction)
        elif instruction.keyword == "ARG":
            global_args.append(instruction)
        else:
            raise DockerfileSyntaxError(
                f"{instruction.keyword} before the first FROM (only ARG may come first)",
                instruction.line,
            )
    if not groups:
        line = global_args[0].line if global_args else None
        raise DockerfileSyntaxError("no FROM instruction: not a buildable Dockerfile", line)
    stages: list[Stage] = []
    defaults = _global_defaults(global_args)
    last_line = max(len(text.splitlines()), groups[-1][-1].end_line)
    for index, group in enumerate(groups):
        end_line = groups[index + 1][0].line - 1 if index + 1 < len(groups) else last_line
        stages.append(_stage(index, group, stages, defaults, end_line))
    return Dockerfile(path, lines.directives, tuple(global_args), tuple(stages))


def _global_defaults(global_args: list[Instruction]) -> dict[str, str | None]:
    """ARG defaults before the first FROM, each expanded with the ones declared before it."""
    defaults: dict[str, str | None] = {}
    for name, value in arg_pairs(global_args):
        known = {k: (_UNSET if v is None else v) for k, v in defaults.items()}
        defaults[name] = expand(value, known) if value is not None else None
    return defaults


def _stage(
    index: int,
    group: list[Instruction],
    earlier: list[Stage],
    defaults: dict[str, str | None],
    end_line: int,
) -> Stage:
    """A stage from its instructions; it spans the lines up to the next FROM."""
    head = group[0]
    parts = head.arguments.split()
    if not parts:
        raise DockerfileSyntaxError("FROM names no image", head.line)
    base = parts[0]
    name = None
    if len(parts) == 3 and parts[1].lower() == "as":
        name = parts[2].lower()
    elif len(parts) != 1:
        raise DockerfileSyntaxError(
            f"FROM takes an image and `AS name`, not {head.arguments!r}", head.line
        )
    variables = {k: (_UNSET if v is None else v) for k, v in defaults.items()}
    image = expand(base, variables)
    parent = next(
        (s.index for s in reversed(earlier) if image is not None and s.name == image.lower()), None
    )
    return Stage(
        index, name, base, image, parent, head.flag("platform"), tuple(group), head.line, end_line
    )


# ------------------------------------------------------------------------ file handler


def parse(text: str, context: FileContext) -> FileResult:
    """The file handler: a resource per stage, or an input error at the offending line."""
    result = FileResult()
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        result.skipped = EMPTY
        return result
    try:
        dockerfile = parse_dockerfile(text, context.display)
    except DockerfileSyntaxError as exc:
        if TEMPLATE_MARKER.search(text):
            result.skipped = UNRENDERED_TEMPLATE
            result.template = True
        else:
            result.errors.append((exc.line, f"invalid Dockerfile: {exc}"))
        return result
    result.claimed = True
    result.domains.add(DOMAIN)
    for stage in dockerfile.stages:
        result.resources.append(
            Resource(
                origin=ORIGIN,
                kind=KIND,
                name=context.display,
                namespace=None,
                body=StageRef(dockerfile, stage.index),
                location=Location(context.display, stage.line),
                end_line=stage.end_line,
            )
        )
    return result


@dataclass(frozen=True, slots=True)
class StageRef:
    """A resource body: one stage, with the Dockerfile it belongs to."""

    dockerfile: Dockerfile
    index: int

    @property
    def stage(self) -> Stage:
        return self.dockerfile.stages[self.index]


HANDLER = FileHandler("dockerfile", claims, parse)
