"""The input kinds c4guard reads, in the one order they are asked: file handlers claim a
file by name (the first that claims it parses it), interpreters are offered each YAML/JSON
document (the first that recognises it wins), content scanners read every file, and
finalizers run once after all files are read.

To add an input kind, write its module under `c4guard.sources` (a `FileHandler` or an
`Interpreter` for its domain) and list it here.
"""

from __future__ import annotations

from c4guard.sources import (
    cloudformation,
    compose,
    dockerfile,
    github,
    gitlab,
    images,
    kubernetes,
    mosquitto,
    seccomp,
    secrets,
    terraform,
)
from c4guard.sources.handlers import ContentScanner, FileContext, FileHandler, Finalizer
from c4guard.sources.result import FileResult
from c4guard.sources.structured import Interpreter, is_structured, parse_structured

INTERPRETERS: tuple[Interpreter, ...] = (
    terraform.PLAN_INTERPRETER,  # `terraform show -json` output
    gitlab.INTERPRETER,
    github.INTERPRETER,
    compose.INTERPRETER,
    kubernetes.INTERPRETER,
    seccomp.INTERPRETER,
    cloudformation.INTERPRETER,  # judged by the Terraform checks (views.cloudformation)
)


def read_structured(text: str, display: str, namespace: str | None = None) -> FileResult:
    """A YAML or JSON file (or stdin) through every interpreter."""
    return parse_structured(text, display, namespace, INTERPRETERS)


def _parse_structured(text: str, context: FileContext) -> FileResult:
    return read_structured(text, context.display, context.namespace)


STRUCTURED = FileHandler("yaml/json", is_structured, _parse_structured)  # also reads stdin

HANDLERS: tuple[FileHandler, ...] = (
    terraform.HANDLER,  # `.tf.json` and `.tfvars.json` end in .json: before YAML/JSON
    STRUCTURED,
    dockerfile.HANDLER,
    images.HANDLER,
    mosquitto.HANDLER,
)
CONTENT_SCANNERS: tuple[ContentScanner, ...] = (secrets.SCANNER,)
FINALIZERS: tuple[Finalizer, ...] = (terraform.FINALIZER,)


def handler_for(file_name: str) -> FileHandler | None:
    """The first handler that claims a file name (stdin is YAML/JSON)."""
    return next((h for h in HANDLERS if h.claims(file_name)), None)
