"""SBOMs: CycloneDX (JSON or XML) and SPDX 2.3 JSON — format, component count, and the
artifact digest the SBOM says it describes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeXml
from defusedxml import DefusedXmlException

from c4guard.supplychain.attestations import EvidenceError, load_json, reads_evidence

MAX_SBOM_BYTES = 64 << 20
MAX_NESTING = 64
_DIGEST = re.compile(r"sha256(?::|%3A)([0-9a-f]{64})", re.IGNORECASE)
_HEX64 = re.compile(r"[0-9a-f]{64}", re.IGNORECASE)


@dataclass(frozen=True)
class SbomSummary:
    """What the verifier needs from an SBOM."""

    format: str
    spec_version: str
    subject: str
    components: int
    digests: frozenset[str]  # `sha256:<hex>` named for the described artifact


def looks_like_sbom(data: Any) -> bool:
    """Whether parsed JSON is a CycloneDX or SPDX document."""
    return isinstance(data, dict) and (
        data.get("bomFormat") == "CycloneDX" or str(data.get("spdxVersion", "")).startswith("SPDX-")
    )


@reads_evidence("SBOM")
def read_sbom(data: bytes | dict[str, Any]) -> SbomSummary:
    """An SBOM from bytes (JSON or CycloneDX XML) or an already parsed JSON object."""
    if isinstance(data, bytes):
        if data.lstrip().startswith(b"<") and len(data) <= MAX_SBOM_BYTES:
            return _cyclonedx_xml(data)
        data = load_json(data, "SBOM", MAX_SBOM_BYTES)
    if isinstance(data, dict) and data.get("bomFormat") == "CycloneDX":
        return _cyclonedx_json(data)
    if isinstance(data, dict) and "spdxVersion" in data:
        return _spdx_json(data)
    raise EvidenceError("not a CycloneDX or SPDX document")


def _cyclonedx_json(bom: dict[str, Any]) -> SbomSummary:
    component = (bom.get("metadata") or {}).get("component") or {}
    if not isinstance(component, dict):
        raise EvidenceError("CycloneDX metadata.component is not an object")
    values = [component.get(k) for k in ("version", "purl", "bom-ref", "name")]
    hashes = [
        h.get("content")
        for h in component.get("hashes") or []
        if isinstance(h, dict) and h.get("alg") == "SHA-256"
    ]
    return SbomSummary(
        "CycloneDX",
        str(bom.get("specVersion", "")),
        str(component.get("name", "")),
        _count_nested(bom.get("components"), "components"),
        _digests(values, hashes),
    )


def _count_nested(items: Any, key: str, depth: int = 0) -> int:
    if not isinstance(items, list):
        return 0
    if depth > MAX_NESTING:
        raise EvidenceError("SBOM components nested too deeply")
    return sum(1 + _count_nested(i.get(key), key, depth + 1) for i in items if isinstance(i, dict))


def _spdx_json(doc: dict[str, Any]) -> SbomSummary:
    version = str(doc.get("spdxVersion"))
    if version not in ("SPDX-2.2", "SPDX-2.3"):
        raise EvidenceError(f"unsupported SPDX version {version} (SPDX 2.3 JSON is supported)")
    packages = [p for p in doc.get("packages") or [] if isinstance(p, dict)]
    described = set(doc.get("documentDescribes") or []) | {
        r.get("relatedSpdxElement")
        for r in doc.get("relationships") or []
        if isinstance(r, dict)
        and r.get("relationshipType") == "DESCRIBES"
        and r.get("spdxElementId") == "SPDXRef-DOCUMENT"
    }
    subjects = [p for p in packages if p.get("SPDXID") in described]
    values, hashes = [], []
    for p in subjects:
        values += [p.get("versionInfo"), p.get("name")]
        values += [
            r.get("referenceLocator") for r in p.get("externalRefs") or [] if isinstance(r, dict)
        ]
        hashes += [
            c.get("checksumValue")
            for c in p.get("checksums") or []
            if isinstance(c, dict) and c.get("algorithm") == "SHA256"
        ]
    name = str(subjects[0].get("name", "")) if subjects else str(doc.get("name", ""))
    return SbomSummary(
        "SPDX",
        version.removeprefix("SPDX-"),
        name,
        len(packages) - len(subjects),
        _digests(values, hashes),
    )


def _cyclonedx_xml(raw: bytes) -> SbomSummary:
    try:
        root = SafeXml.fromstring(raw, forbid_dtd=True)
    except (SafeXml.ParseError, DefusedXmlException) as exc:
        raise EvidenceError(f"invalid CycloneDX XML: {exc}") from exc
    ns = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    if _local(root.tag) != "bom" or not ns.startswith("http://cyclonedx.org/schema/bom/"):
        raise EvidenceError("XML document is not a CycloneDX bom")
    q = {"c": ns}
    component = root.find("c:metadata/c:component", q)
    values, hashes, name = [], [], ""
    if component is not None:
        name = component.findtext("c:name", "", q)
        values = [component.findtext(f"c:{k}", None, q) for k in ("version", "purl")]
        values.append(component.get("bom-ref"))
        hashes = [
            h.text for h in component.findall("c:hashes/c:hash", q) if h.get("alg") == "SHA-256"
        ]
    components = root.find("c:components", q)
    count = sum(1 for _ in _xml_components(components, q)) if components is not None else 0
    return SbomSummary("CycloneDX", ns.rpartition("/")[2], name, count, _digests(values, hashes))


def _xml_components(parent: Element, q: dict[str, str], depth: int = 0) -> Iterator[Element]:
    if depth > MAX_NESTING:
        raise EvidenceError("SBOM components nested too deeply")
    for child in parent.findall("c:component", q):
        yield child
        nested = child.find("c:components", q)
        if nested is not None:
            yield from _xml_components(nested, q, depth + 1)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _digests(values: Iterable[Any], sha256_hashes: Iterable[Any]) -> frozenset[str]:
    found = {
        f"sha256:{m.lower()}" for v in values if isinstance(v, str) for m in _DIGEST.findall(v)
    }
    found |= {
        f"sha256:{h.lower()}" for h in sha256_hashes if isinstance(h, str) and _HEX64.fullmatch(h)
    }
    return frozenset(found)
