"""The heavy lane: admission requests too large to parse and judge on the event loop, done
in a worker process forked at startup.

A 3 MB object costs about a second of CPU to parse, classify and check. In a thread of the
gate's own process that second is taken from the event loop's share of the GIL, so that a
steady trickle of such objects halves the rate at which ordinary requests are answered; in a
process of its own it competes for a CPU, not for the GIL. The worker is forked from the
gate before it serves (it inherits the gate's checks and policy, nothing is pickled but the
request body and the result), a request waits on the event loop for it until its deadline,
and a worker that dies is replaced.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
import signal
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from c4guard.gate.admission import AdmissionRequest, parse_review
from c4guard.gate.decision import Decision, Gate

Judged = tuple[Decision, list[str]] | Exception | None
_GATE: Gate | None = None  # the worker's, inherited when it is forked


def judge_large(body: bytes) -> tuple[AdmissionRequest, Judged]:
    """(the request without its object, the checks' judgement): (decision, image references),
    the exception the judgement raised, or None for a request that is not judged. A body
    that is not an AdmissionReview raises BadReview."""
    assert _GATE is not None
    request = parse_review(body)
    judged: Judged = None
    if request.not_judged_because is None:
        resource = request.resource()
        try:
            judged = _GATE.judge_object(resource)
        except Exception as exc:  # the gate fails closed on it, on the loop
            judged = exc
    return dataclasses.replace(request, object=None), judged


def _quiet() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the gate decides when the worker ends


class HeavyLane:
    """`workers` processes for large requests; a request waits on the event loop for a free
    one until `until`, and TimeoutError says it did not get its answer by then."""

    def __init__(self, gate: Gate, workers: int = 1) -> None:
        global _GATE
        _GATE = gate
        self.workers = workers
        self.slots = asyncio.Semaphore(workers)
        self.executor = self._fork()

    def _fork(self) -> ProcessPoolExecutor:
        executor = ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("fork"), initializer=_quiet
        )
        executor.submit(int).result()  # fork now, before the gate serves
        return executor

    async def judge(self, body: bytes, until: float) -> tuple[AdmissionRequest, Judged]:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout_at(loop.time() + until - time.monotonic()):
            await self.slots.acquire()
            try:
                running = self.executor.submit(judge_large, body)
            except BrokenProcessPool:
                self.slots.release()
                self.executor = self._fork()
                raise
            running.add_done_callback(lambda _: loop.call_soon_threadsafe(self.slots.release))
            try:
                return await asyncio.wrap_future(running)
            except BrokenProcessPool:  # the worker died (killed, out of memory): a new one
                self.executor = self._fork()
                raise

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
