"""Image verification for the gate: every container image must be a digest reference that
`c4guard verify` allows under the trust policy. Verdicts are cached for a while; the cache
is only an optimisation, since a verdict for a digest depends on nothing a replica holds."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Any

from c4guard.supplychain.oci import Reference
from c4guard.supplychain.policy import TrustPolicy
from c4guard.supplychain.signatures import TrustedSigners
from c4guard.supplychain.verdict import Check, Verdict, decide, error
from c4guard.supplychain.verifier import RegistryOptions, policy_digest, verify_artifact

IMAGE_REQUIREMENT = "4.2.3"
CacheKey = tuple[str, str, str]  # (registry/repository, digest, policy digest)


@dataclass(frozen=True, slots=True)
class ImageCheck:
    """The verdict on one image of the admitted object."""

    reference: str
    verdict: Verdict
    cached: bool

    @property
    def allowed(self) -> bool:
        return self.verdict.decision == "allow"

    def failures(self) -> list[tuple[str, str]]:
        """(code, message) of why the image is not allowed."""
        failed = [(c.code or c.rule, c.message) for c in self.verdict.checks if not c.passed]
        code = self.verdict.error_code or "verification-error"
        return failed + [(code, m) for m in self.verdict.errors]

    def summary(self) -> dict[str, Any]:
        """What the audit trail keeps of the verdict."""
        verdict = self.verdict
        return {
            "reference": self.reference,
            "digest": verdict.digest,
            "decision": verdict.decision,
            "policy_entry": verdict.policy_entry,
            "policy_digest": verdict.policy_digest,
            "cached": self.cached,
            "verified_at": verdict.verified_at.isoformat(),
            "failures": [{"code": code, "message": message} for code, message in self.failures()],
        }


class VerdictCache:
    """Thread-safe verdicts with a time to live and a size bound (least recently used)."""

    def __init__(self, ttl: float, size: int) -> None:
        self.ttl, self.size = ttl, size
        self._entries: OrderedDict[CacheKey, tuple[float, Verdict]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> Verdict | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: CacheKey, verdict: Verdict, ttl: float | None = None) -> None:
        """Keep `verdict` for `ttl` seconds (by default the cache's)."""
        ttl = self.ttl if ttl is None else ttl
        if ttl <= 0 or self.size <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, verdict)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


class ImageVerifier:
    """Verifies image references for the gate, one registry round per digest at a time.
    Verdicts are cached for `ttl` seconds, failed verifications (a registry that drips,
    refuses or is unreachable) for `error_ttl`: requests for the same image meanwhile are
    denied at once with that failure instead of waiting for the registry again."""

    def __init__(
        self,
        policy: TrustPolicy,
        registry: RegistryOptions,
        *,
        ttl: float,
        cache_size: int,
        error_ttl: float = 0.0,
        on_lookup: Callable[[bool], None] | None = None,
    ) -> None:
        self.policy = policy
        self.policy_digest = policy_digest(policy)
        self.registry = registry
        self.signers = TrustedSigners(policy)
        self.cache = VerdictCache(ttl, cache_size)
        self.error_ttl = min(error_ttl, ttl)
        self._on_lookup = on_lookup or (lambda hit: None)
        self._inflight: dict[CacheKey, Future[Verdict]] = {}
        self._lock = threading.Lock()

    def check(self, reference: str) -> ImageCheck:
        """The verdict on `reference`, verifying it in the registry unless known."""
        return self.known(reference) or self.verify(reference)

    def known(self, reference: str) -> ImageCheck | None:
        """The verdict when no registry is needed: a cached one, or a denial of a tag-only
        or malformed reference; None when the image must be verified."""
        try:
            oci = Reference.parse(reference)
        except ValueError as exc:
            return ImageCheck(
                reference, error(reference, str(exc), policy_digest=self.policy_digest), False
            )
        if oci.digest is None:
            return ImageCheck(reference, self._tag_only(reference), False)
        cached = self.cache.get(self._key(oci))
        self._on_lookup(cached is not None)
        return ImageCheck(reference, cached, True) if cached is not None else None

    def verify(self, reference: str, deadline: float | None = None) -> ImageCheck:
        """Verify a digest reference in its registry (blocking; run it in a thread); the
        registry I/O ends by `deadline` (monotonic), by default the registry options'
        total timeout from now."""
        key = self._key(Reference.parse(reference))
        return ImageCheck(reference, self.verify_once(key, reference, deadline), False)

    def lane_of(self, reference: str) -> tuple[CacheKey, str]:
        """(cache key, registry host) of a digest reference."""
        oci = Reference.parse(reference)
        return self._key(oci), oci.registry

    def _key(self, oci: Reference) -> CacheKey:
        assert oci.digest is not None
        return (oci.name, oci.digest, self.policy_digest)

    def verify_once(self, key: CacheKey, reference: str, deadline: float | None) -> Verdict:
        """Verify, or wait for the verification of the same key already running."""
        with self._lock:
            running = self._inflight.get(key)
            if running is None:
                mine: Future[Verdict] = Future()
                self._inflight[key] = mine
        if running is not None:
            return running.result()
        try:
            verdict = verify_artifact(
                reference,
                self.policy,
                registry=self.registry,
                signers=self.signers,
                local_paths=False,
                deadline=deadline,
            )
            self.cache.put(key, verdict, self.error_ttl if verdict.decision == "error" else None)
            mine.set_result(verdict)
            return verdict
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        finally:
            with self._lock:
                del self._inflight[key]

    def _tag_only(self, reference: str) -> Verdict:
        message = (
            f"tag-only reference: {reference} has no digest; the gate admits images "
            "only by digest (image@sha256:…)"
        )
        return decide(
            reference,
            [Check(rule="reference", passed=False, code="tag-only-reference", message=message)],
            policy_digest=self.policy_digest,
        )


class VerificationLanes:
    """Image verification for the event loop, so that a slow registry cannot take every
    thread: a verification already running for a digest is shared with every request that
    asks for it (single flight; the waiters hold no thread), at most `per_host` run at once
    per registry host (the others wait on the loop, until their deadline), and each ends
    with its registry I/O at `budget` seconds after it started."""

    def __init__(
        self, verifier: ImageVerifier, executor: Executor, *, per_host: int, budget: float
    ) -> None:
        self.verifier, self.executor = verifier, executor
        self.per_host, self.budget = per_host, budget
        self._running: dict[CacheKey, asyncio.Task[Verdict]] = {}
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def check(self, reference: str) -> ImageCheck:
        """The verdict on a digest reference; cancelling the caller leaves the shared
        verification running for the others (and the cache)."""
        key, host = self.verifier.lane_of(reference)
        task = self._running.get(key)
        if task is None:
            task = asyncio.create_task(self._verify(key, host, reference))
            self._running[key] = task
            task.add_done_callback(lambda _: self._running.pop(key, None))
        return ImageCheck(reference, await asyncio.shield(task), False)

    async def _verify(self, key: CacheKey, host: str, reference: str) -> Verdict:
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + self.budget
        slots = self._hosts.setdefault(host, asyncio.Semaphore(self.per_host))
        try:
            async with asyncio.timeout(self.budget):
                await slots.acquire()
        except TimeoutError:
            return error(
                reference,
                f"registry {host}: {self.per_host} verifications were already running and "
                f"none ended within {self.budget:g} s (a slow registry)",
                "registry-busy",
                policy_digest=self.verifier.policy_digest,
            )
        running = self.executor.submit(self.verifier.verify_once, key, reference, deadline)
        running.add_done_callback(lambda _: loop.call_soon_threadsafe(slots.release))
        return await asyncio.wrap_future(running)
