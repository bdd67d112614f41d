"""Evidence about an artifact, gathered from local files and from an OCI registry (cosign's
`.sig`/`.att`/`.sbom` tags and OCI 1.1 referrers), classified by content."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from c4guard.errors import InvalidInput
from c4guard.supplychain.attestations import EvidenceError, load_json
from c4guard.supplychain.oci import Registry, cosign_tag
from c4guard.supplychain.sbom import looks_like_sbom
from c4guard.supplychain.vulns import looks_like_vuln_report

MAX_EVIDENCE_BYTES = 64 << 20
SIMPLE_SIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
COSIGN_SIGNATURE = "dev.cosignproject.cosign/signature"
DSSE_MEDIA = "application/vnd.dsse.envelope.v1+json"
BUNDLE_MEDIA = "application/vnd.dev.sigstore.bundle.v0.3+json"
BUNDLE_SIDECARS = (".sigstore.json", ".sigstore")

Kind = Literal["signature", "dsse", "bundle", "statement", "sbom", "vulns"]


class EvidenceInputError(InvalidInput):
    """An evidence file that cannot be read or is of no known kind."""


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence as found, before any verification.

    `signature`: `raw` is what was signed (a cosign simple-signing payload, or the artifact
    file itself); `dsse`/`bundle`: `raw` is the envelope or bundle JSON; `statement`, `sbom`,
    `vulns`: `raw` is the document, signed only by `signatures` or `bundle` beside it."""

    origin: str
    kind: Kind
    raw: bytes
    signatures: tuple[tuple[str, bytes], ...] = ()
    bundle: bytes | None = None


def classify(origin: str, raw: bytes) -> Evidence:
    """What a JSON or XML document is: DSSE envelope, Sigstore bundle, in-toto statement,
    SBOM or vulnerability report."""
    if raw.lstrip().startswith(b"<"):
        return Evidence(origin, "sbom", raw)  # CycloneDX XML is the only XML evidence
    try:
        data = load_json(raw, "evidence", MAX_EVIDENCE_BYTES)
    except EvidenceError as exc:
        raise EvidenceInputError(f"{origin}: not JSON or XML evidence: {exc}") from exc
    if isinstance(data, dict):
        if {"payload", "payloadType", "signatures"} <= data.keys():
            return Evidence(origin, "dsse", raw)
        if str(data.get("mediaType", "")).startswith("application/vnd.dev.sigstore.bundle"):
            return Evidence(origin, "bundle", raw)
        if "_type" in data and "predicateType" in data:
            return Evidence(origin, "statement", raw)
        if looks_like_sbom(data):
            return Evidence(origin, "sbom", raw)
        if looks_like_vuln_report(data):
            return Evidence(origin, "vulns", raw)
    raise EvidenceInputError(
        f"{origin}: not a DSSE envelope, Sigstore bundle, in-toto "
        "statement, SBOM or vulnerability report"
    )


# -- local files --------------------------------------------------------------------------
def from_file(path: Path) -> list[Evidence]:
    """Evidence in one file: `.intoto.jsonl` (one envelope a line), a cosign `sign-blob`
    signature (`.sig`, over the artifact), or a JSON/XML document with optional `X.sig` or
    `X.sigstore.json` signing it."""
    raw = _read(path)
    if path.name.endswith(".jsonl"):
        return [
            classify(f"{path}:{n}", line.encode())
            for n, line in enumerate(raw.decode(errors="replace").splitlines(), 1)
            if line.strip()
        ]
    if path.suffix == ".sig":
        return [Evidence(str(path), "signature", b"", signatures=(("", _unbase64(raw)),))]
    found = classify(str(path), raw)
    if found.kind in ("dsse", "bundle"):
        return [found]
    sig, bundle = sidecar_signatures(path)
    return [Evidence(found.origin, found.kind, raw, sig, bundle)]


def sidecar_signatures(path: Path) -> tuple[tuple[tuple[str, bytes], ...], bytes | None]:
    """A file's detached signatures: `X.sig` (base64) and `X.sigstore.json` bundle."""
    sig_path = path.with_name(path.name + ".sig")
    sigs = (("", _unbase64(_read(sig_path))),) if sig_path.is_file() else ()
    bundle = next(
        (_read(b) for b in (path.with_name(path.name + s) for s in BUNDLE_SIDECARS) if b.is_file()),
        None,
    )
    return sigs, bundle


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_EVIDENCE_BYTES:
            raise EvidenceInputError(f"{path}: larger than {MAX_EVIDENCE_BYTES} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise EvidenceInputError(f"{path}: cannot read: {exc.strerror}") from exc


def _unbase64(raw: bytes) -> bytes:
    try:
        return base64.b64decode(raw.strip(), validate=True)
    except binascii.Error:
        return raw  # a raw (binary) signature


# -- registry -----------------------------------------------------------------------------
def from_registry(registry: Registry, repository: str, digest: str) -> Iterator[Evidence]:
    """Signatures and attestations attached to `digest` by cosign's tags and as referrers."""
    for suffix in ("sig", "att", "sbom"):
        tag = cosign_tag(digest, suffix)
        manifest = registry.manifest(repository, tag)
        if manifest is not None:
            yield from _layers(registry, repository, manifest.data, f"{repository}:{tag}")
    for descriptor in registry.referrers(repository, digest):
        origin = f"{repository}@{descriptor.get('digest')} (referrer)"
        manifest = registry.manifest(repository, str(descriptor.get("digest")))
        if manifest is not None:
            yield from _layers(registry, repository, manifest.data, origin)


def _layers(registry: Registry, repository: str, manifest: dict, origin: str) -> Iterator[Evidence]:
    for n, layer in enumerate(manifest.get("layers") or []):
        where = f"{origin} layer {n}"
        content = registry.blob(repository, str(layer.get("digest")))
        annotations = layer.get("annotations") or {}
        if layer.get("mediaType") == SIMPLE_SIGNING:
            sig = annotations.get(COSIGN_SIGNATURE)
            sigs = (("", _unbase64(sig.encode())),) if sig else ()
            yield Evidence(where, "signature", content, sigs)
        else:
            try:
                yield classify(where, content)
            except EvidenceInputError:
                continue  # another tool's artifact (e.g. a notation signature): not ours
