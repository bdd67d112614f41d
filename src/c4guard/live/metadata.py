"""The cloud metadata reachability probe (opt-in: `c4guard host --probe-metadata`).

A workload that can read the instance metadata service can usually take the node's cloud
credentials. The probe asks the questions each cloud answers without a prior secret: AWS
IMDSv2's token (PUT) and IMDSv1, GCP's `Metadata-Flavor: Google`, Azure's `Metadata: true`.
Any 2xx answer means the endpoint is reachable from here. It talks plain HTTP straight to
the address, never through a proxy.
"""

from __future__ import annotations

import http.client
import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEFAULT_ENDPOINT = "http://169.254.169.254"
TIMEOUT_S = 2.0
MAX_BODY_BYTES = 64 * 1024
QUESTIONS: tuple[tuple[str, str, str, dict[str, str]], ...] = (
    (
        "AWS IMDSv2 token",
        "PUT",
        "/latest/api/token",
        {"X-aws-ec2-metadata-token-ttl-seconds": "60"},
    ),
    ("AWS IMDSv1", "GET", "/latest/meta-data/", {}),
    ("GCP metadata", "GET", "/computeMetadata/v1/", {"Metadata-Flavor": "Google"}),
    ("Azure IMDS", "GET", "/metadata/instance?api-version=2021-02-01", {"Metadata": "true"}),
)


@dataclass(slots=True)
class MetadataProbe:
    endpoint: str
    reachable: bool = False
    answered: list[str] = field(default_factory=list)  # "AWS IMDSv2 token: HTTP 200"
    refused: list[str] = field(default_factory=list)
    unreachable: str | None = None


def check_endpoint(endpoint: str) -> None:
    """Raise ValueError unless `endpoint` is an http:// URL with a host."""
    parts = urlsplit(endpoint)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"the metadata endpoint must be an http:// URL, not {endpoint!r}")


def probe(endpoint: str = DEFAULT_ENDPOINT, timeout: float = TIMEOUT_S) -> MetadataProbe:
    """Ask the metadata endpoint each cloud's question; stop at the first network failure."""
    check_endpoint(endpoint)
    parts = urlsplit(endpoint)
    result = MetadataProbe(endpoint)
    for label, method, path, headers in QUESTIONS:
        try:
            status = _ask(parts.hostname or "", parts.port or 80, method, path, headers, timeout)
        except (OSError, http.client.HTTPException) as exc:
            result.unreachable = _why(exc, timeout)
            break
        if 200 <= status < 300:
            result.reachable = True
            result.answered.append(f"{label}: HTTP {status}")
        else:
            result.refused.append(f"{label}: HTTP {status}")
    return result


def _ask(
    host: str, port: int, method: str, path: str, headers: dict[str, str], timeout: float
) -> int:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        response.read(MAX_BODY_BYTES)
        return response.status
    finally:
        connection.close()


def _why(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    return f"{type(exc).__name__}: {exc}"
