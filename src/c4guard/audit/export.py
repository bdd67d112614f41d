"""The offline export: JSON Lines that prove the whole log against a signed checkpoint.

Line 1: `{"format": "c4guard-audit-export", "version": 1, "origin": ..., "checkpoint": note}`
Then, for every earlier stored checkpoint: `{"type": "consistency", "checkpoint": note,
"proof": [base64 hashes]}` (RFC 9162 consistency proof to the exported checkpoint).
Then, for every entry in order: `{"type": "entry", "index": i, "entry": canonical JSON text,
"proof": [base64 hashes]}` (RFC 9162 inclusion proof in the exported checkpoint).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import IO, Any

from c4guard.audit import merkle
from c4guard.audit.checkpoint import Checkpoint, CheckpointError, open_checkpoint, read_checkpoint
from c4guard.audit.events import MAX_ENTRY_BYTES
from c4guard.audit.merkle import MemoryTree, ProofError, leaf_hash
from c4guard.audit.note import Verifier
from c4guard.audit.store import AuditError
from c4guard.audit.trail import Trail
from c4guard.audit.verify import VerifyReport, check_entry

EXPORT_FORMAT = "c4guard-audit-export"
EXPORT_VERSION = 1
MAX_LINE_CHARS = 8 * MAX_ENTRY_BYTES


def _b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]


def _line(out: IO[str], obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj, separators=(",", ":")) + "\n")


def write_export(trail: Trail, out: IO[str]) -> Checkpoint:
    """Write the log up to its latest checkpoint, with proofs; returns that checkpoint.
    Refuses when the stored entries do not match it."""
    store = trail.store
    with store.snapshot():
        latest = store.latest_checkpoint()
        if latest is None:
            raise AuditError(
                "nothing to export: no signed checkpoint (run `c4guard audit checkpoint`)"
            )
        size, note = latest
        checkpoint = read_checkpoint(note)
        tree = MemoryTree()
        for idx, data, _ in store.entries(0, size):
            if idx != tree.size:
                raise AuditError(f"entry {tree.size} is missing: run `c4guard audit verify`")
            tree.append(leaf_hash(data))
        if tree.size != size or tree.root() != checkpoint.root:
            raise AuditError(
                "the entries do not match the latest checkpoint: run `c4guard audit verify`"
            )
        _line(
            out,
            {
                "format": EXPORT_FORMAT,
                "version": EXPORT_VERSION,
                "origin": trail.origin,
                "checkpoint": note,
            },
        )
        for old_size, old_note in store.checkpoints():
            if old_size < size:
                proof = merkle.consistency_proof(old_size, size, tree.node)
                _line(out, {"type": "consistency", "checkpoint": old_note, "proof": _b64(proof)})
        for idx, data, _ in store.entries(0, size):
            proof = merkle.inclusion_proof(idx, size, tree.node)
            _line(
                out, {"type": "entry", "index": idx, "entry": data.decode(), "proof": _b64(proof)}
            )
    return checkpoint


def verify_export(source: IO[str], verifiers: list[Verifier]) -> VerifyReport:
    """Check an export with nothing but the file and the trusted public keys."""
    report = VerifyReport()
    try:
        _verify_lines(source, verifiers, report)
    except (ValueError, KeyError, TypeError) as exc:
        report.problem(f"not a c4guard audit export: {exc}")
    return report


def _read_line(source: IO[str], number: int) -> dict[str, Any] | None:
    line = source.readline(MAX_LINE_CHARS + 1)
    if not line:
        return None
    if len(line) > MAX_LINE_CHARS:
        raise ValueError(f"line {number} is longer than {MAX_LINE_CHARS} characters")
    try:
        obj = json.loads(line)
    except RecursionError:
        raise ValueError(f"line {number} is nested too deeply") from None
    if not isinstance(obj, dict):
        raise ValueError(f"line {number} is not a JSON object")
    return obj


def _proof(obj: dict[str, Any]) -> list[bytes]:
    try:
        return [base64.b64decode(h, validate=True) for h in obj["proof"]]
    except (binascii.Error, TypeError) as exc:
        raise ValueError("a proof hash is not base64") from exc


def _verify_lines(source: IO[str], verifiers: list[Verifier], report: VerifyReport) -> None:
    header = _read_line(source, 1) or {}
    if header.get("format") != EXPORT_FORMAT or header.get("version") != EXPORT_VERSION:
        raise ValueError("the first line is not a version 1 export header")
    try:
        head = open_checkpoint(header["checkpoint"], verifiers, header["origin"])
    except CheckpointError as exc:
        report.problem(f"exported checkpoint: {exc}")
        return
    report.latest_checkpoint = head.size
    report.checkpoints_verified = 1
    frontier = merkle.Frontier()
    number = 1
    while (obj := _read_line(source, number := number + 1)) is not None:
        if obj.get("type") == "consistency":
            _check_consistency_line(obj, head, verifiers, header["origin"], report)
        elif obj.get("type") == "entry":
            _check_entry_line(obj, head, frontier, report)
        else:
            raise ValueError(f"line {number} has an unknown type")
    report.entries, report.root = frontier.size, frontier.root()
    if frontier.size != head.size or frontier.root() != head.root:
        report.problem(
            f"the export holds {frontier.size} entries that do not make up the checkpoint's"
            f" tree of {head.size}"
        )


def _check_consistency_line(
    obj: dict[str, Any],
    head: Checkpoint,
    verifiers: list[Verifier],
    origin: str,
    report: VerifyReport,
) -> None:
    try:
        old = open_checkpoint(obj["checkpoint"], verifiers, origin)
        merkle.verify_consistency(old.size, head.size, old.root, head.root, _proof(obj))
    except (CheckpointError, ProofError) as exc:
        report.problem(f"earlier checkpoint: {exc}")
        return
    report.checkpoints_verified += 1


def _check_entry_line(
    obj: dict[str, Any], head: Checkpoint, frontier: merkle.Frontier, report: VerifyReport
) -> None:
    index, data = obj["index"], obj["entry"].encode()
    if index != frontier.size:
        report.problem(f"entry {index} comes where entry {frontier.size} should")
    check_entry(frontier.size, data, report)
    leaf = leaf_hash(data)
    try:
        merkle.verify_inclusion(leaf, index, head.size, _proof(obj), head.root)
    except ProofError as exc:
        report.problem(f"entry {index}: {exc}")
    frontier.append(leaf)
