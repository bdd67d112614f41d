"""The PostgreSQL roles and grants of docs/audit.md, run against a real server: each role
can do its duty and nothing more."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import psycopg
import pytest

from c4guard.audit import AuditError, open_trail
from c4guard.audit.verify import verify_trail
from tests.audit.audit_testing import fill

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def sql_blocks(marker: str) -> list[str]:
    """The statements of the ```sql block that follows `<!-- marker` in the doc."""
    text = DOC.read_text()
    match = re.search(rf"<!-- {re.escape(marker)}[^>]*-->\s*```sql\n(.*?)```", text, re.S)
    assert match, f"no sql block after <!-- {marker} in {DOC}"
    body = "\n".join(line for line in match.group(1).splitlines() if not line.startswith("--"))
    return [statement.strip() for statement in body.split(";") if statement.strip()]


def as_role(url: str, role: str) -> str:
    return re.sub(r"//[^@/]*@", f"//{role}@", url, count=1)


def run_as_superuser(url: str, statements: list[str]) -> None:
    with psycopg.connect(url, autocommit=True) as db:
        for statement in statements:
            # Roles are cluster-wide: another test may have made them already.
            with contextlib.suppress(psycopg.errors.DuplicateObject):
                db.execute(statement)


@pytest.fixture
def roles(postgres_url: str) -> dict[str, str]:
    run_as_superuser(postgres_url, sql_blocks("grants:"))
    names = [
        "c4guard_audit_owner",
        "c4guard_audit_writer",
        "c4guard_audit_signer",
        "c4guard_auditor",
    ]
    return {
        name.removeprefix("c4guard_").removeprefix("audit_"): as_role(postgres_url, name)
        for name in names
    }


def test_documented_roles_can_do_their_duty_and_nothing_more(roles, signer):
    with pytest.raises(AuditError, match="cannot create"):
        open_trail(roles["writer"])
    open_trail(roles["owner"], create=True).close()
    with psycopg.connect(roles["owner"], autocommit=True) as owner:
        for statement in sql_blocks("grants after init"):
            owner.execute(statement)

    with open_trail(roles["writer"], create=False) as writer:
        fill(writer, 5)
        with pytest.raises(AuditError, match="permission denied"):
            writer.checkpoint(signer)
    with open_trail(roles["signer"], create=False) as checkpointer:
        checkpointer.checkpoint(signer)
        with pytest.raises(AuditError, match="permission denied"):
            fill(checkpointer, 1)
    with open_trail(roles["auditor"], create=False) as auditor:
        assert verify_trail(auditor, [signer.verifier()]).ok
        with pytest.raises(AuditError, match="permission denied"):
            fill(auditor, 1)

    for role in ("writer", "signer", "auditor"):
        with psycopg.connect(roles[role], autocommit=True) as db:
            for sql in (
                "UPDATE c4guard_audit_entries SET entry = entry",
                "DELETE FROM c4guard_audit_checkpoints",
                "TRUNCATE c4guard_audit_entries",
                "DROP TRIGGER c4guard_audit_entries_append_only ON c4guard_audit_entries",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    db.execute(sql)
