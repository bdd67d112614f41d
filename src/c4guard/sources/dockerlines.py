"""Dockerfile syntax: parser directives, comments, line continuations and heredocs, turned
into logical instructions with their first and last physical lines.

Follows BuildKit's Dockerfile frontend: directives (`# syntax=`, `# escape=`, `# check=`)
only before the first comment, blank line or instruction; the escape character (`\\` or
`` ` ``) at the end of a line continues it; comment and blank lines inside a continuation
are dropped; `RUN`/`COPY`/`ADD` may carry heredocs (`<<EOF`, `<<-EOF`, `<<"EOF"`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from c4guard.errors import InvalidInput

MAX_INSTRUCTIONS = 20_000
MAX_HEREDOCS = 64
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
FLAG_INSTRUCTIONS = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
KEYWORDS = frozenset(
    {
        "FROM",
        "RUN",
        "CMD",
        "LABEL",
        "MAINTAINER",
        "EXPOSE",
        "ENV",
        "ADD",
        "COPY",
        "ENTRYPOINT",
        "VOLUME",
        "USER",
        "WORKDIR",
        "ARG",
        "ONBUILD",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "SHELL",
    }
)
_DIRECTIVE = re.compile(r"#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"<<(-?)(?:\"([^\"\s]+)\"|'([^'\s]+)'|([A-Za-z_][A-Za-z0-9_]*))")


class DockerfileSyntaxError(InvalidInput, ValueError):
    """Input that BuildKit would refuse, with the line where it is."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message, line=line)


@dataclass(frozen=True, slots=True)
class Heredoc:
    """A here-document: its delimiter, content, and whether variables expand in it."""

    delimiter: str
    content: str
    line: int
    expands: bool


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction: keyword, `--flags`, the rest as written, exec-form words, heredocs."""

    keyword: str
    flags: tuple[tuple[str, str | None], ...]
    arguments: str
    exec_form: tuple[str, ...] | None
    heredocs: tuple[Heredoc, ...]
    line: int
    end_line: int

    def flag(self, name: str) -> str | None:
        """The last value of `--name` (an empty string for a bare `--name`)."""
        values = self.flag_values(name)
        return values[-1] if values else None

    def flag_values(self, name: str) -> list[str]:
        return [value or "" for key, value in self.flags if key == name]

    def has_flag(self, name: str) -> bool:
        return any(key == name for key, _ in self.flags)

    @property
    def text(self) -> str:
        """The command text: the shell form with any heredoc bodies, or the exec words."""
        if self.exec_form is not None:
            return " ".join(self.exec_form)
        bodies = "\n".join(h.content for h in self.heredocs)
        return f"{self.arguments}\n{bodies}" if bodies else self.arguments


@dataclass(frozen=True, slots=True)
class Lines:
    """A Dockerfile as parser directives and logical instructions."""

    directives: tuple[tuple[str, str], ...]
    escape: str
    instructions: tuple[Instruction, ...]


def split_instructions(text: str) -> Lines:
    """Parse directives and instructions; raises `DockerfileSyntaxError`."""
    physical = text.splitlines()
    directives, start = _directives(physical)
    escape = dict(directives).get("escape", "\\")
    if escape not in ("\\", "`"):
        raise DockerfileSyntaxError(f"invalid escape directive {escape!r} (use \\ or `)", 1)
    instructions: list[Instruction] = []
    index = start
    while index < len(physical):
        line = physical[index]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            index += 1
            continue
        logical, first, index = _logical_line(physical, index, escape)
        instruction, index = _instruction(logical, first, index, physical)
        instructions.append(instruction)
        if len(instructions) > MAX_INSTRUCTIONS:
            raise DockerfileSyntaxError(f"more than {MAX_INSTRUCTIONS:,} instructions", first)
    return Lines(tuple(directives), escape, tuple(instructions))


def _directives(physical: list[str]) -> tuple[list[tuple[str, str]], int]:
    """Directives at the top; BuildKit stops looking at the first other line."""
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, line in enumerate(physical):
        match = _DIRECTIVE.match(line.strip()) if line.strip() else None
        if not match:
            return found, index
        name = match[1].lower()
        if name in seen:
            raise DockerfileSyntaxError(f"parser directive {name!r} given twice", index + 1)
        seen.add(name)
        found.append((name, match[2]))
    return found, len(physical)


def _logical_line(physical: list[str], index: int, escape: str) -> tuple[str, int, int]:
    """Join continued lines; returns (text, first line number, index after the last)."""
    first = index + 1
    parts: list[str] = []
    while index < len(physical):
        line = physical[index]
        index += 1
        stripped = line.strip()
        if parts and (not stripped or stripped.startswith("#")):
            continue  # blank and comment lines inside a continuation are dropped
        body = line.rstrip()
        if body.endswith(escape):
            parts.append(body[:-1])
            continue
        parts.append(line)
        return " ".join(p.strip() for p in parts), first, index
    return " ".join(p.strip() for p in parts), first, index


def _instruction(
    logical: str, first: int, index: int, physical: list[str]
) -> tuple[Instruction, int]:
    word, _, rest = logical.strip().partition(" ")
    keyword = word.upper()
    if keyword not in KEYWORDS:
        raise DockerfileSyntaxError(f"unknown instruction {word!r}", first)
    rest = rest.strip()
    flags: tuple[tuple[str, str | None], ...] = ()
    if keyword in FLAG_INSTRUCTIONS:
        flags, rest = _flags(rest)
    heredocs: tuple[Heredoc, ...] = ()
    if keyword in HEREDOC_INSTRUCTIONS and "<<" in rest:
        heredocs, index = _heredocs(rest, index, physical, first)
    end_line = index
    return Instruction(keyword, flags, rest, _exec_form(rest), heredocs, first, end_line), index


def _flags(rest: str) -> tuple[tuple[tuple[str, str | None], ...], str]:
    flags: list[tuple[str, str | None]] = []
    while rest.startswith("--"):
        token, _, remainder = rest.partition(" ")
        if token == "--":
            break
        name, equals, value = token[2:].partition("=")
        flags.append((name.lower(), value if equals else None))
        rest = remainder.lstrip()
    return tuple(flags), rest


def _heredocs(
    rest: str, index: int, physical: list[str], first: int
) -> tuple[tuple[Heredoc, ...], int]:
    found: list[Heredoc] = []
    for match in _HEREDOC.finditer(rest):
        if len(found) >= MAX_HEREDOCS:
            raise DockerfileSyntaxError(f"more than {MAX_HEREDOCS} heredocs", first)
        strip_tabs = match[1] == "-"
        delimiter = match[2] or match[3] or match[4]
        body: list[str] = []
        start = index + 1
        while True:
            if index >= len(physical):
                raise DockerfileSyntaxError(f"heredoc <<{delimiter} is not terminated", first)
            line = physical[index]
            index += 1
            candidate = line.lstrip("\t") if strip_tabs else line
            if candidate.rstrip("\r") == delimiter:
                break
            body.append(candidate)
        expands = match[4] is not None
        found.append(Heredoc(delimiter, "\n".join(body), start, expands))
    return tuple(found), index


def _exec_form(rest: str) -> tuple[str, ...] | None:
    """JSON-array arguments (exec form); BuildKit falls back to the shell form otherwise."""
    if not rest.startswith("["):
        return None
    try:
        value = json.loads(rest)
    except (ValueError, RecursionError):
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None
