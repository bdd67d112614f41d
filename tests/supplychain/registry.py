"""Start Debian's `docker-registry` (distribution 2.8) on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml

from tests.conftest import unavailable

BINARY = "docker-registry"


def require_registry_binary() -> str:
    """The registry binary; missing, a test fails under CI=true and is skipped elsewhere."""
    path = shutil.which(BINARY)
    if path is None:
        unavailable(f"{BINARY} not installed (run .ci/services/registry.sh)")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_registry(
    folder: Path, *, tls: tuple[Path, Path] | None = None, htpasswd: Path | None = None
) -> Iterator[str]:
    """Yield `127.0.0.1:PORT` of a registry storing into `folder`; stopped afterwards."""
    binary = require_registry_binary()
    port = _free_port()
    config: dict = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(folder / "data")},
            "delete": {"enabled": True},
        },
        "http": {"addr": f"127.0.0.1:{port}"},
    }
    if tls:
        config["http"]["tls"] = {"certificate": str(tls[0]), "key": str(tls[1])}
    if htpasswd:
        config["auth"] = {"htpasswd": {"realm": "c4guard-test", "path": str(htpasswd)}}
    config_path = folder / "config.yml"
    config_path.write_text(yaml.safe_dump(config))
    log = (folder / "registry.log").open("wb")
    proc = subprocess.Popen([binary, "serve", str(config_path)], stdout=log, stderr=log)
    host = f"127.0.0.1:{port}"
    try:
        _wait_ready(host, proc, tls, folder)
        yield host
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_ready(
    host: str, proc: subprocess.Popen, tls: tuple[Path, Path] | None, folder: Path
) -> None:
    url = f"{'https' if tls else 'http'}://{host}/v2/"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"registry exited: {(folder / 'registry.log').read_text()[-2000:]}")
        try:
            httpx.get(url, verify=False, timeout=1)  # any answer means it listens
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("registry did not start within 20 s")
