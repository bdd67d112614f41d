"""Fixtures for the audit trail: one suite, run on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from c4guard.audit import open_trail
from c4guard.audit.note import Signer
from tests.audit.audit_testing import PostgresCluster, find_bindir
from tests.conftest import unavailable


@pytest.fixture(autouse=True)
def isolated_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keys and the default trail go to a per-test state directory."""
    state = tmp_path / "state"
    monkeypatch.setenv("C4GUARD_STATE_DIR", str(state))
    return state


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A superuser URL: $C4GUARD_TEST_POSTGRES_URL, else a throwaway local cluster."""
    explicit = os.environ.get("C4GUARD_TEST_POSTGRES_URL")
    if explicit:
        yield explicit
        return
    bindir = find_bindir()
    if bindir is None:
        unavailable("PostgreSQL server binaries not found (apt-get install postgresql)")
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
    except (RuntimeError, OSError) as exc:
        cluster.stop()
        unavailable(f"cannot start PostgreSQL: {exc}")
    yield cluster.url
    cluster.stop()


def _with_database(server_url: str, name: str) -> str:
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database for one test."""
    name = f"c4guard_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield _with_database(postgres_server, name)
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the trail under test lives: a SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "audit.db")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def signer() -> Signer:
    return Signer.generate("test/c4guard-audit")


@pytest.fixture
def trail(location: str) -> Iterator:
    with open_trail(location) as opened:
        yield opened


class RawSQL:
    """Writes to a trail's tables behind its back: drops the append-only triggers first."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.postgres = location.startswith("postgresql://")

    def run(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.postgres:
            with psycopg.connect(self.location, autocommit=True) as db:
                cursor = db.execute(sql.replace("?", "%s"), params)
                return cursor.fetchall() if cursor.description else []
        import sqlite3

        db = sqlite3.connect(self.location, isolation_level=None)
        try:
            return db.execute(sql, params).fetchall()
        finally:
            db.close()

    def drop_triggers(self, table: str) -> None:
        if self.postgres:
            names = self.run(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = ?::regclass AND NOT tgisinternal",
                (table,),
            )
        else:
            names = self.run(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,)
            )
        for (name,) in names:
            self.run(f"DROP TRIGGER {name}" + (f" ON {table}" if self.postgres else ""))

    def tamper(self, table: str, sql: str, params: tuple = ()) -> None:
        self.drop_triggers(table)
        self.run(sql, params)


@pytest.fixture
def raw(location: str) -> RawSQL:
    return RawSQL(location)
