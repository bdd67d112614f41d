"""Secret detection over every file the scan reads (AISVS 4.4.5; private keys also 4.4.2).

Each secret becomes a `Resource` of origin "secret" that carries only the redacted form and
the keyed fingerprint, never the secret itself."""

from __future__ import annotations

from c4guard.model import Domain, Location, Origin, Resource
from c4guard.secrets import SecretMatch, scan_bytes
from c4guard.sources.handlers import ContentScanner, FileContext
from c4guard.sources.result import FileResult

ORIGIN = Origin.SECRET
DOMAIN = Domain.FILES
KIND = "EmbeddedSecret"
NOT_SCANNED = {
    "too_large": "file over the secret-scan size limit",
    "unreadable": "file unreadable for the secret scan",
}


def secret_resource(
    match: SecretMatch, location: Location, kind: str = KIND, origin: str = ORIGIN, **extra: object
) -> Resource:
    """A resource describing one secret, redacted."""
    body = {key: value for key, value in match.to_dict().items() if key != "path"}
    body.update(extra)
    return Resource(
        origin=origin,
        kind=kind,
        name=f"{match.rule_id}@{match.fingerprint[:12]}",
        namespace=None,
        body=body,
        location=location,
        start_line=location.line,
        end_line=location.line,
    )


def scan_content(data: bytes, context: FileContext) -> FileResult:
    scan = scan_bytes(data, context.display)
    result = FileResult()
    if scan.status == "scanned":
        result.domains.add(DOMAIN)
        result.resources = [
            secret_resource(m, Location(context.display, m.line)) for m in scan.matches
        ]
    elif scan.status in NOT_SCANNED:
        result.skipped = NOT_SCANNED[scan.status]
    return result


SCANNER = ContentScanner("secrets", scan_content)
