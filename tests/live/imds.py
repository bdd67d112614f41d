"""A cloud metadata service on loopback that answers like AWS IMDSv2 (tokens required), for
the metadata probe's tests and the host checks' fixture scenarios."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar


class Imds(BaseHTTPRequestHandler):
    """Answers like AWS IMDSv2 with tokens required: PUT token 200, the rest 401."""

    seen: ClassVar[list[tuple[str, str]]] = []
    token_status = 200

    def do_PUT(self) -> None:
        self.seen.append(("PUT", self.path))
        ok = self.path == "/latest/api/token" and "X-aws-ec2-metadata-token-ttl-seconds" in (
            self.headers
        )
        self._answer(self.token_status if ok else 403, b"AQAEAFixtureToken==")

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path))
        self._answer(401, b"")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def serving(token_status: int = 200) -> Iterator[tuple[str, type[Imds]]]:
    """An IMDS on 127.0.0.1 (its URL and handler class) while the block runs."""
    handler = type("Handler", (Imds,), {"seen": [], "token_status": token_status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
