"""Audit events and the canonical JSON entries that carry them in the log."""

from __future__ import annotations

import getpass
import hashlib
import json
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from c4guard.audit.canonical import CanonicalJSONError, canonical_json
from c4guard.errors import InvalidInput

ENTRY_VERSION = 1
MAX_ENTRY_BYTES = 256 * 1024
MAX_ACTOR_CHARS = 256
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class EventError(InvalidInput, ValueError):
    """An event or a stored entry that breaks the entry format."""


def _check_assessment(payload: dict[str, Any]) -> None:
    digest = payload.get("report_sha256")
    if not isinstance(digest, str) or not _SHA256_HEX.fullmatch(digest):
        raise EventError("scan.assessment needs report_sha256: the report's lowercase hex SHA-256")
    if not isinstance(payload.get("summary"), dict):
        raise EventError("scan.assessment needs summary: the report's summary object")


def _any_object(payload: dict[str, Any]) -> None:
    """Kinds whose payload is whatever JSON object their producer records."""


PAYLOAD_CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "scan.assessment": _check_assessment,
    "verify.verdict": _any_object,
    "gate.decision": _any_object,
    "exception.used": _any_object,
    "attestation.used": _any_object,
}
EVENT_KINDS = frozenset(PAYLOAD_CHECKS)


@dataclass(frozen=True)
class Event:
    """What a caller asks the trail to record."""

    kind: str
    payload: dict[str, Any]
    actor: str

    def __post_init__(self) -> None:
        if self.kind not in PAYLOAD_CHECKS:
            known = ", ".join(sorted(EVENT_KINDS))
            raise EventError(f"unknown event kind {self.kind!r} (known: {known})")
        if not isinstance(self.payload, dict):
            raise EventError(f"{self.kind} payload must be a JSON object")
        if not isinstance(self.actor, str) or not self.actor.strip():
            raise EventError("an event needs an actor")
        if len(self.actor) > MAX_ACTOR_CHARS:
            raise EventError(f"actor is longer than {MAX_ACTOR_CHARS} characters")
        PAYLOAD_CHECKS[self.kind](self.payload)


@dataclass(frozen=True)
class Entry:
    """A log entry as stored: the event with its position and time."""

    index: int
    time: str
    kind: str
    actor: str
    payload: dict[str, Any]


def assessment_payload(report_json: bytes, summary: dict[str, Any]) -> dict[str, Any]:
    """The `scan.assessment` payload: the digest of the full JSON report and its summary."""
    return {"report_sha256": hashlib.sha256(report_json).hexdigest(), "summary": summary}


def default_actor() -> str:
    """`user@host` of this process, for callers with no better identity."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"[:MAX_ACTOR_CHARS]


def format_time(moment: datetime) -> str:
    """RFC 3339 UTC time with microseconds, as entries carry it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_entry(index: int, time: str, event: Event) -> bytes:
    """The canonical bytes of the entry that records `event` at `index`."""
    entry = {
        "version": ENTRY_VERSION,
        "index": index,
        "time": time,
        "kind": event.kind,
        "actor": event.actor,
        "payload": event.payload,
    }
    try:
        data = canonical_json(entry)
    except CanonicalJSONError as exc:
        raise EventError(f"{event.kind} payload is not canonical JSON: {exc}") from exc
    if len(data) > MAX_ENTRY_BYTES:
        raise EventError(f"{event.kind} entry is larger than {MAX_ENTRY_BYTES} bytes")
    return data


def decode_entry(data: bytes) -> Entry:
    """Parse stored entry bytes, checking their shape."""
    if len(data) > MAX_ENTRY_BYTES:
        raise EventError(f"entry is larger than {MAX_ENTRY_BYTES} bytes")
    try:
        raw = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EventError(f"entry is not JSON: {exc}") from exc
    if not isinstance(raw, dict) or raw.get("version") != ENTRY_VERSION:
        raise EventError("entry is not a version 1 audit entry")
    fields = {"index": int, "time": str, "kind": str, "actor": str, "payload": dict}
    for name, kind in fields.items():
        if not isinstance(raw.get(name), kind) or isinstance(raw.get(name), bool):
            raise EventError(f"entry field {name!r} is missing or not a {kind.__name__}")
    return Entry(raw["index"], raw["time"], raw["kind"], raw["actor"], raw["payload"])
