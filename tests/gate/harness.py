"""Run `c4guard gate serve` as a real process over TLS on loopback, and talk to it."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from c4guard.audit import open_trail
from c4guard.audit.events import decode_entry
from tests.gate.tls import Issued

HERE = Path(__file__).resolve().parent
FAULTY_LAUNCHER = HERE / "faulty_gate.py"
FAULT_LABEL = "c4guard.test/fault"  # faulty_gate.py's checks raise for objects labelled so
START_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def review(
    obj: dict[str, Any] | None,
    *,
    operation: str = "CREATE",
    dry_run: bool = False,
    uid: str | None = None,
    user: str = "alice@example.com",
    old: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An AdmissionReview v1 request as the API server sends it."""
    metadata = (obj or {}).get("metadata", {})
    request = {
        "uid": str(uuid.uuid4()) if uid is None else uid,
        "kind": {"group": "", "version": "v1", "kind": (obj or {}).get("kind", "Pod")},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "name": metadata.get("name", ""),
        "namespace": metadata.get("namespace", "ml"),
        "operation": operation,
        "userInfo": {"username": user, "groups": ["system:authenticated"]},
        "object": obj,
        "oldObject": old,
        "dryRun": dry_run,
    }
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


@dataclass
class GateProcess:
    """A running gate: its address, its CA, its audit trail and its log."""

    process: subprocess.Popen
    port: int
    ca: Path
    log_path: Path
    audit: str
    client_cert: Issued | None = None
    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def client(self, cert: Issued | None = None) -> httpx.Client:
        chosen = cert or self.client_cert
        context = ssl.create_default_context(cafile=str(self.ca))
        if chosen:
            context.load_cert_chain(chosen.cert, chosen.key)
        client = httpx.Client(base_url=self.base_url, verify=context, timeout=30)
        self.clients.append(client)
        return client

    def admit(self, obj: dict[str, Any] | None, **request: Any) -> dict[str, Any]:
        """Send a review; returns the AdmissionReview response's `response`."""
        sent = review(obj, **request)
        answer = self.client().post("/validate", json=sent)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["response"]["uid"] == sent["request"]["uid"]
        return body["response"]

    def logs(self) -> list[dict[str, Any]]:
        """The server's log lines, each a JSON object."""
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line]

    def stop(self) -> None:
        for client in self.clients:
            client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_gate(
    folder: Path,
    ca: Path,
    server: Issued,
    *,
    config: Path,
    audit: str,
    args: tuple[str, ...] = (),
    faulty: bool = False,
    client_cert: Issued | None = None,
    open_files: int | None = None,
) -> Iterator[GateProcess]:
    """Start a gate on a free loopback port; yields once it reports ready. `open_files`
    sets the gate's RLIMIT_NOFILE."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    launcher = (
        [sys.executable, str(FAULTY_LAUNCHER)] if faulty else [sys.executable, "-m", "c4guard"]
    )
    command = [
        *launcher,
        "gate",
        "serve",
        "--config",
        str(config),
        "--listen",
        f"127.0.0.1:{port}",
        "--tls-cert",
        str(server.cert),
        "--tls-key",
        str(server.key),
        "--audit",
        audit,
        *args,
    ]
    log_path = folder / f"gate-{port}.log"
    env = {**os.environ, "C4GUARD_STATE_DIR": str(folder / "state")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=log,
            env=env,
            preexec_fn=_open_files(open_files) if open_files else None,
        )
    gate = GateProcess(process, port, ca, log_path, audit, client_cert)
    try:
        _wait_ready(gate)
        yield gate
    finally:
        gate.stop()


def _open_files(limit: int) -> Any:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return apply


def _wait_ready(gate: GateProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    with gate.client() as client:
        while time.monotonic() < deadline:
            if gate.process.poll() is not None:
                raise RuntimeError(f"the gate exited: {gate.log_path.read_text()[-3000:]}")
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise RuntimeError(
        f"the gate was not ready in {START_TIMEOUT_S} s: {gate.log_path.read_text()[-3000:]}"
    )


def decisions(location: str) -> list[dict]:
    """The payloads of every gate.decision entry in the trail."""
    with open_trail(location, create=False) as trail:
        entries = [decode_entry(data) for _, data in trail.entries()]
    return [e.payload for e in entries if e.kind == "gate.decision"]


def audited(gate: GateProcess, uid: str) -> dict:
    """The gate.decision entry of request `uid`."""
    found = [p for p in decisions(gate.audit) if p["request"].get("uid") == uid]
    assert len(found) == 1, f"{len(found)} entries for {uid}"
    return found[0]
