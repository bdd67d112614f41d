"""The tamper-evident audit trail: an RFC 9162 Merkle log of canonical JSON events with
C2SP signed checkpoints, in SQLite (default) or PostgreSQL.

    from c4guard.audit import open_trail, assessment_payload
    with open_trail(None) as trail:
        trail.append("scan.assessment", assessment_payload(report_bytes, summary), actor)
"""

from c4guard.audit.events import (
    EVENT_KINDS,
    Event,
    EventError,
    assessment_payload,
    default_actor,
)
from c4guard.audit.groupcommit import GroupCommitter
from c4guard.audit.store import AuditError
from c4guard.audit.trail import AppendReceipt, Trail, open_trail

__all__ = [
    "EVENT_KINDS",
    "AppendReceipt",
    "AuditError",
    "Event",
    "EventError",
    "GroupCommitter",
    "Trail",
    "assessment_payload",
    "default_actor",
    "open_trail",
]
