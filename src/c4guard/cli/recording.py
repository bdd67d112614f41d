"""Recording what the faces decide: the `--audit` option and the events of a scan."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

from c4guard.errors import ServiceError

if TYPE_CHECKING:  # the audit stack (cryptography, database drivers) loads when recording
    from c4guard.audit.events import Event
    from c4guard.audit.trail import AppendReceipt

DEFAULT_TRAIL = "default"
F = TypeVar("F", bound=Callable[..., Any])


def audit_option(func: F) -> F:
    """`--audit` (a flag: the configured trail, else the default one) and `--audit-db
    PATH|URL` (this trail; implies --audit). The command receives `audit_location`: None
    for no recording, DEFAULT_TRAIL, or the location. A flag that takes no value cannot
    swallow the path that follows it (`scan --audit examples/x` scans examples/x)."""

    @functools.wraps(func)
    def wrapper(*args: Any, audit: bool, audit_db: str | None, **kwargs: Any) -> Any:
        location = audit_db or (DEFAULT_TRAIL if audit else None)
        return func(*args, audit_location=location, **kwargs)

    wrapper = click.option(
        "--audit-db",
        metavar="PATH|URL",
        help="Append the outcome to this audit trail: a SQLite file or a postgresql:// URL "
        "(implies --audit).",
    )(wrapper)
    wrapper = click.option(
        "--audit",
        is_flag=True,
        help="Append the outcome to the audit trail: the config's audit.db, else the "
        "default trail in the state directory.",
    )(wrapper)
    return wrapper  # type: ignore[return-value]


def trail_location(
    option: str | None, configured: str | None = None
) -> str | Literal[False] | None:
    """Where to record: False for nowhere, None for the default trail, else the location."""
    if option is None and configured is None:
        return False
    chosen = (configured or option) if option in (None, DEFAULT_TRAIL) else option
    return None if chosen == DEFAULT_TRAIL else chosen


def record(location: str | None, events: list[Event]) -> list[AppendReceipt]:
    """Append `events` in one transaction; an unreachable trail is `AuditUnavailable`
    (exit 2)."""
    from c4guard.audit.store import AuditError
    from c4guard.audit.trail import open_trail

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
    from c4guard.audit.events import Event, assessment_payload, default_actor

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
