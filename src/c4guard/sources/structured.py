"""YAML and JSON files: parsed once, then offered to the interpreters that recognise
their documents (`c4guard.sources.kinds.INTERPRETERS`, in order)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from c4guard.model import Domain, Resource
from c4guard.sources.jsonload import MAX_LINED_JSON_CHARS, load_json
from c4guard.sources.result import FileResult
from c4guard.sources.yamlload import Document, YAMLLimitError, load_documents

Problem = tuple[int | None, str]

STRUCTURED_SUFFIXES = (".yaml", ".yml", ".json")
NOT_INFRASTRUCTURE = "YAML/JSON that is not infrastructure"
UNRENDERED_TEMPLATE = "unrendered template"
STDIN = "<stdin>"
INVALID_JSON = "invalid JSON"
JSON_START = re.compile(r"\s*[\[{]")
# Helm/Jinja markers; `${{ … }}` is GitHub Actions expression syntax, not a template.
TEMPLATE_MARKER = re.compile(r"(?<!\$)\{\{|\{%")


def looks_templated(text: str) -> bool:
    """Whether `text` holds Helm/Jinja markers. The substring test first: the pattern's
    look-behind makes it try every `{` (11 s on 6 million `{}`)."""
    return ("{{" in text or "{%" in text) and TEMPLATE_MARKER.search(text) is not None


@dataclass(frozen=True, slots=True)
class Unsupported:
    """An interpreter's word that it recognises a document c4guard cannot judge yet: the
    file is skipped with `reason` (never an input error, never "not infrastructure")."""

    reason: str


@dataclass(frozen=True, slots=True)
class Interpreter:
    """Turns documents of a file into resources of `domain`, or declines them (returns
    None). An interpreter that only recognises what c4guard cannot judge has no domain."""

    domain: Domain | None
    interpret: Callable[[Document, str, str | None], list[Resource] | Unsupported | None]

    def __post_init__(self) -> None:
        if self.domain is not None and not isinstance(self.domain, Domain):
            raise ValueError(
                f"interpreter {self.interpret.__name__}: {self.domain!r} is not a Domain"
            )


def is_structured(name: str) -> bool:
    return name.lower().endswith(STRUCTURED_SUFFIXES)


def parse_structured(
    text: str, display: str, namespace: str | None, interpreters: tuple[Interpreter, ...]
) -> FileResult:
    """Parse a YAML stream or JSON file and offer every document it holds to
    `interpreters`, in order."""
    result = FileResult()
    documents, error = _documents(text, display)
    for document in documents:
        _interpret(interpreters, document, display, namespace, result)
    if error is not None:
        line, reason = error
        if not result.resources and looks_templated(text):
            result.skipped = UNRENDERED_TEMPLATE
            result.template = True
        else:
            result.errors.append((line, reason))
    elif not result.resources and not result.claimed and not result.skipped:
        result.skipped = NOT_INFRASTRUCTURE
    return result


def _interpret(
    interpreters: tuple[Interpreter, ...],
    document: Document,
    display: str,
    namespace: str | None,
    result: FileResult,
) -> None:
    for interpreter in interpreters:
        resources = interpreter.interpret(document, display, namespace)
        if isinstance(resources, Unsupported):
            result.skipped = result.skipped or resources.reason
            return
        if resources is not None:
            result.resources.extend(resources)
            if interpreter.domain is not None:
                result.domains.add(interpreter.domain)
            result.claimed = True
            return


def _documents(text: str, display: str) -> tuple[list[Document], Problem | None]:
    if len(text) > MAX_LINED_JSON_CHARS:
        if display.lower().endswith(".json"):
            return _json_documents(text, display)
        if display == STDIN and JSON_START.match(text):  # a cluster dump, say
            dumped, problem = _json_documents(text, display)
            if problem is None or not problem[1].startswith(INVALID_JSON):  # else YAML, maybe
                return dumped, problem
    documents: list[Document] = []
    try:
        for document in load_documents(text, display):
            documents.append(document)
    except YAMLLimitError as exc:
        return documents, (exc.line, str(exc))
    except yaml.YAMLError as exc:
        if display.lower().endswith(".json") and not documents:
            return _json_documents(text, display)
        return documents, _yaml_problem(exc)
    return documents, None


def _yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    reason = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return (mark.line + 1 if mark else None), reason


def _json_documents(text: str, display: str) -> tuple[list[Document], Problem | None]:
    """Large JSON, and JSON that LibYAML rejects (YAML 1.1 differs in corners), goes
    through `json`."""
    try:
        value = load_json(text, display)
    except json.JSONDecodeError as exc:
        return [], (exc.lineno, f"{INVALID_JSON}: {exc.msg}")
    except YAMLLimitError as exc:
        return [], (exc.line, str(exc))
    return [Document(value, 1, text.count("\n") + 1)], None
