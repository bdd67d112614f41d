"""Subjects for resources that are not Kubernetes workloads (a Dockerfile stage, a compose
service, a CI job or step): what a finding is about and where its settings are written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from c4guard.model import Location, ResourceRef
from c4guard.sources.merge import where
from c4guard.sources.yamlload import Mapping
from c4guard.workloads.views import Setting, dig


@dataclass(frozen=True, slots=True)
class BlockSubject:
    """A named block of a resource: `locate` finds a key's line in it, or the block's own."""

    ref: ResourceRef
    subject: str
    path: str
    block: Any
    fallback: Location
    source: str = "file"

    def locate(self, *keys: str) -> Location:
        """The deepest of `keys` written under the block, else the subject's own line (the
        line naming the service, job or step, not the block's first key)."""
        location = self.fallback
        node = self.block
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                break
            key_path, key_line = where(node, key)
            location = Location(key_path or location.path, key_line or location.line)
            node = node[key]
        return location

    def setting(self, *keys: str) -> Setting:
        """The value at `keys` (None when absent), where it is, and its dotted path."""
        value = dig(self.block, keys)
        return Setting(
            value,
            self.locate(*keys),
            ".".join((self.path, *keys)),
            self.source if value is not None else None,
        )

    def at(self, line: int | None, value: Any, path: str) -> Setting:
        """A setting written at `line` of this subject's file."""
        return Setting(
            value, Location(self.fallback.path, line), f"{self.path}.{path}", self.source
        )


def key_line(block: Any, key: Any) -> int | None:
    """The line `key` is written on in `block` (a YAML mapping), if known."""
    return block.line_of(key) if isinstance(block, Mapping) else None
