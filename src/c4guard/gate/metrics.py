"""Prometheus metrics of the gate server, in a registry of their own (served at /metrics)."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class GateMetrics:
    """Decisions by result, decision latency, image-verdict cache lookups, rejected
    requests and TLS reloads."""

    def __init__(self) -> None:
        disable_created_metrics()  # the *_created series only add noise here
        self.registry = CollectorRegistry()
        self.decisions = Counter(
            "c4guard_gate_decisions",
            "Admission decisions by result (allow, deny, or error: "
            "denied because the gate could not decide) and whether the request was a dry run.",
            ["result", "dry_run"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "c4guard_gate_decision_seconds",
            "Time from a complete request to its response, including the audit append.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.cache = Counter(
            "c4guard_gate_image_cache_lookups",
            "Image verdict cache lookups by result.",
            ["result"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "c4guard_gate_rejected_requests",
            "Requests answered without a decision, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.tls_reloads = Counter(
            "c4guard_gate_tls_reloads",
            "Certificate reloads by outcome.",
            ["outcome"],
            registry=self.registry,
        )

    def cache_lookup(self, hit: bool) -> None:
        self.cache.labels(result="hit" if hit else "miss").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
