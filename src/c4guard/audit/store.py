"""Where the log lives: the storage contract shared by the SQLite and PostgreSQL stores.

Three append-only tables, the same on both databases:
- `c4guard_audit_meta(name, value)`: the log's origin and schema version;
- `c4guard_audit_entries(idx, entry, hashes)`: the canonical entry bytes, and the hashes of
  the leaf and of every perfect subtree whose last leaf it is (levels 0, 1, ...), so that
  appends and proofs read O(log n) rows;
- `c4guard_audit_checkpoints(tree_size, note)`: signed checkpoints.
Triggers reject UPDATE and DELETE (and on PostgreSQL TRUNCATE) on all three, and an INSERT
that would replace an existing row.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

from c4guard.errors import ServiceError

SCHEMA_VERSION = "1"
KEY_COLUMNS = {
    "c4guard_audit_meta": "name",
    "c4guard_audit_entries": "idx",
    "c4guard_audit_checkpoints": "tree_size",
}
APPEND_ONLY_MESSAGE = "c4guard audit trail is append-only"

EntryRow = tuple[int, bytes, bytes]


class AuditError(ServiceError):
    """The audit trail cannot be opened, read or written."""


def new_origin() -> str:
    """A fresh, unique log origin (the first line of its checkpoints)."""
    return f"c4guard.audit/{secrets.token_hex(8)}"


class Store(ABC):
    """One connection to one log. Not thread-safe: one thread uses it at a time.

    Queries are written with `?` placeholders; a backend with another style sets
    `placeholder`."""

    description: str
    placeholder = "?"

    # -- what each backend provides -------------------------------------------------
    @abstractmethod
    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def _execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def _create_schema(self) -> None:
        """Create the tables and triggers, inside the lock `initialise` holds."""

    @abstractmethod
    def locked(self) -> AbstractContextManager[str]:
        """A write transaction holding the log's append lock; yields the time now in entry
        format. Commits durably on exit, rolls back on error."""

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """A read transaction: every read inside it sees one state of the log."""

    @abstractmethod
    def entries(self, start: int, end: int) -> Iterator[EntryRow]:
        """Rows with start <= idx < end, in index order, streamed."""

    @abstractmethod
    def _has_schema(self) -> bool: ...

    @abstractmethod
    def close(self) -> None: ...

    # -- shared ------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return sql.replace("?", self.placeholder)

    def initialise(self, origin: str | None, create: bool) -> str:
        """The log's origin, creating tables, triggers and origin first when missing."""
        if not self._has_schema():
            if not create:
                raise AuditError(f"no audit trail at {self.description}")
            with self.locked():
                if not self._has_schema():
                    self._create_schema()
                    self._execute_many(
                        "INSERT INTO c4guard_audit_meta (name, value) VALUES (?, ?)",
                        [("schema_version", SCHEMA_VERSION), ("origin", origin or new_origin())],
                    )
        meta = dict(self._query("SELECT name, value FROM c4guard_audit_meta"))
        if meta.get("schema_version") != SCHEMA_VERSION or "origin" not in meta:
            raise AuditError(
                f"{self.description} holds no c4guard audit trail of schema {SCHEMA_VERSION}"
            )
        if origin is not None and origin != meta["origin"]:
            raise AuditError(f"{self.description} holds log {meta['origin']!r}, not {origin!r}")
        return meta["origin"]

    def size(self) -> int:
        """The number of entries (one past the highest index)."""
        (highest,) = self._query("SELECT max(idx) FROM c4guard_audit_entries")[0]
        return 0 if highest is None else highest + 1

    def hashes(self, indices: Sequence[int]) -> dict[int, bytes]:
        """The stored `hashes` column of the given entries."""
        if not indices:
            return {}
        marks = ", ".join("?" * len(indices))
        rows = self._query(
            f"SELECT idx, hashes FROM c4guard_audit_entries WHERE idx IN ({marks})", list(indices)
        )
        return {idx: bytes(blob) for idx, blob in rows}

    def entry(self, index: int) -> bytes | None:
        rows = self._query("SELECT entry FROM c4guard_audit_entries WHERE idx = ?", [index])
        return bytes(rows[0][0]) if rows else None

    def insert_entries(self, rows: Sequence[EntryRow]) -> None:
        self._execute_many(
            "INSERT INTO c4guard_audit_entries (idx, entry, hashes) VALUES (?, ?, ?)", rows
        )

    def checkpoints(self) -> list[tuple[int, str]]:
        """(tree size, signed note) of every stored checkpoint, smallest first."""
        return [
            (size, note)
            for size, note in self._query(
                "SELECT tree_size, note FROM c4guard_audit_checkpoints ORDER BY tree_size"
            )
        ]

    def latest_checkpoint(self) -> tuple[int, str] | None:
        rows = self._query(
            "SELECT tree_size, note FROM c4guard_audit_checkpoints ORDER BY tree_size DESC LIMIT 1"
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def insert_checkpoint(self, tree_size: int, note: str) -> None:
        self._execute_many(
            "INSERT INTO c4guard_audit_checkpoints (tree_size, note) VALUES (?, ?)",
            [(tree_size, note)],
        )
