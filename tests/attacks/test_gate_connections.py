"""Connection exhaustion without credentials (issue 17, finding 3), against the real gate
process over TLS on loopback: 2,000 connections that send the first bytes of a TLS record
and then nothing, on a gate limited to 1,024 open files, while its certificate rotates; and
silent connections, which the kernel keeps from the gate until they speak."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.attacks.test_gate_attacks import BUDGET_S, RESERVE_S, timed_post
from tests.conftest import unavailable
from tests.gate.conftest import PKI, pki  # noqa: F401  (fixture)
from tests.gate.harness import free_port, review, running_gate
from tests.gate.objects import pod

pytestmark = pytest.mark.slow
IDLE_CONNECTIONS = 2000
OPEN_FILES = 1024
HANDSHAKE_S = 2.0


PARTIAL_CLIENT_HELLO = b"\x16\x03\x01"  # a TLS handshake record's first bytes


@contextmanager
def idle_connections(port: int, count: int, first: bytes = b"") -> Iterator[list[socket.socket]]:
    """`count` TCP connections to `port` that send `first` and then nothing."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))
            sockets.append(sock)
        if first:
            _send_when_connected(sockets, first)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def _send_when_connected(sockets: list[socket.socket], data: bytes) -> None:
    """Send `data` on each socket once its connection is up (a few seconds at most)."""
    waiting, deadline = list(sockets), time.monotonic() + 10.0
    while waiting and time.monotonic() < deadline:
        for sock in list(waiting):
            try:
                sock.send(data)
                waiting.remove(sock)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                waiting.remove(sock)  # refused or reset: nothing to send
        time.sleep(0.05)


def closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def write_config(folder: Path) -> Path:
    config = folder / "c4guard.yaml"
    config.write_text(
        f"version: 1\ngate:\n  time_budget: {BUDGET_S}\n  audit_reserve: {RESERVE_S}\n"
        "  images: {verify: false}\n"
    )
    return config


def test_idle_connections_do_not_exhaust_the_gate(tmp_path: Path, pki: PKI) -> None:  # noqa: F811
    config = write_config(tmp_path)
    # the gate reads its certificate from copies that the test rotates
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    shutil.copy(pki.server.cert, cert)
    shutil.copy(pki.server.key, key)
    probe_port = free_port()
    with (
        running_gate(
            tmp_path / "gate",
            pki.ca.path,
            type(pki.server)(cert, key),
            config=config,
            audit=str(tmp_path / "audit.db"),
            args=(
                "--probe-listen",
                f"127.0.0.1:{probe_port}",
                "--tls-reload-interval",
                "0.5",
                "--handshake-timeout",
                str(HANDSHAKE_S),
            ),
            open_files=OPEN_FILES,
        ) as gate,
        idle_connections(gate.port, IDLE_CONNECTIONS, PARTIAL_CLIENT_HELLO) as idle,
    ):
        time.sleep(1.5)  # the gate has accepted what it will accept, and can evict it
        rotated = pki.ca.issue("rotated")
        shutil.copy(rotated.key, key)
        shutil.copy(rotated.cert, cert)
        probe = httpx.get(f"http://127.0.0.1:{probe_port}/healthz", timeout=BUDGET_S)
        seconds, answer = timed_post(gate, review(pod("registry.example/a@sha256:" + "a" * 64)))
        peak = descriptors(gate.process.pid)
        # idle connections past the handshake deadline (or evicted) are closed by the gate
        time.sleep(HANDSHAKE_S + 1.5)
        dropped = sum(closed_by_peer(sock) for sock in idle)
        settled = descriptors(gate.process.pid)
        log = gate.log_path.read_text()
    assert probe.status_code == 200
    assert answer.status_code == 200 and answer.json()["response"]["allowed"], answer.text
    assert seconds < BUDGET_S
    assert '"tls_reloaded"' in log and "Too many open files" not in log
    assert peak < OPEN_FILES
    assert dropped > 0 and settled < peak
    assert settled < 200, f"{settled} descriptors open after the handshake deadline"


SILENT_CONNECTIONS = 500


def test_silent_connections_never_reach_the_gate(tmp_path: Path, pki: PKI) -> None:  # noqa: F811
    """500 connections that never send a byte: the kernel holds them (deferred accept), so
    the gate spends no descriptor on them, and /validate and the probe port answer."""
    if not hasattr(socket, "TCP_DEFER_ACCEPT"):
        unavailable("Linux's deferred accept (TCP_DEFER_ACCEPT)")
    probe_port = free_port()
    with (
        running_gate(
            tmp_path / "gate",
            pki.ca.path,
            pki.server,
            config=write_config(tmp_path),
            audit=str(tmp_path / "audit.db"),
            args=("--probe-listen", f"127.0.0.1:{probe_port}"),
        ) as gate,
        idle_connections(gate.port, SILENT_CONNECTIONS) as idle,
    ):
        time.sleep(1.0)  # connected: the client side of each is established
        probe = httpx.get(f"http://127.0.0.1:{probe_port}/healthz", timeout=BUDGET_S)
        seconds, answer = timed_post(gate, review(pod("registry.example/a@sha256:" + "a" * 64)))
        held = descriptors(gate.process.pid)
        connected = sum(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 for sock in idle)
    assert connected == SILENT_CONNECTIONS
    assert probe.status_code == 200
    assert answer.status_code == 200 and answer.json()["response"]["allowed"], answer.text
    assert seconds < BUDGET_S
    assert held < 100, f"the gate holds {held} descriptors for {SILENT_CONNECTIONS} silent peers"
