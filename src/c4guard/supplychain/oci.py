"""A small OCI distribution client over httpx: references, docker config.json auth, manifests
and blobs with digest checks, cosign's tag scheme and OCI 1.1 referrers (the API, or the
referrers tag schema where a registry lacks it, as Debian's docker-registry 2.8 does)."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import re
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpcore
import httpx

from c4guard.errors import ServiceError

MAX_MANIFEST_BYTES = 4 << 20
MAX_BLOB_BYTES = 64 << 20
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
MANIFEST_TYPES = (
    OCI_MANIFEST,
    OCI_INDEX,
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
DOCKER_HUB = "registry-1.docker.io"

_REFERENCE = re.compile(
    r"^(?P<name>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


class RegistryError(ServiceError):
    """A registry that cannot be reached, refuses, or serves content that fails its digest."""

    def __init__(self, message: str, code: str = "registry-error") -> None:
        super().__init__(message)
        self.code = code


class Deadline:
    """A total time limit (on the monotonic clock) for a run of registry I/O. Every socket
    operation gets at most the time left, so a registry that drips one byte at a time
    cannot stretch a request past it, whatever the per-read timeout."""

    def __init__(self, at: float | None) -> None:
        self.at = at

    def passed(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def cap(self, timeout: float | None) -> float | None:
        if self.at is None:
            return timeout
        left = self.at - time.monotonic()
        if left <= 0:
            raise httpcore.ReadTimeout("the deadline has passed")
        return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream, self._deadline = stream, deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.cap(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.cap(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        tls = self._stream.start_tls(ssl_context, server_hostname, self._deadline.cap(timeout))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with every connect, read and write capped by a Deadline."""

    def __init__(self, deadline: Deadline) -> None:
        self._backend, self._deadline = httpcore.SyncBackend(), deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_tcp(
            host, port, self._deadline.cap(timeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        stream = self._backend.connect_unix_socket(
            path, self._deadline.cap(timeout), socket_options
        )
        return _DeadlineStream(stream, self._deadline)

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """The TLS context for registries: certifi's trust store, or `ca_file`. Loading a
    trust store takes milliseconds of CPU, so a context is built once and shared by every
    client (a context is safe to share between threads); a changed CA file gets a new one."""
    if ca_file is None:
        return _context(None, 0)
    try:
        changed = ca_file.stat().st_mtime_ns
    except OSError:
        changed = 0  # loading it reports the error
    return _context(str(ca_file), changed)


@functools.lru_cache(maxsize=16)
def _context(ca_file: str | None, _changed: int) -> ssl.SSLContext:
    if ca_file is None:
        return httpx.create_ssl_context(trust_env=False)  # certifi's bundle, as httpx's default
    return ssl.create_default_context(cafile=ca_file)


def deadline_transport(verify: ssl.SSLContext | bool, deadline: Deadline) -> httpx.HTTPTransport:
    """httpx's transport on the deadline-capped backend (no proxies from the environment:
    a registry is reached directly)."""
    transport = httpx.HTTPTransport(verify=verify, trust_env=False)
    pool = transport._pool  # httpx offers no backend parameter; its pool keeps it here
    assert isinstance(pool, httpcore.ConnectionPool)
    pool._network_backend = _DeadlineBackend(deadline)
    return transport


@dataclass(frozen=True)
class Reference:
    """`registry/repository[:tag][@digest]`, with Docker Hub's defaults applied."""

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @classmethod
    def parse(cls, text: str) -> Reference:
        match = _REFERENCE.match(text)
        if not match:
            raise ValueError(f"not an OCI reference: {text!r}")
        name, tag, digest = match["name"], match["tag"], match["digest"]
        first, _, rest = name.partition("/")
        if rest and ("." in first or ":" in first or first == "localhost"):
            registry, repository = first, rest
        else:
            registry, repository = DOCKER_HUB, name if rest else f"library/{name}"
        return cls(registry, repository, tag, digest)

    @property
    def name(self) -> str:
        """`registry/repository`, the string trust policy globs match."""
        return f"{self.registry}/{self.repository}"

    def __str__(self) -> str:
        tag = f":{self.tag}" if self.tag else ""
        digest = f"@{self.digest}" if self.digest else ""
        return f"{self.name}{tag}{digest}"


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def cosign_tag(digest: str, suffix: str) -> str:
    """cosign's tag for a digest's `sig`, `att` or `sbom` artifacts."""
    return f"{digest.replace(':', '-')}.{suffix}"


def referrers_tag(digest: str) -> str:
    """The OCI 1.1 referrers tag schema's fallback tag for a digest."""
    return digest.replace(":", "-")[:128]


def docker_credentials(registry: str, config_path: Path | None = None) -> tuple[str, str] | None:
    """(user, secret) for `registry` from a docker config.json (`auths` entries only)."""
    path = (
        config_path
        or Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "config.json"
    )
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{path}: unreadable docker config: {exc}") from exc
    wanted = "index.docker.io" if registry == DOCKER_HUB else registry
    for key, entry in (config.get("auths") or {}).items():
        host = re.sub(r"^https?://", "", key).split("/")[0]
        if host != wanted or not isinstance(entry, dict):
            continue
        if entry.get("identitytoken"):
            return "<token>", entry["identitytoken"]
        if entry.get("auth"):
            user, _, secret = base64.b64decode(entry["auth"]).decode().partition(":")
            return user, secret
        if entry.get("username"):
            return entry["username"], entry.get("password", "")
    return None


@dataclass(frozen=True)
class Manifest:
    digest: str
    media_type: str
    raw: bytes
    data: dict[str, Any]


@dataclass
class Registry:
    """One registry host; Basic or Bearer token auth as the registry challenges."""

    host: str
    credentials: tuple[str, str] | None = None
    plain_http: bool = False
    ca_file: Path | None = None
    timeout: float = 30.0
    deadline: float | None = None  # monotonic time by which all I/O must be done
    _tokens: dict[str, str] = field(default_factory=dict)
    _client: httpx.Client | None = None

    def __post_init__(self) -> None:
        self._deadline = Deadline(self.deadline)
        self._client = httpx.Client(
            transport=deadline_transport(client_context(self.ca_file), self._deadline),
            timeout=self.timeout,
            follow_redirects=True,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------
    def manifest(self, repository: str, ref: str) -> Manifest | None:
        """The manifest at a tag or digest (None if absent); its digest is checked."""
        resp = self._request(
            "GET",
            f"{repository}/manifests/{ref}",
            scope=repository,
            headers={"Accept": ", ".join(MANIFEST_TYPES)},
            missing_ok=True,
        )
        if resp is None:
            return None
        raw = self._read(resp, MAX_MANIFEST_BYTES, "manifest")
        digest = sha256_digest(raw)
        expected = ref if ref.startswith("sha256:") else resp.headers.get("Docker-Content-Digest")
        if expected and expected != digest:
            raise RegistryError(
                f"digest mismatch: {repository}@{ref} served content with digest "
                f"{digest}, expected {expected}",
                code="digest-mismatch",
            )
        data = _json_object(raw, f"{repository}@{ref}: manifest")
        media_type = str(data.get("mediaType") or resp.headers.get("Content-Type", ""))
        return Manifest(digest, media_type, raw, data)

    def blob(self, repository: str, digest: str) -> bytes:
        """A blob, refused unless its content matches `digest`."""
        resp = self._request("GET", f"{repository}/blobs/{digest}", scope=repository)
        assert resp is not None
        data = self._read(resp, MAX_BLOB_BYTES, "blob")
        if sha256_digest(data) != digest:
            raise RegistryError(
                f"digest mismatch: blob {digest} in {repository} has content {sha256_digest(data)}",
                code="digest-mismatch",
            )
        return data

    def referrers(self, repository: str, digest: str) -> list[dict[str, Any]]:
        """Descriptors of manifests whose `subject` is `digest`: the referrers API if the
        registry offers it, else the referrers tag schema."""
        resp = self._request(
            "GET",
            f"{repository}/referrers/{digest}",
            scope=repository,
            headers={"Accept": OCI_INDEX},
            missing_ok=True,
        )
        if resp is not None and resp.headers.get("Content-Type", "").startswith(OCI_INDEX):
            what = f"{repository}: referrers index of {digest}"
            return descriptors(
                _json_object(self._read(resp, MAX_MANIFEST_BYTES, "index"), what), "manifests", what
            )
        if resp is not None:
            resp.close()
        index = self.manifest(repository, referrers_tag(digest))
        return (
            descriptors(index.data, "manifests", f"{repository}:{referrers_tag(digest)}")
            if index
            else []
        )

    # -- writing -------------------------------------------------------------------------
    def push_blob(self, repository: str, data: bytes) -> str:
        digest = sha256_digest(data)
        exists = self._request(
            "HEAD", f"{repository}/blobs/{digest}", scope=repository, push=True, missing_ok=True
        )
        if exists is not None:
            exists.close()
            return digest
        start = self._request("POST", f"{repository}/blobs/uploads/", scope=repository, push=True)
        assert start is not None
        start.close()
        location = start.url.join(start.headers["Location"])
        done = self._request(
            "PUT",
            location.copy_merge_params({"digest": digest}),
            scope=repository,
            push=True,
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert done is not None
        done.close()
        return digest

    def push_manifest(self, repository: str, ref: str, data: dict[str, Any]) -> tuple[str, bool]:
        """Push a manifest under a tag or its digest; returns (digest, registry indexed the
        subject itself, i.e. it answered with the OCI-Subject header)."""
        raw = json.dumps(data, separators=(",", ":")).encode()
        resp = self._request(
            "PUT",
            f"{repository}/manifests/{ref}",
            scope=repository,
            push=True,
            content=raw,
            headers={"Content-Type": data["mediaType"]},
        )
        assert resp is not None
        resp.close()
        return sha256_digest(raw), "OCI-Subject" in resp.headers

    def push_artifact(
        self,
        repository: str,
        layers: list[tuple[bytes, str, dict[str, str]]],
        *,
        artifact_type: str | None = None,
        subject: Manifest | None = None,
        tag: str | None = None,
    ) -> str:
        """Push an OCI image manifest of (content, media type, annotations) layers with an
        empty config, optionally as a referrer of `subject`; returns its digest."""
        config = self.push_blob(repository, b"{}")
        manifest: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_EMPTY, "digest": config, "size": 2},
            "layers": [
                _descriptor(media, self.push_blob(repository, content), len(content), annotations)
                for content, media, annotations in layers
            ],
        }
        if artifact_type:
            manifest["artifactType"] = artifact_type
        if subject is not None:
            manifest["subject"] = _descriptor(subject.media_type, subject.digest, len(subject.raw))
        raw = json.dumps(manifest, separators=(",", ":")).encode()
        digest, indexed = self.push_manifest(repository, tag or sha256_digest(raw), manifest)
        if subject is not None and not indexed:
            self._add_to_referrers_tag(
                repository,
                subject.digest,
                _descriptor(OCI_MANIFEST, digest, len(raw), None, artifact_type),
            )
        return digest

    def append_cosign_layer(
        self,
        repository: str,
        subject_digest: str,
        suffix: str,
        layer: tuple[bytes, str, dict[str, str]],
    ) -> str:
        """Add a layer to cosign's `sha256-<hex>.<suffix>` manifest, as cosign does."""
        tag = cosign_tag(subject_digest, suffix)
        existing = self.manifest(repository, tag)
        layers = [
            (self.blob(repository, d["digest"]), d["mediaType"], d.get("annotations") or {})
            for d in (descriptors(existing.data, "layers", tag) if existing else [])
        ]
        return self.push_artifact(repository, [*layers, layer], tag=tag)

    def _add_to_referrers_tag(
        self, repository: str, subject: str, descriptor: dict[str, Any]
    ) -> None:
        tag = referrers_tag(subject)
        index = self.manifest(repository, tag)
        manifests = descriptors(index.data, "manifests", tag) if index else []
        if all(m.get("digest") != descriptor["digest"] for m in manifests):
            manifests.append(descriptor)
        self.push_manifest(
            repository, tag, {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
        )

    # -- transport -----------------------------------------------------------------------
    def _request(
        self,
        method: str,
        path: str | httpx.URL,
        *,
        scope: str,
        push: bool = False,
        missing_ok: bool = False,
        **kwargs: Any,
    ) -> httpx.Response | None:
        url = (
            path
            if isinstance(path, httpx.URL)
            else httpx.URL(f"{'http' if self.plain_http else 'https'}://{self.host}/v2/{path}")
        )
        action = f"repository:{scope}:{'pull,push' if push else 'pull'}"
        try:
            resp = self._send(method, url, action, kwargs)
            if resp.status_code == 401 and action not in self._tokens:
                resp.close()
                self._answer_challenge(resp, action)
                resp = self._send(method, url, action, kwargs)
        except httpx.HTTPError as exc:
            raise self._failure(exc) from exc
        if resp.status_code == 404 and missing_ok:
            resp.close()
            return None
        if resp.status_code >= 400:
            detail = self._read(resp, 4096, "error").decode(errors="replace")[:200]
            raise RegistryError(
                f"registry {self.host}: {method} {url.path} answered {resp.status_code}: {detail}"
            )
        return resp

    def _failure(self, exc: httpx.HTTPError) -> RegistryError:
        if self._deadline.passed():
            return RegistryError(
                f"registry {self.host}: no complete answer before the verification's "
                "deadline (a slow or stalled registry)",
                code="registry-deadline",
            )
        return RegistryError(f"registry {self.host}: {exc}")

    def _read(self, resp: httpx.Response, limit: int, what: str) -> bytes:
        """A streamed body of at most `limit` bytes, read before the deadline."""
        try:
            return _bounded(resp, limit, what)
        except httpx.HTTPError as exc:
            raise self._failure(exc) from exc

    def _send(
        self, method: str, url: httpx.URL, action: str, kwargs: dict[str, Any]
    ) -> httpx.Response:
        assert self._client is not None
        headers = dict(kwargs.get("headers") or {})
        if action in self._tokens:
            headers["Authorization"] = self._tokens[action]
        rest = {k: v for k, v in kwargs.items() if k != "headers"}
        request = self._client.build_request(method, url, headers=headers, **rest)
        return self._client.send(request, stream=True)

    def _answer_challenge(self, resp: httpx.Response, action: str) -> None:
        """Basic auth with the docker config credentials, or a Bearer token from the realm
        the registry names (anonymous when there are no credentials)."""
        challenge = resp.headers.get("WWW-Authenticate", "")
        basic = None
        if self.credentials is not None:
            user, secret = self.credentials
            basic = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
        if challenge.lower().startswith("basic"):
            if basic is None:
                raise RegistryError(
                    f"registry {self.host} requires authentication; add it to "
                    "the docker config.json (`docker login`)"
                )
            self._tokens[action] = basic
            return
        params = dict(_CHALLENGE_PARAM.findall(challenge))
        if "realm" not in params:
            raise RegistryError(f"registry {self.host}: unsupported challenge {challenge!r}")
        assert self._client is not None
        token = self._client.get(
            params["realm"],
            headers={"Authorization": basic} if basic else {},
            params={"service": params.get("service", self.host), "scope": action},
        )
        if token.status_code != 200:
            raise RegistryError(
                f"registry {self.host}: token request refused ({token.status_code})"
            )
        body = _json_object(token.content, f"registry {self.host}: token answer")
        value = body.get("token") or body.get("access_token")
        if not isinstance(value, str):
            raise RegistryError(f"registry {self.host}: the token answer holds no token")
        self._tokens[action] = "Bearer " + value


def _descriptor(
    media_type: str,
    digest: str,
    size: int,
    annotations: dict[str, str] | None = None,
    artifact_type: str | None = None,
) -> dict[str, Any]:
    descriptor: dict[str, Any] = {"mediaType": media_type, "digest": digest, "size": size}
    if artifact_type:
        descriptor["artifactType"] = artifact_type
    if annotations:
        descriptor["annotations"] = annotations
    return descriptor


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    """A registry document that must be a JSON object."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise RegistryError(f"{what} is not JSON") from exc
    if not isinstance(data, dict):
        raise RegistryError(f"{what} is not a JSON object but {type(data).__name__}")
    return data


def descriptors(document: dict[str, Any], key: str, what: str) -> list[dict[str, Any]]:
    """The descriptor list `key` (`layers`, `manifests`) of a manifest or index: a list of
    objects with a string digest, else a RegistryError."""
    found = document.get(key) or []
    if not isinstance(found, list):
        raise RegistryError(f"{what}: `{key}` is not a list")
    for n, item in enumerate(found):
        if not isinstance(item, dict) or not isinstance(item.get("digest"), str):
            raise RegistryError(f"{what}: `{key}` item {n} is not a descriptor with a digest")
    return found


def _bounded(resp: httpx.Response, limit: int, what: str) -> bytes:
    """Read a streamed response body, refusing one larger than `limit` bytes (transport
    errors propagate as httpx errors)."""
    chunks, size = [], 0
    try:
        for chunk in resp.iter_bytes():
            size += len(chunk)
            if size > limit:
                raise RegistryError(f"{what} larger than {limit} bytes")
            chunks.append(chunk)
    finally:
        resp.close()
    return b"".join(chunks)
