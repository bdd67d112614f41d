"""Recording decisions in the audit trail, and getting the trail back after it failed.

Decisions are appended through a `GroupCommitter`, so concurrent decisions share one
commit. A trail that fails (a database restart, a failover, a dropped connection) is opened
afresh before the next append or readiness probe, so a replica recovers without a restart.
"""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import Future
from typing import Any

from c4guard.audit import AppendReceipt, EventError, GroupCommitter, open_trail

EVENT_KIND = "gate.decision"


class DecisionRecorder:
    """Appends `gate.decision` events to the trail at `location` (None: the default)."""

    def __init__(self, location: str | None, actor: str) -> None:
        self.location = location
        self.actor = actor
        self.broken = False
        self._committer = GroupCommitter(open_trail(location))
        self._lock = threading.Lock()

    def submit(self, payload: dict[str, Any]) -> Future[AppendReceipt]:
        """Queue a decision; the future completes when it is durable (and cannot be
        cancelled)."""
        return self._committer.submit(EVENT_KIND, payload, self.actor)

    def failed(self, error: BaseException) -> None:
        """Note an append that failed or timed out (a connection can hang as well as
        break); a bad payload says nothing about the trail."""
        if not isinstance(error, EventError):
            self.broken = True

    def recover(self) -> None:
        """Open the trail again when it failed (blocking: call it from a thread); raises
        while the trail is still unavailable."""
        with self._lock:
            if not self.broken:
                return
            fresh = GroupCommitter(open_trail(self.location, create=False))
            stale, self._committer = self._committer, fresh
            self.broken = False
        # The old writer may hang on a dead connection: close it without waiting for it.
        threading.Thread(target=_close_quietly, args=(stale,), daemon=True).start()

    def close(self) -> None:
        self._committer.close()


def _close_quietly(committer: GroupCommitter) -> None:
    with contextlib.suppress(Exception):  # its connection may be gone already
        committer.close()
