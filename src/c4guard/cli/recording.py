"""Recording what the faces decide: the `--audit` option and the events of a scan."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal, TypeVar

import click

from c4guard.audit.events import Event, assessment_payload, default_actor
from c4guard.audit.store import AuditError
from c4guard.audit.trail import AppendReceipt, open_trail
from c4guard.errors import ServiceError

DEFAULT_TRAIL = "default"
F = TypeVar("F", bound=Callable[..., Any])


def audit_option(func: F) -> F:
    """`--audit [PATH|URL]`: append to the audit trail (alone: the default SQLite trail)."""
    return click.option(
        "--audit",
        "audit_location",
        is_flag=False,
        flag_value=DEFAULT_TRAIL,
        default=None,
        metavar="PATH|URL",
        help="Append the outcome to the audit trail: a SQLite file, a postgresql:// URL, or "
        "the default trail in the state directory when given alone.",
    )(func)


def trail_location(
    option: str | None, configured: str | None = None
) -> str | Literal[False] | None:
    """Where to record: False for nowhere, None for the default trail, else the location."""
    if option is None and configured is None:
        return False
    chosen = option or configured
    return None if chosen == DEFAULT_TRAIL else chosen


def record(location: str | None, events: list[Event]) -> list[AppendReceipt]:
    """Append `events` in one transaction; an unreachable trail is `AuditUnavailable`
    (exit 2)."""
    try:
        with open_trail(location) as trail:
            return trail.append_many(events)
    except (AuditError, OSError, ValueError) as exc:
        raise AuditUnavailable(f"audit trail unavailable: {exc}") from exc


class AuditUnavailable(ServiceError):
    """The audit trail cannot be opened or appended to."""


def scan_events(
    report: dict[str, Any], report_bytes: bytes, actor: str | None = None
) -> list[Event]:
    """The assessment, and every exception and attestation that took part in it."""
    who = actor or default_actor()
    events = [Event("scan.assessment", assessment_payload(report_bytes, report["summary"]), who)]
    governance = report.get("governance", {})
    for exception in governance.get("exceptions", []):
        if exception.get("status") == "active":
            events.append(Event("exception.used", _without_none(exception), who))
    for attestation in governance.get("attestations", []):
        if attestation.get("status") == "applied":
            events.append(Event("attestation.used", _without_none(attestation), who))
    return events


def _without_none(entry: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps({k: v for k, v in entry.items() if v is not None}))


def receipt_line(receipts: list[AppendReceipt]) -> str:
    first = receipts[0]
    return (
        f"audit: recorded {len(receipts)} entr{'y' if len(receipts) == 1 else 'ies'} "
        f"from index {first.index} in {first.origin}"
    )
