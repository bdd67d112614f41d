"""Vulnerability reports: Trivy JSON, Grype JSON, or either inside a cosign `vuln`
attestation predicate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from c4guard.supplychain.attestations import EvidenceError, reads_evidence
from c4guard.supplychain.policy import SEVERITY_RANK, VulnerabilityRule

_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class Vulnerability:
    id: str
    severity: str  # lower case; "unknown" when the scanner gave none
    cvss: float | None
    package: str

    def describe(self) -> str:
        score = f", CVSS {self.cvss}" if self.cvss is not None else ""
        return f"{self.id} in {self.package} ({self.severity}{score})"


@dataclass(frozen=True)
class VulnReport:
    scanner: str
    vulnerabilities: tuple[Vulnerability, ...]
    digests: frozenset[str]

    def worst(self) -> Vulnerability | None:
        return max(self.vulnerabilities, key=_rank, default=None)


def looks_like_vuln_report(data: Any) -> bool:
    """Whether parsed JSON is a Trivy or Grype report, or a cosign vuln predicate."""
    return isinstance(data, dict) and (
        ("Results" in data and "SchemaVersion" in data)
        or ("matches" in data and "descriptor" in data)
        or isinstance(data.get("scanner"), dict)
    )


@reads_evidence("vulnerability report")
def read_vuln_report(data: dict[str, Any]) -> VulnReport:
    """A Trivy or Grype JSON report, bare or as a cosign vuln predicate's `scanner.result`."""
    scanner = data.get("scanner")
    if isinstance(scanner, dict) and isinstance(scanner.get("result"), dict):
        data = scanner["result"]
    if "Results" in data and "SchemaVersion" in data:
        return _trivy(data)
    if "matches" in data:
        return _grype(data)
    raise EvidenceError("not a Trivy or Grype JSON report")


def over_ceiling(report: VulnReport, rule: VulnerabilityRule) -> list[Vulnerability]:
    """Vulnerabilities above the rule's severity or CVSS ceiling, worst first."""
    ignored = set(rule.ignore)
    limit = SEVERITY_RANK[rule.max_severity] if rule.max_severity else None
    over = [
        v
        for v in report.vulnerabilities
        if v.id not in ignored
        and (
            (limit is not None and SEVERITY_RANK.get(v.severity, -1) > limit)
            or (rule.max_cvss is not None and v.cvss is not None and v.cvss > rule.max_cvss)
        )
    ]
    return sorted(over, key=_rank, reverse=True)


def _rank(v: Vulnerability) -> tuple[int, float]:
    return SEVERITY_RANK.get(v.severity, -1), v.cvss if v.cvss is not None else -1.0


def _trivy(data: dict[str, Any]) -> VulnReport:
    found = []
    for result in _dicts(data.get("Results")):
        for v in _dicts(result.get("Vulnerabilities")):
            scores = [
                s.get("V3Score") for s in (v.get("CVSS") or {}).values() if isinstance(s, dict)
            ]
            found.append(
                Vulnerability(
                    str(v.get("VulnerabilityID", "?")),
                    _severity(v.get("Severity")),
                    _max_score(scores),
                    str(v.get("PkgName", "?")),
                )
            )
    metadata = data.get("Metadata") or {}
    digests = {
        m
        for ref in metadata.get("RepoDigests") or []
        if isinstance(ref, str)
        for m in _DIGEST.findall(ref)
    }
    return VulnReport("trivy", tuple(found), frozenset(digests))


def _grype(data: dict[str, Any]) -> VulnReport:
    found = []
    for match in _dicts(data.get("matches")):
        v = match.get("vulnerability") or {}
        scores = [(c.get("metrics") or {}).get("baseScore") for c in _dicts(v.get("cvss"))]
        found.append(
            Vulnerability(
                str(v.get("id", "?")),
                _severity(v.get("severity")),
                _max_score(scores),
                str((match.get("artifact") or {}).get("name", "?")),
            )
        )
    target = (data.get("source") or {}).get("target") or {}
    refs = (
        [target.get("manifestDigest"), *(target.get("repoDigests") or [])]
        if isinstance(target, dict)
        else []
    )
    digests = {m for ref in refs if isinstance(ref, str) for m in _DIGEST.findall(ref)}
    return VulnReport("grype", tuple(found), frozenset(digests))


def _dicts(items: Any) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _severity(value: Any) -> str:
    text = str(value or "unknown").lower()
    return text if text in SEVERITY_RANK else "unknown"


def _max_score(scores: list[Any]) -> float | None:
    numbers = [float(s) for s in scores if isinstance(s, int | float)]
    return max(numbers, default=None)
