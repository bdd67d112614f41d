"""Tampering behind the trail's back (raw SQL with the triggers dropped) is detected."""

from __future__ import annotations

import pytest

from c4guard.audit import AuditError, open_trail
from c4guard.audit.checkpoint import Checkpoint, sign_checkpoint
from c4guard.audit.merkle import Frontier, leaf_hash
from c4guard.audit.note import Signer
from c4guard.audit.verify import verify_trail
from tests.audit.audit_testing import fill

ENTRIES = "c4guard_audit_entries"
CHECKPOINTS = "c4guard_audit_checkpoints"


@pytest.fixture
def checkpointed(trail, signer):
    """Ten entries under a signed checkpoint at 10, then two more."""
    fill(trail, 10)
    trail.checkpoint(signer)
    fill(trail, 2, start=10)
    assert verify_trail(trail, [signer.verifier()]).ok
    return trail


def problems(trail, signer, against=None) -> str:
    report = verify_trail(trail, [signer.verifier()], against)
    assert not report.ok
    return "\n".join(report.problems)


def entry_row(raw, index: int) -> tuple[bytes, bytes]:
    entry, hashes = raw.run(f"SELECT entry, hashes FROM {ENTRIES} WHERE idx = ?", (index,))[0]
    return bytes(entry), bytes(hashes)


def rewrite_with_hashes(raw, index: int, old: bytes, new: bytes) -> None:
    """Change one of the 12 entries and recompute every stored hash, as a careful forger
    with the database owner's rights would."""
    rows = [entry_row(raw, n)[0] for n in range(12)]
    rows[index] = rows[index].replace(old, new)
    frontier = Frontier()
    raw.drop_triggers(ENTRIES)
    for position, data in enumerate(rows):
        hashes = b"".join(frontier.append(leaf_hash(data)))
        raw.run(
            f"UPDATE {ENTRIES} SET entry = ?, hashes = ? WHERE idx = ?", (data, hashes, position)
        )


def test_changed_entry_content_is_detected(checkpointed, signer, raw):
    entry, _ = entry_row(raw, 4)
    forged = entry.replace(b'"n":4', b'"n":5')
    raw.tamper(ENTRIES, f"UPDATE {ENTRIES} SET entry = ? WHERE idx = 4", (forged,))
    found = problems(checkpointed, signer)
    assert "entry 4: content does not match its recorded leaf hash" in found
    assert "signed checkpoint at size 10 does not match" in found


def test_a_consistent_rewrite_is_caught_by_the_signed_checkpoint(checkpointed, signer, raw):
    """The forger rewrites one entry and recomputes every stored hash: only the signed
    checkpoint still tells."""
    rewrite_with_hashes(raw, 3, b'"n":3', b'"n":33')
    found = problems(checkpointed, signer)
    assert found == "the signed checkpoint at size 10 does not match the entries"


def test_deleted_entries_are_detected(checkpointed, signer, raw):
    raw.tamper(ENTRIES, f"DELETE FROM {ENTRIES} WHERE idx = 6")
    assert "entries 6 to 6 are missing" in problems(checkpointed, signer)


def test_deleting_the_tail_under_a_checkpoint_is_detected(checkpointed, signer, raw):
    raw.tamper(ENTRIES, f"DELETE FROM {ENTRIES} WHERE idx >= 9")
    found = problems(checkpointed, signer)
    assert "a signed checkpoint covers 10 entries but the log has 9" in found


def test_swapped_entries_are_detected(checkpointed, signer, raw):
    two, five = entry_row(raw, 2), entry_row(raw, 5)
    raw.drop_triggers(ENTRIES)
    raw.run(f"UPDATE {ENTRIES} SET entry = ?, hashes = ? WHERE idx = 2", five)
    raw.run(f"UPDATE {ENTRIES} SET entry = ?, hashes = ? WHERE idx = 5", two)
    found = problems(checkpointed, signer)
    assert "entry 2 says it is entry 5" in found and "entry 5 says it is entry 2" in found
    assert "signed checkpoint at size 10 does not match" in found


def test_a_checkpoint_signed_by_another_key_is_detected(checkpointed, signer, raw):
    intruder = Signer.generate(signer.name)  # same name, another key
    forged = sign_checkpoint(Checkpoint(checkpointed.origin, 12, checkpointed.root(12)), intruder)
    raw.run(f"INSERT INTO {CHECKPOINTS} (tree_size, note) VALUES (?, ?)", (12, forged))
    assert "checkpoint at size 12: note is not signed by a trusted key" in problems(
        checkpointed, signer
    )


def test_a_replaced_checkpoint_is_detected(checkpointed, signer, raw):
    (note,) = raw.run(f"SELECT note FROM {CHECKPOINTS} WHERE tree_size = 10")[0]
    altered = note.replace("\n10\n", "\n9\n")
    raw.tamper(CHECKPOINTS, f"UPDATE {CHECKPOINTS} SET note = ? WHERE tree_size = 10", (altered,))
    assert "checkpoint at size 10: invalid signature" in problems(checkpointed, signer)


def test_a_fork_is_inconsistent_with_an_earlier_checkpoint(checkpointed, signer, raw):
    """A witness kept the checkpoint at 10. The operator rewinds to 7 entries, appends
    other events and signs new checkpoints with the real key: the log verifies on its own,
    but not against the witness's copy."""
    witness = checkpointed.checkpoint(signer)  # size 12
    raw.drop_triggers(ENTRIES)
    raw.drop_triggers(CHECKPOINTS)
    raw.run(f"DELETE FROM {ENTRIES} WHERE idx >= 7")
    raw.run(f"DELETE FROM {CHECKPOINTS}")
    with open_trail(raw.location) as forked:
        fill(forked, 8, start=100)
        forked.checkpoint(signer)
        assert verify_trail(forked, [signer.verifier()]).ok
        found = problems(forked, signer, against=witness)
        assert "not consistent with the checkpoint at size 12" in found


def test_a_rolled_back_log_is_caught_by_a_witness_checkpoint(checkpointed, signer, raw):
    witness = checkpointed.checkpoint(signer)
    raw.drop_triggers(ENTRIES)
    raw.drop_triggers(CHECKPOINTS)
    raw.run(f"DELETE FROM {ENTRIES} WHERE idx >= 11")
    raw.run(f"DELETE FROM {CHECKPOINTS} WHERE tree_size = 12")
    assert verify_trail(checkpointed, [signer.verifier()]).ok
    found = problems(checkpointed, signer, against=witness)
    assert "covers 12 entries but the log has 11" in found


def test_a_consistent_log_passes_against_its_earlier_checkpoint(checkpointed, signer):
    witness = checkpointed.checkpoint(signer)
    fill(checkpointed, 5, start=12)
    report = verify_trail(checkpointed, [signer.verifier()], against=witness)
    assert report.ok and "consistent with the checkpoint at size 12" in report.notes


def test_checkpoints_are_not_signed_over_tampered_entries(checkpointed, signer, raw):
    entry, _ = entry_row(raw, 11)
    raw.tamper(
        ENTRIES,
        f"UPDATE {ENTRIES} SET entry = ? WHERE idx = 11",
        (entry.replace(b'"n":11', b'"n":0'),),
    )
    with pytest.raises(AuditError, match="entry 11 does not match its recorded hashes"):
        checkpointed.checkpoint(signer)
    assert checkpointed.latest_checkpoint().size == 10


def test_checkpoints_are_not_signed_over_a_rewritten_past(checkpointed, signer, raw):
    rewrite_with_hashes(raw, 2, b'"n":2', b'"n":22')
    with pytest.raises(AuditError, match="no longer leads to the checkpoint at size 10"):
        checkpointed.checkpoint(signer)
