"""Renders cached within a run, keyed by what determines their output: the renderer, the
chart's (or overlay's) file contents and the values and options it was given."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")
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
