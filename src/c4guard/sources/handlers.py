"""The registry of file handlers, text scanners and finalizers: how each kind of input
file becomes resources.

- A `FileHandler` claims files by name and parses one file's text into a `FileResult`
  (runs in worker processes with --jobs, so it must be a top-level function). A handler
  with `reads_path` gets the path instead of the text (container image archives).
- A `ContentScanner` reads every file's bytes, claimed or not (secret detection does this).
- A `Finalizer` runs once in the main process after every file is read, for sources whose
  meaning spans files (Terraform modules, variables and references).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from c4guard.sources.result import FileResult
from c4guard.sources.structured import is_structured, parse_structured

if TYPE_CHECKING:
    from c4guard.sources import InputSet


@dataclass(frozen=True, slots=True)
class FileContext:
    """What a handler knows about the file besides its text."""

    display: str
    path: Path
    namespace: str | None = None


@dataclass(frozen=True, slots=True)
class FileHandler:
    name: str
    claims: Callable[[str], bool]
    parse: Callable[[str, FileContext], FileResult]
    reads_path: bool = False


@dataclass(frozen=True, slots=True)
class ContentScanner:
    name: str
    scan: Callable[[bytes, FileContext], FileResult]


Finalizer = Callable[["InputSet"], None]


def _parse_structured(text: str, context: FileContext) -> FileResult:
    return parse_structured(text, context.display, context.namespace)


STRUCTURED = FileHandler("yaml/json", is_structured, _parse_structured)  # also reads stdin
HANDLERS: list[FileHandler] = [STRUCTURED]
CONTENT_SCANNERS: list[ContentScanner] = []
FINALIZERS: list[Finalizer] = []


def handler_for(file_name: str) -> FileHandler | None:
    """The first handler that claims a file name (stdin is YAML/JSON)."""
    return next((h for h in HANDLERS if h.claims(file_name)), None)
