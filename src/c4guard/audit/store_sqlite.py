"""The SQLite store: the embedded default, one file in WAL mode, synchronous commits.

Writers queue on an flock() of `<file>.lock` before taking SQLite's write lock: the kernel
wakes the next writer as soon as the lock is free, where SQLite's busy handler would poll
with growing sleeps (and starve under contention). The kernel also drops the lock of a
killed process."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from c4guard.audit.events import format_time
from c4guard.audit.store import APPEND_ONLY_MESSAGE, KEY_COLUMNS, AuditError, EntryRow, Store

BUSY_TIMEOUT_MS = 60_000

_TABLES = """
CREATE TABLE c4guard_audit_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE c4guard_audit_entries (
  idx INTEGER PRIMARY KEY CHECK (idx >= 0), entry BLOB NOT NULL, hashes BLOB NOT NULL);
CREATE TABLE c4guard_audit_checkpoints (
  tree_size INTEGER PRIMARY KEY CHECK (tree_size >= 0), note TEXT NOT NULL);
"""


def _append_only_triggers(table: str, key: str) -> str:
    # The INSERT trigger stops INSERT OR REPLACE, whose implicit delete fires no trigger.
    abort = f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END;"
    return f"""
CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} {abort}
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} {abort}
CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}
  WHEN EXISTS (SELECT 1 FROM {table} WHERE {key} = NEW.{key}) {abort}
"""


class SQLiteStore(Store):
    def __init__(self, path: Path, read_only: bool = False) -> None:
        """`read_only`: never create the file (a missing one is an AuditError) nor write."""
        self.description = str(path)
        self._lock_path = path.with_name(path.name + ".lock")
        self._lock_fd: int | None = None
        if read_only and not path.is_file():
            raise AuditError(f"no audit trail at {path}: no such file")
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            target = f"{path.resolve().as_uri()}?mode=ro" if read_only else str(path)
            self._db = sqlite3.connect(
                target,
                isolation_level=None,
                timeout=BUSY_TIMEOUT_MS / 1000,
                check_same_thread=False,
                uri=read_only,
            )
            if not read_only:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise AuditError(f"cannot open audit trail {path}: {exc}") from exc

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise AuditError(f"audit trail {self.description}: {exc}") from exc

    def _execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            self._db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise AuditError(f"audit trail {self.description}: {exc}") from exc

    def _has_schema(self) -> bool:
        return bool(self._query("SELECT 1 FROM sqlite_master WHERE name = 'c4guard_audit_meta'"))

    def _create_schema(self) -> None:
        script = _TABLES + "".join(_append_only_triggers(t, k) for t, k in KEY_COLUMNS.items())
        for statement in script.split(";\n"):
            if statement.strip():
                self._query(statement)

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[None]:
        self._query(begin)
        try:
            yield
            self._query("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.rollback()
            raise

    @contextmanager
    def _writer_queue(self) -> Iterator[None]:
        if self._lock_fd is None:
            try:
                self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                raise AuditError(f"cannot open {self._lock_path}: {exc.strerror}") from exc
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    @contextmanager
    def locked(self) -> Iterator[str]:
        with self._writer_queue(), self._transaction("BEGIN IMMEDIATE"):
            yield format_time(datetime.now(UTC))

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self._transaction("BEGIN"):
            yield

    def entries(self, start: int, end: int) -> Iterator[EntryRow]:
        cursor = self._db.execute(
            "SELECT idx, entry, hashes FROM c4guard_audit_entries"
            " WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, end),
        )
        yield from cursor

    def close(self) -> None:
        self._db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
