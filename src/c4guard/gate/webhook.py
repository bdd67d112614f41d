"""The admission webhook: an ASGI application (served over TLS by `c4guard.gate.server`).

`POST /validate` takes an AdmissionReview v1 and answers within the policy's time budget,
always: the decision runs under a deadline (checks on the event loop for ordinary objects,
registry lookups in worker threads), any error or timeout denies (fail closed), and the
decision is durable in the audit trail before the answer is sent. Dry-run requests are
answered but not recorded. `/healthz`, `/readyz` and `/metrics` serve probes and
Prometheus.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from c4guard.audit import AppendReceipt
from c4guard.errors import InvalidInput
from c4guard.gate.admission import (
    VALIDATE_PATH,
    AdmissionRequest,
    BadReview,
    parse_review,
    review_response,
)
from c4guard.gate.decision import Decision, Gate, NotJudged
from c4guard.gate.heavy import HeavyLane, Judged
from c4guard.gate.images import VerificationLanes
from c4guard.gate.logs import LOGGER
from c4guard.gate.metrics import CONTENT_TYPE, GateMetrics
from c4guard.gate.recorder import DecisionRecorder
from c4guard.model import Resource

log = logging.getLogger(LOGGER)
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
INLINE_BODY_BYTES = 256 * 1024
JSON = b"application/json"
TEXT = b"text/plain; charset=utf-8"


def loop_time(monotonic_deadline: float) -> float:
    """A `time.monotonic()` deadline on the event loop's clock."""
    return asyncio.get_running_loop().time() + monotonic_deadline - time.monotonic()


def _parsed(body: bytes) -> tuple[AdmissionRequest, Resource | None]:
    """The review, and the object to judge unless the request is not judged."""
    request = parse_review(body)
    return request, request.resource() if request.not_judged_because is None else None


class RequestTooLarge(InvalidInput):
    """The body exceeds the policy's max_request_bytes."""

    def __init__(self) -> None:
        super().__init__("the request body exceeds max_request_bytes")


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    content_type: bytes = JSON

    @classmethod
    def json(cls, status: int, value: Any) -> Response:
        return cls(status, json.dumps(value, ensure_ascii=False).encode())

    @classmethod
    def text(cls, status: int, text: str) -> Response:
        return cls(status, text.encode(), TEXT)

    async def send(self, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [
                    (b"content-type", self.content_type),
                    (b"content-length", str(len(self.body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.body})


class GateApp:
    """The ASGI application of `c4guard gate serve`."""

    def __init__(
        self,
        gate: Gate,
        recorder: DecisionRecorder,
        *,
        metrics: GateMetrics,
        executor: Executor,
        heavy_workers: int = 1,
    ) -> None:
        self.gate = gate
        self.policy = gate.policy
        self.recorder = recorder
        self.metrics = metrics
        self.executor = executor
        self.heavy = HeavyLane(gate, heavy_workers)
        self.lanes = (
            VerificationLanes(
                gate.images,
                executor,
                per_host=self.policy.images.registry_concurrency,
                budget=self.policy.decision_budget,
            )
            if gate.images is not None
            else None
        )
        self.started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        route = (scope["method"], scope["path"])
        if route == ("POST", VALIDATE_PATH):
            response = await self._admission_or_error(scope, receive)
        elif route == ("GET", "/healthz"):
            response = Response.text(200, "ok\n")
        elif route == ("GET", "/readyz"):
            response = await self._readiness()
        elif route == ("GET", "/metrics"):
            response = Response(200, self.metrics.render(), CONTENT_TYPE.encode())
        else:
            response = Response.text(404, f"no route {scope['method']} {scope['path']}\n")
        await response.send(send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.started = True
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.started = False
                self.heavy.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _readiness(self) -> Response:
        """Ready once serving with a working audit trail; after a failed append, the trail
        is opened again before the replica reports ready."""
        if not self.started:
            return Response.text(503, "starting\n")
        try:
            await self._recover_trail()
        except Exception as exc:
            return Response.text(503, f"audit trail unavailable: {exc}\n")
        return Response.text(200, "ready\n")

    async def _recover_trail(self) -> None:
        if self.recorder.broken:
            await self._in_thread(self.recorder.recover)

    # -- admission ------------------------------------------------------------------------
    async def _admission_or_error(self, scope: Scope, receive: Receive) -> Response:
        """A failure outside the decision answers 500, which the API server, under
        failurePolicy Fail, treats as a denial."""
        try:
            return await self._admission(scope, receive)
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            log.exception("internal error", extra={"event": "internal_error", "error_id": error_id})
            self.metrics.rejected.labels(reason="internal_error").inc()
            return Response.json(500, {"error": f"internal error {error_id}"})

    async def _admission(self, scope: Scope, receive: Receive) -> Response:
        started = time.monotonic()
        until = started + self.policy.decision_budget
        try:
            async with asyncio.timeout(self.policy.time_budget):
                body = await self._read_body(scope, receive)
            if len(body) <= INLINE_BODY_BYTES:
                request, resource = _parsed(body)
                judged: Judged = None
            else:
                (request, judged), resource = await self.heavy.judge(body, until), None
        except RequestTooLarge:
            return self._reject(
                413,
                "too_large",
                f"the request is larger than {self.policy.max_request_bytes} bytes",
            )
        except TimeoutError:
            if time.monotonic() < until:
                return self._reject(408, "slow_body", "the request body did not arrive in time")
            return self._reject(
                503,
                "overloaded",
                "time-budget: the gate could not read and judge this large object within "
                f"its time budget ({self.policy.decision_budget:g} s); it fails closed",
            )
        except BadReview as exc:
            return self._reject(400, "malformed", f"not a valid AdmissionReview: {exc}")
        decision = await self._decide(request, resource, judged, until)
        receipt = None
        if not request.dry_run:
            decision, receipt = await self._record(
                request, decision, started, started + self.policy.time_budget
            )
        self._observe(request, decision, receipt, time.monotonic() - started)
        return Response.json(
            200,
            review_response(
                request.uid, decision.allowed, decision.message(), decision.warning_texts()
            ),
        )

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        limit = self.policy.max_request_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                raise BadReview("bad Content-Length header")
            if int(declared) > limit:
                raise RequestTooLarge
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BadReview("the client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    def _reject(self, status: int, reason: str, message: str) -> Response:
        self.metrics.rejected.labels(reason=reason).inc()
        log.warning(
            "request rejected", extra={"event": "rejected", "status": status, "reason": message}
        )
        return Response.json(status, {"error": message})

    async def _decide(
        self, request: AdmissionRequest, resource: Resource | None, judged: Judged, until: float
    ) -> Decision:
        """The decision, or a denial when it fails or does not finish in time."""
        try:
            async with asyncio.timeout_at(loop_time(until)):
                return await self._decision(request, resource, judged)
        except TimeoutError:
            return Decision.fail_closed(
                "time-budget",
                "the decision did not finish within its time budget "
                f"({self.policy.decision_budget:g} s); the gate fails closed",
                request.identity(),
            )
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            log.exception(
                "internal error",
                extra={"event": "internal_error", "error_id": error_id, "uid": request.uid},
            )
            return Decision.fail_closed(
                "internal-error",
                f"internal error {error_id} in the gate; it fails closed",
                request.identity(),
            )

    async def _decision(
        self, request: AdmissionRequest, resource: Resource | None, judged: Judged
    ) -> Decision:
        """Checks on the event loop for objects small enough to take well under a
        millisecond (those judged in the heavy lane come with their judgement); cached
        image verdicts at once, the others verified in their registry's lane, in
        parallel."""
        if request.not_judged_because is not None:
            return Decision(
                subject=request.identity(),
                not_judged=[NotJudged("*", request.not_judged_because)],
            )
        if isinstance(judged, Exception):
            raise judged
        if judged is None:
            assert resource is not None
            judged = self.gate.judge_object(resource)
        decision, references = judged
        images, lanes = self.gate.images, self.lanes
        if images is None or lanes is None:
            return decision
        verdicts = {reference: images.known(reference) for reference in references}
        pending = [reference for reference, known in verdicts.items() if known is None]
        verified = await asyncio.gather(*(lanes.check(reference) for reference in pending))
        verdicts.update(zip(pending, verified, strict=True))
        for reference in references:
            self.gate.add_image(decision, verdicts[reference])  # type: ignore[arg-type]
        return decision

    def _in_thread(self, function: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    async def _record(
        self, request: AdmissionRequest, decision: Decision, started: float, until: float
    ) -> tuple[Decision, AppendReceipt | None]:
        """Append the decision and wait until it is durable; a decision that cannot be
        recorded in time is answered as a denial."""
        payload = {
            "request": request.describe(),
            **decision.payload(),
            "policy": self.gate.policy_digests(),
            "decided_ms": round((time.monotonic() - started) * 1000, 3),
        }
        try:
            async with asyncio.timeout_at(loop_time(until)):
                await self._recover_trail()
                receipt = await asyncio.wrap_future(self.recorder.submit(payload))
        except Exception as exc:
            self.recorder.failed(exc)
            log.error(
                "audit append failed",
                extra={"event": "audit_failed", "uid": request.uid, "error": repr(exc)},
            )
            return Decision.fail_closed(
                "audit-unavailable",
                "the decision could not be recorded in the audit trail "
                "in time; the gate fails closed",
                decision.subject,
            ), None
        return decision, receipt

    def _observe(
        self,
        request: AdmissionRequest,
        decision: Decision,
        receipt: AppendReceipt | None,
        elapsed: float,
    ) -> None:
        result = "error" if decision.failed_closed else ("allow" if decision.allowed else "deny")
        self.metrics.decisions.labels(result=result, dry_run=str(request.dry_run).lower()).inc()
        self.metrics.latency.observe(elapsed)
        log.info(
            "decision",
            extra={
                "event": "decision",
                "request": request.describe(),
                "dry_run": request.dry_run,
                "result": result,
                "denied": [r.code for r in decision.denials],
                "warnings": len(decision.warnings),
                "duration_ms": round(elapsed * 1000, 3),
                "audit_index": receipt.index if receipt else None,
            },
        )
