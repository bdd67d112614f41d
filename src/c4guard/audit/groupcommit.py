"""Group commit: many threads append through one writer, which commits what has queued
up in one transaction, so a busy gate pays one durable commit per batch."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any

from c4guard.audit.events import Event, EventError
from c4guard.audit.trail import AppendReceipt, Trail

_STOP = object()


class GroupCommitter:
    """Thread-safe appends to a trail that this object then owns (and closes)."""

    def __init__(self, trail: Trail, max_batch: int = 500) -> None:
        self.trail = trail
        self.max_batch = max_batch
        self.commits = 0
        self._queue: queue.Queue[Any] = queue.Queue()
        self._closing = threading.Lock()
        self._closed = False
        self._writer = threading.Thread(target=self._run, name="c4guard-audit-writer", daemon=True)
        self._writer.start()

    def __enter__(self) -> GroupCommitter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(self, kind: str, payload: dict[str, Any], actor: str) -> AppendReceipt:
        """Record one event; returns once the batch that holds it is durable."""
        return self.submit(kind, payload, actor).result()

    def submit(self, kind: str, payload: dict[str, Any], actor: str) -> Future[AppendReceipt]:
        """Queue one event; the future completes when the batch that holds it is durable
        (an asyncio server awaits it without holding a thread). It cannot be cancelled:
        once queued, the event will be committed or fail with its batch."""
        event = Event(kind, payload, actor)
        done: Future[AppendReceipt] = Future()
        done.set_running_or_notify_cancel()
        with self._closing:
            if self._closed:
                raise RuntimeError("the group committer is closed")
            self._queue.put((event, done))
        return done

    def close(self) -> None:
        """Commit what is queued, stop the writer, close the trail."""
        with self._closing:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._writer.join()
        self.trail.close()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = [self._queue.get()]
            while len(batch) < self.max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = any(item is _STOP for item in batch)
            self._commit([item for item in batch if item is not _STOP])

    def _commit(self, batch: list[tuple[Event, Future[AppendReceipt]]]) -> None:
        if not batch:
            return
        try:
            receipts = self.trail.append_many([event for event, _ in batch])
        except EventError:
            # One unencodable payload must not fail the others: commit one by one.
            for item in batch:
                self._commit_one(*item)
            return
        except Exception as exc:
            for _, done in batch:
                done.set_exception(exc)
            return
        self.commits += 1
        for (_, done), receipt in zip(batch, receipts, strict=True):
            done.set_result(receipt)

    def _commit_one(self, event: Event, done: Future[AppendReceipt]) -> None:
        try:
            done.set_result(self.trail.append_many([event])[0])
            self.commits += 1
        except Exception as exc:
            done.set_exception(exc)
