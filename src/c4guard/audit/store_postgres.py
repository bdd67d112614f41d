"""The PostgreSQL store: one log shared by teams and by several gate replicas.

Appends serialise on a transaction-scoped advisory lock (no table privilege beyond
SELECT and INSERT is needed), take their time from the server's clock, and commit with
`synchronous_commit = on` whatever the server default."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from c4guard.audit.events import format_time
from c4guard.audit.store import APPEND_ONLY_MESSAGE, KEY_COLUMNS, AuditError, EntryRow, Store

# hashtext() of a fixed name, computed by the server: the same lock for every replica.
_LOCK = "SELECT pg_advisory_xact_lock(hashtext('c4guard_audit:' || current_schema()))"
STREAM_ROWS = 5000
CONNECT_TIMEOUT_S = 10

_TABLES = f"""
CREATE TABLE c4guard_audit_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE c4guard_audit_entries (
  idx BIGINT PRIMARY KEY CHECK (idx >= 0), entry BYTEA NOT NULL, hashes BYTEA NOT NULL);
CREATE TABLE c4guard_audit_checkpoints (
  tree_size BIGINT PRIMARY KEY CHECK (tree_size >= 0), note TEXT NOT NULL);
CREATE FUNCTION c4guard_audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%: % on % rejected', '{APPEND_ONLY_MESSAGE}', TG_OP, TG_TABLE_NAME;
END $$;
"""


def _append_only_triggers(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION c4guard_audit_reject_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION c4guard_audit_reject_change();
"""


def describe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unparsable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


class PostgresStore(Store):
    placeholder = "%s"

    def __init__(self, url: str) -> None:
        self.description = describe_url(url)
        try:
            params: dict[str, Any] = conninfo_to_dict(url)
            params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
            self._db = psycopg.connect(**params, autocommit=True)
        except psycopg.Error as exc:
            raise AuditError(f"cannot connect to audit trail {self.description}: {exc}") from exc

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self._db.cursor() as cursor:
                cursor.execute(self._sql(sql), params)
                return cursor.fetchall() if cursor.description else []
        except psycopg.Error as exc:
            raise AuditError(f"audit trail {self.description}: {exc}") from exc

    def _execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        try:
            with self._db.cursor() as cursor:
                cursor.executemany(self._sql(sql), rows)
        except psycopg.Error as exc:
            raise AuditError(f"audit trail {self.description}: {exc}") from exc

    def _has_schema(self) -> bool:
        (found,) = self._query("SELECT to_regclass('c4guard_audit_meta') IS NOT NULL")[0]
        return bool(found)

    def _create_schema(self) -> None:
        ddl = _TABLES + "".join(_append_only_triggers(table) for table in KEY_COLUMNS)
        try:
            self._db.execute(ddl)
        except psycopg.Error as exc:
            raise AuditError(f"cannot create the audit trail in {self.description}: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            with self._db.transaction():
                yield
        except psycopg.Error as exc:
            raise AuditError(f"audit trail {self.description}: {exc}") from exc

    @contextmanager
    def locked(self) -> Iterator[str]:
        with self._transaction():
            self._query("SET LOCAL synchronous_commit = on")
            self._query(_LOCK)
            (now,) = self._query("SELECT clock_timestamp()")[0]
            yield format_time(now)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self._transaction():
            self._query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield

    def entries(self, start: int, end: int) -> Iterator[EntryRow]:
        with self._transaction(), self._db.cursor(name="c4guard_audit_entries") as cursor:
            cursor.itersize = STREAM_ROWS
            cursor.execute(
                "SELECT idx, entry, hashes FROM c4guard_audit_entries"
                " WHERE idx >= %s AND idx < %s ORDER BY idx",
                (start, end),
            )
            for idx, entry, hashes in cursor:
                yield idx, bytes(entry), bytes(hashes)

    def close(self) -> None:
        self._db.close()
