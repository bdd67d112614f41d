"""Checking a trail: recompute the tree from the stored entries, check every signed
checkpoint against it, and check consistency with a checkpoint held elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from c4guard.audit.checkpoint import CheckpointError, open_checkpoint, read_checkpoint
from c4guard.audit.events import EVENT_KINDS, EventError, decode_entry
from c4guard.audit.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
    Frontier,
    ProofError,
    leaf_hash,
    verify_consistency,
)
from c4guard.audit.note import Verifier
from c4guard.audit.store import AuditError
from c4guard.audit.trail import Trail
from c4guard.audit.witness import Witness

MAX_PROBLEMS = 50


@dataclass
class VerifyReport:
    """What a verification found. `problems` are failures; `notes` are not."""

    entries: int = 0
    root: bytes = EMPTY_ROOT
    checkpoints_verified: int = 0
    latest_checkpoint: int | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems_left_out: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)
        else:
            self.problems_left_out += 1


def check_entry(index: int, data: bytes, report: VerifyReport) -> None:
    """Record a problem when the entry at `index` is not a well-formed entry for it."""
    try:
        entry = decode_entry(data)
    except EventError as exc:
        report.problem(f"entry {index}: {exc}")
        return
    if entry.index != index:
        report.problem(f"entry {index} says it is entry {entry.index} (moved?)")
    if entry.kind not in EVENT_KINDS:
        report.problem(f"entry {index}: unknown kind {entry.kind!r}")


def verify_trail(
    trail: Trail,
    verifiers: list[Verifier],
    against: str | None = None,
    witness: Witness | None = None,
) -> VerifyReport:
    """Recompute the whole tree and check it against every stored checkpoint, and,
    with `against`, against a signed checkpoint kept elsewhere (a witness's copy), and
    with `witness`, against the local witness of the latest checkpoint."""
    report = VerifyReport()
    with trail.store.snapshot():
        if witness is not None:
            _check_witness_count(trail, witness, report)
        signed_roots = _stored_checkpoints(trail, verifiers, report)
        if signed_roots.get(0, EMPTY_ROOT) != EMPTY_ROOT:
            report.problem("the checkpoint at size 0 does not carry the empty tree's hash")
        frontier = _recompute(trail, signed_roots, report)
        report.entries, report.root = frontier.size, frontier.root()
        for size in sorted(s for s in signed_roots if s > frontier.size):
            report.problem(
                f"a signed checkpoint covers {size} entries but the log has {frontier.size}:"
                " entries were removed"
            )
        if against is not None:
            _check_against(trail, against, verifiers, report)
        if witness is not None:
            _check_against(trail, witness.note, verifiers, report, "the local witness")
    if report.latest_checkpoint is None:
        report.notes.append("no signed checkpoint yet: run `c4guard audit checkpoint`")
    elif report.latest_checkpoint < report.entries:
        uncovered = report.entries - report.latest_checkpoint
        report.notes.append(f"{uncovered} entries came after the latest checkpoint")
    return report


def _stored_checkpoints(
    trail: Trail, verifiers: list[Verifier], report: VerifyReport
) -> dict[int, bytes]:
    stored = trail.store.checkpoints()
    if stored and not verifiers:
        report.problem(f"no trusted public key to check {len(stored)} signed checkpoints (--key)")
    roots = {}
    for size, note in stored:
        try:
            if verifiers:
                checkpoint = open_checkpoint(note, verifiers, trail.origin)
            else:
                checkpoint = read_checkpoint(note)
        except CheckpointError as exc:
            report.problem(f"checkpoint at size {size}: {exc}")
            continue
        if checkpoint.size != size:
            report.problem(f"checkpoint stored for size {size} is for size {checkpoint.size}")
            continue
        roots[size] = checkpoint.root
        report.checkpoints_verified += bool(verifiers)
        report.latest_checkpoint = size
    return roots


def _recompute(trail: Trail, signed_roots: dict[int, bytes], report: VerifyReport) -> Frontier:
    frontier = Frontier()
    for idx, data, stored in trail.store.entries(0, trail.store.size()):
        if idx != frontier.size:
            report.problem(f"entries {frontier.size} to {idx - 1} are missing")
        check_entry(frontier.size, data, report)
        computed = frontier.append(leaf_hash(data))
        if computed[0] != stored[:HASH_SIZE]:
            report.problem(f"entry {idx}: content does not match its recorded leaf hash")
        elif b"".join(computed) != stored:
            report.problem(f"entry {idx}: recorded subtree hashes do not match the entries")
        signed = signed_roots.get(frontier.size)
        if signed is not None and signed != frontier.root():
            report.problem(
                f"the signed checkpoint at size {frontier.size} does not match the entries"
            )
    return frontier


def _check_witness_count(trail: Trail, witness: Witness, report: VerifyReport) -> None:
    """The number of checkpoints and the latest one's size never go down."""
    stored = trail.store.checkpoints()
    latest = stored[-1][0] if stored else 0
    if len(stored) < witness.checkpoints or latest < witness.size:
        report.problem(
            f"the local witness saw {witness.checkpoints} signed checkpoints, the latest"
            f" covering {witness.size} entries; the trail holds {len(stored)}, the latest"
            f" covering {latest}: checkpoints were removed"
        )


def missing_trail_problem(sizes: dict[str, int], description: str) -> str | None:
    """Tampering when a trail that cannot be opened had entries by a checkpoint held
    elsewhere (`sizes`: what holds it -> the size it covers); None otherwise."""
    proofs = [f"{holder} covers {size} entries" for holder, size in sizes.items() if size > 0]
    if not proofs:
        return None
    return (
        f"the trail {description} is missing or unreadable, but {' and '.join(proofs)}:"
        " the trail was deleted, truncated or replaced"
    )


def _check_against(
    trail: Trail,
    note: str,
    verifiers: list[Verifier],
    report: VerifyReport,
    holder: str = "the checkpoint",
) -> None:
    try:
        if verifiers:
            witness = open_checkpoint(note, verifiers, trail.origin)
        else:
            witness = read_checkpoint(note)
    except CheckpointError as exc:
        report.problem(f"{holder}: {exc}")
        return
    if witness.size > report.entries:
        report.problem(
            f"{holder} covers {witness.size} entries but the log has"
            f" {report.entries}: entries were removed or the log was replaced"
        )
        return
    try:
        proof = trail.consistency_proof(witness.size, report.entries)
        verify_consistency(witness.size, report.entries, witness.root, report.root, proof)
    except (ProofError, AuditError) as exc:
        report.problem(
            f"the log is not consistent with {holder} at size {witness.size}"
            f" (a fork or a rewrite): {exc}"
        )
        return
    report.notes.append(f"consistent with {holder} at size {witness.size}")
