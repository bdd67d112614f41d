"""The opt-in cloud metadata probe, against HTTP servers on loopback only."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.live.metadata import probe
from tests.live.imds import Imds, serving

HARDENED = Path(__file__).parent / "fixtures" / "roots" / "hardened-container"


@pytest.fixture
def imds() -> Iterator[tuple[str, type[Imds]]]:
    with serving() as served:
        yield served


def _host(endpoint: str) -> dict:
    result = CliRunner().invoke(
        main,
        [
            "host",
            "--root",
            str(HARDENED),
            "--format",
            "json",
            "--show-passes",
            "--probe-metadata",
            "--metadata-endpoint",
            endpoint,
        ],
    )
    report = json.loads(result.output)
    return next(
        f
        for r in report["requirements"]
        for f in r["findings"]
        if f["check_id"] == "HOST-CLOUD-METADATA"
    )


def test_reachable_imds_fails(imds) -> None:
    endpoint, handler = imds
    finding = _host(endpoint)
    assert finding["result"] == "fail"
    assert "AWS IMDSv2 token: HTTP 200" in finding["message"]
    assert ("PUT", "/latest/api/token") in handler.seen


def test_refusing_endpoint_passes(imds) -> None:
    endpoint, handler = imds
    handler.token_status = 403
    finding = _host(endpoint)
    assert finding["result"] == "pass" and "refuses" in finding["message"]
    assert len(handler.seen) == 4  # every cloud's question was asked


def test_unreachable_endpoint_passes() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    finding = _host(f"http://127.0.0.1:{port}")
    assert finding["result"] == "pass" and "connection refused" in finding["message"]


def test_only_http_urls() -> None:
    with pytest.raises(ValueError, match="http://"):
        probe("file:///etc/passwd")
    result = CliRunner().invoke(
        main,
        [
            "host",
            "--root",
            str(HARDENED),
            "--probe-metadata",
            "--metadata-endpoint",
            "ftp://127.0.0.1/",
        ],
    )
    assert result.exit_code == 2 and "http://" in result.output
