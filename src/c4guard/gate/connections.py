"""A bound on connections in front of uvicorn: at most `max_connections` open at once, a
deadline for the TLS handshake (or, without TLS, for the first bytes), idle connections
closed, and the file descriptors to stay clear of EMFILE.

uvicorn accepts every connection and leaves the TLS handshake to asyncio, whose deadline is
60 s and is not configurable through uvicorn: 21,000 idle TCP connections that never send a
ClientHello take every descriptor. Here each accepted socket is counted before its
handshake; when the cap is reached the oldest connection still in its handshake makes room
(a legitimate client finishes its handshake in milliseconds, an idle attacker never does),
and when every connection has finished its handshake the newcomer is refused at once.
"""

from __future__ import annotations

import asyncio
import resource
import ssl
import sys
import time
from asyncio import sslproto
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

TLS_READ_BUFFER = 64 * 1024  # asyncio's default, 256 KiB, per connection in its handshake
FD_RESERVE = 256  # descriptors kept for certificate reloads, the audit trail, logs
SWEEP_INTERVAL_S = 0.5
EVICT_AFTER_S = 1.0


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 1000
    handshake_timeout: float = 5.0
    idle_timeout: float = 30.0

    def within(self, descriptors: int, backlog: int) -> tuple[ConnectionLimits, int]:
        """These limits, and the listen backlog, lowered to what `descriptors` allow.

        asyncio accepts up to `backlog` sockets in one go before any of them is counted,
        and a refused or evicted socket is closed on the next turn of the loop: the cap and
        three batches of accepts must fit in the descriptors."""
        backlog = max(16, min(backlog, descriptors // 8))
        cap = max(16, min(self.max_connections, descriptors - 3 * backlog))
        return ConnectionLimits(cap, self.handshake_timeout, self.idle_timeout), backlog


def spare_descriptors() -> int:
    """Descriptors this process may open beyond the reserve (the soft RLIMIT_NOFILE)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return (sys.maxsize if soft == resource.RLIM_INFINITY else soft) - FD_RESERVE


class ConnectionGuard:
    """The connections of one listener: pending (handshake not done) in arrival order, and
    established ones, which are handed to the HTTP protocol uvicorn would have used."""

    def __init__(
        self,
        create_protocol: Callable[[], asyncio.Protocol],
        context: ssl.SSLContext | None,
        limits: ConnectionLimits,
    ) -> None:
        self.create_protocol = create_protocol
        self.context = context
        self.limits = limits
        self.pending: dict[GuardedConnection, None] = {}
        self.established: set[GuardedConnection] = set()
        self.evicted = self.refused = 0

    def protocol(self) -> GuardedConnection:
        return GuardedConnection(self)

    @property
    def open(self) -> int:
        return len(self.pending) + len(self.established)

    def admit(self, connection: GuardedConnection) -> bool:
        """Count a new connection; at the cap, make room by dropping the oldest one still in
        its handshake when it has had EVICT_AFTER_S for it, else refuse the newcomer (so
        that a flood of reconnects cannot keep a legitimate handshake from finishing)."""
        if self.open >= self.limits.max_connections:
            oldest = next(iter(self.pending), None)
            if oldest is None or time.monotonic() - oldest.since < EVICT_AFTER_S:
                self.refused += 1
                return False
            self.evicted += 1
            oldest.drop()
        self.pending[connection] = None
        return True

    def promote(self, connection: GuardedConnection) -> None:
        if connection in self.pending:
            del self.pending[connection]
            self.established.add(connection)

    def release(self, connection: GuardedConnection) -> None:
        self.pending.pop(connection, None)
        self.established.discard(connection)

    async def sweep(self) -> None:
        """Drop connections past their handshake deadline, and idle established ones."""
        while True:
            await asyncio.sleep(SWEEP_INTERVAL_S)
            now = time.monotonic()
            for connection in list(self.pending):
                if now - connection.since < self.limits.handshake_timeout:
                    break  # arrival order: the rest are younger
                connection.drop()
            for connection in list(self.established):
                if now - connection.active > self.limits.idle_timeout:
                    connection.drop()

    def drop_pending(self) -> None:
        for connection in list(self.pending):
            connection.drop()


class GuardedConnection(asyncio.Protocol):
    """One accepted socket: counted, TLS-wrapped under a deadline, then relayed to the HTTP
    protocol."""

    def __init__(self, guard: ConnectionGuard) -> None:
        self.guard = guard
        self.since = self.active = time.monotonic()
        self.transport: Any = None
        self.inner: Any = None
        self.handshake: asyncio.Task[None] | None = None
        self.early: list[bytes] = []  # data decrypted before start_tls returned
        self.early_eof = False

    def connection_made(self, transport: Any) -> None:  # uvloop's are not asyncio's classes
        self.transport = transport
        if not self.guard.admit(self):
            transport.abort()
            return
        if self.guard.context is None:
            self._attach(transport)
            return
        transport.pause_reading()  # the ClientHello is for start_tls, not for us
        self.handshake = asyncio.get_running_loop().create_task(self._handshake(transport))

    async def _handshake(self, raw: Any) -> None:
        assert self.guard.context is not None
        try:
            tls = await asyncio.get_running_loop().start_tls(
                raw,
                self,
                self.guard.context,
                server_side=True,
                ssl_handshake_timeout=self.guard.limits.handshake_timeout,
            )
        except (OSError, ssl.SSLError, TimeoutError, RuntimeError, ConnectionError):
            tls = None
        if tls is None or raw.is_closing():
            raw.abort()
            self.guard.release(self)
            return
        self.guard.promote(self)
        self.active = time.monotonic()
        self.transport = tls
        self._attach(tls)

    def _attach(self, transport: Any) -> None:
        self.inner = self.guard.create_protocol()
        self.inner.connection_made(transport)
        early, self.early = self.early, []
        for data in early:
            self.inner.data_received(data)
        if self.early_eof and not transport.is_closing():
            self.inner.eof_received()

    def drop(self) -> None:
        self.guard.release(self)
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.active = time.monotonic()
        self.guard.promote(self)  # without TLS: the first bytes end the pending state
        if self.inner is not None:
            self.inner.data_received(data)
        else:  # TLS 1.3: the request can come with the client's Finished message
            self.early.append(data)

    def eof_received(self) -> bool | None:
        if self.inner is None:
            self.early_eof = True
            return True
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.release(self)
        if self.inner is not None:
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()


class GuardedServer(uvicorn.Server):
    """uvicorn's server with its listener behind a ConnectionGuard (and TLS done there).

    `config.backlog` is how many connections asyncio accepts in one go; `queue`, when
    given, how many the kernel queues on the caller's socket (see server.bind)."""

    def __init__(
        self,
        config: uvicorn.Config,
        context: ssl.SSLContext | None,
        limits: ConnectionLimits,
        queue: int | None = None,
    ) -> None:
        super().__init__(config)
        self.context, self.limits, self.queue = context, limits, queue
        self.guard: ConnectionGuard | None = None
        self._sweeper: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[Any] | None = None) -> None:
        await self.lifespan.startup()
        if self.lifespan.should_exit:
            sys.exit(STARTUP_FAILURE)
        config = self.config

        def create_protocol() -> asyncio.Protocol:
            return config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )

        # asyncio allocates this read buffer for every TLS connection as it is accepted:
        # with the default, 1,000 idle connections cost 256 MB
        sslproto.SSLProtocol.max_size = TLS_READ_BUFFER
        self.guard = ConnectionGuard(create_protocol, self.context, self.limits)
        loop = asyncio.get_running_loop()
        try:
            if sockets:  # bound by the caller (an address in use was reported before start)
                server = await loop.create_server(
                    self.guard.protocol, sock=sockets[0], backlog=config.backlog
                )
                if self.queue is not None:  # create_server set the kernel's queue to the batch
                    sockets[0].listen(self.queue)
            else:
                server = await loop.create_server(
                    self.guard.protocol, host=config.host, port=config.port, backlog=config.backlog
                )
        except OSError as exc:
            print(f"c4guard: cannot listen on {config.host}:{config.port}: {exc}", file=sys.stderr)
            await self.lifespan.shutdown()
            sys.exit(STARTUP_FAILURE)
        self.servers = [server]
        self._sweeper = loop.create_task(self.guard.sweep())
        self.started = True

    async def shutdown(self, sockets: list[Any] | None = None) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self.guard is not None:
            self.guard.drop_pending()
        await super().shutdown(sockets)
