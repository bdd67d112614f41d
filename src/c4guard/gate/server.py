"""Serving the webhook: HTTPS only, certificates reloaded when they rotate, optional
client-certificate verification (mTLS), on uvicorn.

Rotation: the files are re-read every `reload_interval` seconds; when their content changed
and the new pair loads, new connections get a fresh SSL context (swapped in during the TLS
handshake), while a pair that does not load (a half-written rotation) is logged and the
previous one kept. Open connections keep the context they started with.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import signal
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from c4guard.gate.logs import LOGGER
from c4guard.gate.metrics import GateMetrics

log = logging.getLogger(LOGGER)


@dataclass(frozen=True)
class TLSFiles:
    cert: Path
    key: Path
    client_ca: Path | None = None

    def fingerprint(self) -> str:
        """A digest of the files' content (rotation replaces content, maybe not mtimes)."""
        digest = hashlib.sha256()
        for path in (self.cert, self.key, self.client_ca):
            if path is not None:
                digest.update(path.read_bytes())
        return digest.hexdigest()

    def context(self) -> ssl.SSLContext:
        """A server context: TLS 1.2 or later, the certificate chain and key, and when a
        client CA is given, a required client certificate signed by it."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert, self.key)
        context.set_alpn_protocols(["http/1.1"])
        if self.client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cafile=str(self.client_ca))
        return context


class ReloadingTLS:
    """The server's SSL context, replaced for new connections when the files change."""

    def __init__(self, files: TLSFiles, metrics: GateMetrics | None = None) -> None:
        self.files = files
        self.metrics = metrics
        self.loaded = files.fingerprint()
        self.base = files.context()  # the listening context; it hands over to `current`
        self.current = self.base
        self.base.sni_callback = self._select

    def _select(self, connection: Any, server_name: str | None, _: ssl.SSLContext) -> None:
        # OpenSSL calls this for every ClientHello, with or without SNI.
        if self.current is not self.base:
            connection.context = self.current

    def reload_if_changed(self) -> bool:
        """Load the files again if their content changed; True when a new pair is in use."""
        try:
            fingerprint = self.files.fingerprint()
            if fingerprint == self.loaded:
                return False
            context = self.files.context()
        except (OSError, ssl.SSLError, ValueError) as exc:
            log.error(
                "TLS reload failed; keeping the previous certificate",
                extra={"event": "tls_reload_failed", "error": repr(exc)},
            )
            self._count("failed")
            return False
        self.current, self.loaded = context, fingerprint
        log.info(
            "TLS certificate reloaded",
            extra={"event": "tls_reloaded", "cert": str(self.files.cert)},
        )
        self._count("reloaded")
        return True

    def _count(self, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.tls_reloads.labels(outcome=outcome).inc()

    async def watch(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            self.reload_if_changed()


Address = tuple[str, int]
PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
_COMMON: dict[str, Any] = {
    "log_config": None,
    "access_log": False,
    "server_header": False,
    "proxy_headers": False,
    "timeout_keep_alive": 30,
}


def serve_app(
    app: Any,
    listen: Address,
    tls: ReloadingTLS,
    reload_interval: float,
    probes: Address | None = None,
) -> None:
    """Serve the app over TLS at `listen`, and its probes and metrics over plain HTTP at
    `probes` when given, until SIGTERM or SIGINT (on uvloop when it is installed)."""
    servers = [
        uvicorn.Server(
            uvicorn.Config(
                app,
                host=listen[0],
                port=listen[1],
                lifespan="on",
                ssl_context_factory=lambda _config, _default: tls.base,
                **_COMMON,
            )
        )
    ]
    if probes is not None:
        servers.append(
            uvicorn.Server(
                uvicorn.Config(
                    ProbeRoutes(app), host=probes[0], port=probes[1], lifespan="off", **_COMMON
                )
            )
        )
    # uvicorn raises the signal again after its graceful shutdown: end with SystemExit then,
    # so that the caller's cleanup runs.
    signal.signal(signal.SIGTERM, _exit)
    with asyncio.Runner(loop_factory=servers[0].config.get_loop_factory()) as runner:
        runner.run(_serve_together(servers, tls, reload_interval))


async def _serve_together(
    servers: list[uvicorn.Server], tls: ReloadingTLS, reload_interval: float
) -> None:
    """Run the servers and the certificate watcher; when one server stops, all do."""
    watcher = asyncio.create_task(tls.watch(reload_interval))
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for server in servers:
            server.should_exit = True
        await asyncio.gather(*tasks)
    finally:
        watcher.cancel()


class ProbeRoutes:
    """The app's probe and metrics routes only (the plain-HTTP listener)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] not in PROBE_PATHS:
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-length", b"0")],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


def _exit(signum: int, _frame: Any) -> None:
    raise SystemExit(0)
