"""The trail on both stores: appends, checkpoints, proofs, append-only tables."""

from __future__ import annotations

import hashlib
import sqlite3
import threading

import psycopg
import pytest

from c4guard.audit import AuditError, Event, EventError, GroupCommitter, open_trail
from c4guard.audit.checkpoint import open_checkpoint
from c4guard.audit.merkle import MemoryTree, leaf_hash, verify_consistency, verify_inclusion
from c4guard.audit.verify import verify_trail
from tests.audit.audit_testing import fill


def test_appends_get_consecutive_indices_and_durable_receipts(trail, location):
    receipts = [trail.append("verify.verdict", {"n": n}, f"actor-{n}") for n in range(5)]
    assert [r.index for r in receipts] == [0, 1, 2, 3, 4]
    assert {r.origin for r in receipts} == {trail.origin}
    for receipt, (_, data) in zip(receipts, trail.entries(), strict=True):
        assert receipt.leaf_hash == hashlib.sha256(b"\x00" + data).hexdigest()
        assert receipt.time.endswith("Z")
    with open_trail(location, create=False) as reopened:
        assert reopened.origin == trail.origin and reopened.size() == 5
        assert reopened.entry(3).payload == {"n": 3} and reopened.entry(3).actor == "actor-3"


def test_append_many_is_all_or_nothing(trail):
    receipts = trail.append_many([Event("gate.decision", {"n": n}, "g") for n in range(10)])
    assert [r.index for r in receipts] == list(range(10))
    assert len({r.time for r in receipts}) == 1
    batch = [
        Event("gate.decision", {"ok": 1}, "g"),
        Event("gate.decision", {"x": float("inf")}, "g"),
    ]
    with pytest.raises(EventError):
        trail.append_many(batch)
    assert trail.size() == 10
    assert trail.append("gate.decision", {"ok": 2}, "g").index == 10, "rolled back cleanly"


def test_opening_a_missing_trail_without_create_fails(tmp_path, postgres_url):
    for location in (str(tmp_path / "none.db"), postgres_url):
        with pytest.raises(AuditError, match="no audit trail"):
            open_trail(location, create=False)


def test_a_trail_keeps_its_origin(location):
    with open_trail(location, origin="example.org/audit") as trail:
        assert trail.origin == "example.org/audit"
    with pytest.raises(AuditError, match=r"example\.org/audit"):
        open_trail(location, origin="other")


def test_checkpoints_and_proofs(trail, signer):
    fill(trail, 13)
    note = trail.checkpoint(signer)
    assert trail.checkpoint(signer) == note, "no new entries: the same checkpoint"
    head = open_checkpoint(note, [signer.verifier()], trail.origin)
    tree = MemoryTree()
    for _, data in trail.entries():
        tree.append(leaf_hash(data))
    assert (head.size, head.root) == (13, tree.root())
    fill(trail, 4, start=13)
    newer = open_checkpoint(trail.checkpoint(signer), [signer.verifier()], trail.origin)
    assert newer.size == 17
    for index, data in trail.entries():
        proof = trail.inclusion_proof(index)
        assert proof.tree_size == 17 and proof.leaf_hash == leaf_hash(data)
        verify_inclusion(leaf_hash(data), index, 17, proof.hashes, newer.root)
    verify_consistency(13, 17, head.root, newer.root, trail.consistency_proof(13, 17))
    fill(trail, 1, start=17)
    with pytest.raises(AuditError, match="no checkpoint covers entry 17"):
        trail.inclusion_proof(17)


def test_a_clean_trail_verifies(trail, signer):
    fill(trail, 5)
    trail.checkpoint(signer)
    fill(trail, 6, start=5)
    trail.checkpoint(signer)
    fill(trail, 2, start=11)
    report = verify_trail(trail, [signer.verifier()])
    assert report.ok, report.problems
    assert (report.entries, report.checkpoints_verified, report.latest_checkpoint) == (13, 2, 11)
    assert report.root == trail.root(13)
    assert report.notes == ["2 entries came after the latest checkpoint"]


def test_an_empty_trail_verifies_and_says_nothing_anchors_it(trail):
    report = verify_trail(trail, [])
    assert report.ok and report.entries == 0
    assert "no signed checkpoint" in report.notes[0]


def test_checkpoints_need_a_trusted_key_to_verify(trail, signer):
    fill(trail, 2)
    trail.checkpoint(signer)
    report = verify_trail(trail, [])
    assert not report.ok and "no trusted public key" in report.problems[0]


REFUSED = (sqlite3.Error, psycopg.Error)


@pytest.mark.parametrize(
    "table", ["c4guard_audit_entries", "c4guard_audit_checkpoints", "c4guard_audit_meta"]
)
def test_tables_refuse_update_delete_and_replace(trail, signer, raw, table):
    fill(trail, 3)
    trail.checkpoint(signer)
    key = {
        "c4guard_audit_entries": "idx",
        "c4guard_audit_checkpoints": "tree_size",
        "c4guard_audit_meta": "name",
    }[table]
    column = {
        "c4guard_audit_entries": "entry",
        "c4guard_audit_checkpoints": "note",
        "c4guard_audit_meta": "value",
    }[table]
    (some_key,) = raw.run(f"SELECT {key} FROM {table} LIMIT 1")[0]
    attempts = [
        f"UPDATE {table} SET {column} = {column} WHERE {key} = ?",
        f"DELETE FROM {table} WHERE {key} = ?",
    ]
    if raw.postgres:
        attempts.append(f"TRUNCATE {table}")
        attempts.append(
            f"INSERT INTO {table} SELECT * FROM {table} WHERE {key} = ?"
            f" ON CONFLICT ({key}) DO UPDATE SET {column} = EXCLUDED.{column}"
        )
    else:
        attempts.append(f"INSERT OR REPLACE INTO {table} SELECT * FROM {table} WHERE {key} = ?")
    for sql in attempts:
        with pytest.raises(REFUSED, match="append-only"):
            raw.run(sql, (some_key,) if "?" in sql else ())
    assert verify_trail(trail, [signer.verifier()]).ok


def test_group_commit_submit_cannot_be_cancelled(location):
    with GroupCommitter(open_trail(location)) as committer:
        futures = [committer.submit("gate.decision", {"n": n}, "server") for n in range(5)]
        assert not any(f.cancel() for f in futures)  # an async caller timing out is harmless
        assert [f.result(timeout=30).index for f in futures] == list(range(5))


def test_group_commit_batches_concurrent_appends(location, signer):
    committer = GroupCommitter(open_trail(location))
    receipts = []
    lock = threading.Lock()

    def worker(number: int) -> None:
        for n in range(20):
            receipt = committer.append("gate.decision", {"thread": number, "n": n}, f"t{number}")
            with lock:
                receipts.append(receipt)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with pytest.raises(EventError):
        committer.append("gate.decision", {"bad": float("nan")}, "t")
    commits = committer.commits
    committer.close()
    with pytest.raises(RuntimeError, match="closed"):
        committer.append("gate.decision", {}, "late")
    assert sorted(r.index for r in receipts) == list(range(320))
    assert commits < 320, "concurrent appends shared transactions"
    with open_trail(location) as trail:
        trail.checkpoint(signer)
        assert verify_trail(trail, [signer.verifier()]).ok
