"""Resource bodies for live facts: every key remembers the file and line it was read from,
so that a finding about a host points at `/proc/self/status:41` like a manifest finding
points at its YAML line."""

from __future__ import annotations

from typing import Any

from c4guard.sources.merge import MergedMapping


class Facts(MergedMapping):
    """A mapping of facts, each with its own source file and line."""

    __slots__ = ()

    def put(self, key: str, value: Any, path: str | None, line: int | None = None) -> None:
        self[key] = value
        self.origins[key] = (path or self.path, line)
        self.key_lines[key] = line or 0
