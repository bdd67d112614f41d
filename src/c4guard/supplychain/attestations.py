"""DSSE envelopes, in-toto statements and SLSA provenance (v0.2 and v1)."""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from securesystemslib.dsse import Envelope as SslibEnvelope
from securesystemslib.signer import Signer

from c4guard.errors import InvalidInput

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPES = ("https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1")
STATEMENT_V1 = STATEMENT_TYPES[1]
MAX_STATEMENT_BYTES = 32 << 20
P = ParamSpec("P")
T = TypeVar("T")

# predicate type prefixes, by the policy rule they serve
PREDICATE_KINDS = {
    "provenance": ("https://slsa.dev/provenance/",),
    "sbom": ("https://cyclonedx.org/bom", "https://spdx.dev/Document"),
    "vulnerabilities": ("https://cosign.sigstore.dev/attestation/vuln/",),
    "assessment": ("https://c4guard.dev/assessment/",),
}


class EvidenceError(InvalidInput):
    """Evidence that is malformed: not DSSE, not an in-toto statement, bad SLSA fields."""


def reads_evidence(what: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """For readers of untrusted documents: a field of an unexpected type (a list where an
    object belongs, a number for a string) becomes an EvidenceError naming `what`."""

    def wrap(func: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(func)
        def reader(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return func(*args, **kwargs)
            except (AttributeError, TypeError, KeyError, ValueError) as exc:
                raise EvidenceError(f"malformed {what}: {exc}") from exc

        return reader

    return wrap


def load_json(raw: bytes, what: str, limit: int) -> Any:
    """Parse JSON evidence, refusing documents over `limit` bytes or nested too deeply."""
    if len(raw) > limit:
        raise EvidenceError(f"{what} larger than {limit} bytes")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise EvidenceError(f"{what} is not JSON: {exc}") from exc


@dataclass(frozen=True)
class Envelope:
    """A DSSE envelope: payload type, payload and (keyid, signature) pairs."""

    payload_type: str
    payload: bytes
    signatures: tuple[tuple[str, bytes], ...]

    def pae(self) -> bytes:
        """The pre-authentication encoding that DSSE signatures sign."""
        return SslibEnvelope(self.payload, self.payload_type, {}).pae()


def parse_envelope(data: Any) -> Envelope:
    """A DSSE envelope from its JSON form (signatures with an empty keyid are kept)."""
    if not isinstance(data, dict) or not {"payload", "payloadType", "signatures"} <= data.keys():
        raise EvidenceError("not a DSSE envelope (needs payload, payloadType, signatures)")
    try:
        payload = base64.b64decode(data["payload"], validate=True)
        sigs = tuple(
            (str(s.get("keyid") or ""), base64.b64decode(s["sig"], validate=True))
            for s in data["signatures"]
        )
    except (binascii.Error, KeyError, TypeError, AttributeError) as exc:
        raise EvidenceError(f"malformed DSSE envelope: {exc}") from exc
    return Envelope(str(data["payloadType"]), payload, sigs)


def sign_envelope(
    payload: bytes, signer: Signer, payload_type: str = IN_TOTO_PAYLOAD_TYPE
) -> dict[str, Any]:
    """Sign `payload` into the JSON form of a DSSE envelope."""
    envelope = SslibEnvelope(payload, payload_type, {})
    envelope.sign(signer)
    return envelope.to_dict()


@dataclass(frozen=True)
class Statement:
    """An in-toto statement (v0.1 or v1)."""

    subjects: tuple[tuple[str, dict[str, str]], ...]
    predicate_type: str
    predicate: dict[str, Any]

    @property
    def kind(self) -> str | None:
        """The policy rule this statement serves (provenance, sbom, ...), if any."""
        for kind, prefixes in PREDICATE_KINDS.items():
            if self.predicate_type.startswith(prefixes):
                return kind
        return None

    def subject_digests(self) -> list[str]:
        """Subject digests as `sha256:<hex>` strings."""
        return [f"sha256:{d['sha256']}" for _, d in self.subjects if "sha256" in d]


def parse_statement(payload: bytes) -> Statement:
    """An in-toto statement from a DSSE payload or a JSON file."""
    data = load_json(payload, "statement", MAX_STATEMENT_BYTES)
    if not isinstance(data, dict) or data.get("_type") not in STATEMENT_TYPES:
        raise EvidenceError("not an in-toto statement (_type is not a Statement type)")
    subjects = data.get("subject")
    if (
        not isinstance(subjects, list)
        or not subjects
        or not all(isinstance(s, dict) and isinstance(s.get("digest"), dict) for s in subjects)
    ):
        raise EvidenceError("in-toto statement without a subject digest")
    predicate = data.get("predicate") or {}
    if not isinstance(data.get("predicateType"), str) or not isinstance(predicate, dict):
        raise EvidenceError("in-toto statement without predicateType or predicate object")
    return Statement(
        tuple((str(s.get("name", "")), s["digest"]) for s in subjects),
        data["predicateType"],
        predicate,
    )


def make_statement(
    subject_name: str, digest: str, predicate_type: str, predicate: dict[str, Any]
) -> bytes:
    """An in-toto v1 statement about one artifact digest (`sha256:<hex>`), as JSON bytes."""
    algorithm, _, value = digest.partition(":")
    statement = {
        "_type": STATEMENT_V1,
        "subject": [{"name": subject_name, "digest": {algorithm: value}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }
    return json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Provenance:
    """What the policy checks in SLSA provenance."""

    slsa_version: str
    builder_id: str | None
    source_repository: str | None
    source_ref: str | None


@reads_evidence("SLSA provenance")
def read_provenance(statement: Statement) -> Provenance:
    """Builder id and source of SLSA provenance v0.2 or v1."""
    p = statement.predicate
    if statement.predicate_type.startswith("https://slsa.dev/provenance/v0."):
        builder = _text(_get(p, "builder", "id"))
        uri = _get(p, "invocation", "configSource", "uri") or _first_uri(p.get("materials"))
        repo, ref = _split_git_uri(uri)
        return Provenance("0.2", builder, repo, ref)
    builder = _text(_get(p, "runDetails", "builder", "id"))
    workflow = _get(p, "buildDefinition", "externalParameters", "workflow")
    if isinstance(workflow, dict) and workflow.get("repository"):
        repo, ref = str(workflow["repository"]), _text(workflow.get("ref"))
        return Provenance("1", builder, normalize_repository(repo), ref)
    uri = _first_uri(_get(p, "buildDefinition", "resolvedDependencies"))
    repo, ref = _split_git_uri(uri)
    return Provenance("1", builder, repo, ref)


def normalize_repository(url: str) -> str:
    """`git+https://host/org/repo.git` and `https://host/org/repo` compare equal."""
    return url.removeprefix("git+").removesuffix("/").removesuffix(".git")


def _split_git_uri(uri: str | None) -> tuple[str | None, str | None]:
    """`git+https://host/org/repo@refs/tags/v1` -> (`https://host/org/repo`, `refs/tags/v1`)."""
    if not uri:
        return None, None
    scheme_end = uri.find("://")
    path_start = uri.find("/", scheme_end + 3 if scheme_end >= 0 else 0)
    at = uri.find("@", path_start) if path_start >= 0 else -1
    if at == -1:
        return normalize_repository(uri), None
    return normalize_repository(uri[:at]), uri[at + 1 :] or None


def _first_uri(items: Any) -> str | None:
    if isinstance(items, list) and items and isinstance(items[0], dict):
        return _text(items[0].get("uri"))
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
