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
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from c4guard.errors import ServiceError
from c4guard.gate.connections import (
    ConnectionLimits,
    GuardedServer,
    spare_descriptors,
)
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
DEFAULT_LIMITS = ConnectionLimits()
# Accepted by asyncio in one go (small, so that a flood of connections costs the event loop
# short turns) and queued by the kernel (capped by net.core.somaxconn).
BACKLOG, PROBE_BACKLOG = 128, 16
QUEUE, PROBE_QUEUE = 4096, 128
# TLS and HTTP clients speak first: the kernel hands a connection over only once its first
# bytes arrived, or after this many seconds (rounded up to its SYN-ACK retransmission
# schedule, 31 s). An idle connection costs the gate no descriptor, no Python object and
# no turn of the event loop meanwhile; excess beyond QUEUE still arrive at once.
DEFER_ACCEPT_S = 30
PROBE_LIMITS = ConnectionLimits(max_connections=64, handshake_timeout=5.0, idle_timeout=30.0)
_COMMON: dict[str, Any] = {
    "log_config": None,
    "access_log": False,
    "server_header": False,
    "proxy_headers": False,
    "timeout_keep_alive": 30,
    # asyncio's loop: the ConnectionGuard upgrades accepted sockets with loop.start_tls,
    # which uvloop's (0.23) does not do for a socket whose reading was paused on accept
    "loop": "asyncio",
}


def serve_app(
    app: Any,
    listen: Address,
    tls: ReloadingTLS,
    reload_interval: float,
    probes: Address | None = None,
    limits: ConnectionLimits = DEFAULT_LIMITS,
) -> None:
    """Serve the app over TLS at `listen`, and its probes and metrics over plain HTTP at
    `probes` when given — on a thread and event loop of their own, so that they answer
    while /validate is saturated — until SIGTERM or SIGINT.
    Both listeners are behind a ConnectionGuard whose caps leave FD_RESERVE descriptors."""
    spare = spare_descriptors() - (PROBE_LIMITS.max_connections + PROBE_BACKLOG if probes else 0)
    limits, backlog = limits.within(spare, BACKLOG)
    main = GuardedServer(
        uvicorn.Config(
            app, host=listen[0], port=listen[1], lifespan="on", backlog=backlog, **_COMMON
        ),
        tls.base,
        limits,
        QUEUE,
    )
    probe = None
    if probes is not None:
        probe = GuardedServer(
            uvicorn.Config(
                ProbeRoutes(app),
                host=probes[0],
                port=probes[1],
                lifespan="off",
                backlog=PROBE_BACKLOG,
                **_COMMON,
            ),
            None,
            PROBE_LIMITS,
            PROBE_QUEUE,
        )
    # Bound here, before uvicorn starts: an address in use is one JSON line and exit 2,
    # not a traceback from inside the event loop.
    main_socket = bind(listen, QUEUE)
    probe_socket = bind(probes, PROBE_QUEUE) if probes is not None else None
    # uvicorn handles SIGTERM while it serves (a graceful shutdown) and raises it again once
    # stopped: by then there is nothing left to do, so the re-raised signal is ignored and
    # serve_app returns (the caller's cleanup runs, the exit code is 0).
    signal.signal(signal.SIGTERM, _ignore)
    loop_factory = main.config.get_loop_factory()
    thread = (
        _probe_thread(probe, probe_socket, main, loop_factory)
        if probe is not None and probe_socket is not None
        else None
    )
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(_serve_main(main, main_socket, tls, reload_interval))
    finally:
        if probe is not None and thread is not None:
            probe.should_exit = True
            thread.join(timeout=5)


class ListenError(ServiceError):
    """An address the gate cannot listen on (in use, not local, not permitted)."""


def bind(address: Address, backlog: int) -> socket.socket:
    """A listening TCP socket on `address` whose connections are handed over once they
    sent something (DEFER_ACCEPT_S, where the system has TCP_DEFER_ACCEPT); ListenError
    names the address and why."""
    host, port = address
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hasattr(socket, "TCP_DEFER_ACCEPT"):  # Linux
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, DEFER_ACCEPT_S)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


def _probe_thread(
    probe: GuardedServer, sock: socket.socket, main: GuardedServer, loop_factory: Any
) -> threading.Thread:
    """Run the probe server on its own thread; when it stops, the main server stops too."""

    def run() -> None:
        try:
            with asyncio.Runner(loop_factory=loop_factory) as runner:
                runner.run(probe.serve(sockets=[sock]))
        except SystemExit:
            pass
        finally:
            main.should_exit = True

    thread = threading.Thread(target=run, name="c4guard-probes", daemon=True)
    thread.start()
    return thread


async def _serve_main(
    server: GuardedServer, sock: socket.socket, tls: ReloadingTLS, reload_interval: float
) -> None:
    """Run the server and the certificate watcher."""
    watcher = asyncio.create_task(tls.watch(reload_interval))
    try:
        await server.serve(sockets=[sock])
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


def _ignore(_signum: int, _frame: Any) -> None:
    """SIGTERM once uvicorn has shut down: nothing more to stop."""
