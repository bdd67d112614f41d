"""A hostile OCI registry on loopback: a real HTTP/1.1 server (plain TCP, one thread a
connection) that serves chosen documents, or drips every answer one byte at a time so that
no read ever times out while the whole answer takes minutes."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MAX_HEADER_BYTES = 16 * 1024


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_manifest(seed: str) -> bytes:
    """A small OCI image manifest, distinct per `seed`."""
    layer = digest_of(seed.encode())
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": layer},
            "layers": [],
        }
    ).encode()


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = OCI_MANIFEST


@dataclass
class HostileRegistry:
    """`routes` maps a path (`/v2/repo/manifests/ref`) to its answer; other paths get 404.
    With `drip` seconds, every answer goes out one byte per `drip` seconds."""

    drip: float | None = None
    routes: dict[str, Answer] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    open_connections: int = 0
    _sock: socket.socket | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def host(self) -> str:
        assert self._sock is not None
        return f"127.0.0.1:{self._sock.getsockname()[1]}"

    def serve(self, path: str, body: bytes | Any, content_type: str = OCI_MANIFEST) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.routes[path] = Answer(200, raw, content_type)

    def __enter__(self) -> HostileRegistry:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(512)
        self._sock.settimeout(0.2)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._sock is not None
        self._sock.close()

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with self._lock:
            self.open_connections += 1
        try:
            with conn:
                conn.settimeout(30)
                while not self._stop.is_set():
                    path = _read_request(conn)
                    if path is None:
                        return
                    with self._lock:
                        self.requests[path] += 1
                    self._answer(
                        conn, self.routes.get(path, Answer(404, b"{}", "application/json"))
                    )
        except OSError:
            return
        finally:
            with self._lock:
                self.open_connections -= 1

    def _answer(self, conn: socket.socket, answer: Answer) -> None:
        head = (
            f"HTTP/1.1 {answer.status} X\r\nContent-Type: {answer.content_type}\r\n"
            f"Content-Length: {len(answer.body)}\r\n\r\n"
        ).encode()
        data = head + answer.body
        if self.drip is None:
            conn.sendall(data)
            return
        for offset in range(len(data)):
            if self._stop.wait(self.drip):
                return
            conn.sendall(data[offset : offset + 1])


def _read_request(conn: socket.socket) -> str | None:
    """The path of the next request (headers only: the client sends GET/HEAD here)."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(4096)
        if not chunk or len(buffer) > MAX_HEADER_BYTES:
            return None
        buffer += chunk
    request_line = buffer.split(b"\r\n", 1)[0].decode("latin-1")
    parts = request_line.split(" ")
    return parts[1].split("?")[0] if len(parts) >= 2 else None


def wait_until(condition: Any, timeout: float) -> bool:
    """Poll `condition()` until it is true or `timeout` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return bool(condition())
