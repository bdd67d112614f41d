"""The shapes of file handlers, text scanners and finalizers: how each kind of input file
becomes resources. `c4guard.sources.kinds` lists them all, in the order they are asked.

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
