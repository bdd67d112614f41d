"""`verify_artifact`: judge one artifact (OCI reference, local file or model directory)
against a trust policy, from the evidence in its registry and in local files."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sigstore.models import InvalidBundle

from c4guard.supplychain import evidence as ev
from c4guard.supplychain.assessment import read_level
from c4guard.supplychain.attestations import (
    IN_TOTO_PAYLOAD_TYPE,
    EvidenceError,
    Statement,
    normalize_repository,
    parse_envelope,
    parse_statement,
    read_provenance,
)
from c4guard.supplychain.models import verify_model
from c4guard.supplychain.oci import Reference, Registry, RegistryError, docker_credentials
from c4guard.supplychain.policy import (
    ArtifactPolicy,
    AssessmentRule,
    ModelRule,
    ProvenanceRule,
    Rule,
    SbomRule,
    TrustPolicy,
    VulnerabilityRule,
)
from c4guard.supplychain.sbom import read_sbom
from c4guard.supplychain.signatures import (
    UNSIGNED,
    SignerError,
    TrustedSigners,
    Verification,
    parse_bundle,
)
from c4guard.supplychain.verdict import Check, Verdict, decide, error
from c4guard.supplychain.vulns import over_ceiling, read_vuln_report

MAX_SIGNED_FILE_BYTES = 256 << 20  # larger files are judged by their digest (attestations)


@dataclass(frozen=True)
class RegistryOptions:
    """How to reach registries: docker config.json for credentials, a CA bundle, plain HTTP,
    and the timeout of each registry request in seconds."""

    docker_config: Path | None = None
    ca_file: Path | None = None
    plain_http: bool = False
    timeout: float = 30.0

    def connect(self, host: str) -> Registry:
        return Registry(
            host,
            credentials=docker_credentials(host, self.docker_config),
            plain_http=self.plain_http,
            ca_file=self.ca_file,
            timeout=self.timeout,
        )


@dataclass(frozen=True)
class Subject:
    """The artifact being judged: its policy name, kind and digest."""

    name: str
    kind: Literal["oci", "file", "model"]
    digest: str | None = None
    content: bytes | None = None
    path: Path | None = None
    oci: Reference | None = None


@dataclass
class Examined:
    """One piece of evidence after its signature check, routed to the rule it serves."""

    origin: str
    verification: Verification
    kind: str  # signature, provenance, sbom, vulnerabilities, assessment, other
    statement: Statement | None = None
    document: Any = None  # SBOM bytes/dict or vulnerability report dict
    payload: bytes | None = None  # cosign simple-signing payload
    problem: str | None = None


@dataclass
class Context:
    subject: Subject
    policy: TrustPolicy
    entry: ArtifactPolicy
    found: list[Examined] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Examined]:
        return [e for e in self.found if e.kind == kind]


def policy_digest(policy: TrustPolicy) -> str:
    """A digest of the policy's content; with the artifact digest, a verdict cache key."""
    return "sha256:" + hashlib.sha256(policy.model_dump_json().encode()).hexdigest()


def verify_artifact(
    reference: str,
    policy: TrustPolicy,
    *,
    evidence_files: Iterable[Path] = (),
    registry: RegistryOptions | None = None,
    offline: bool = False,
    signers: TrustedSigners | None = None,
    local_paths: bool = True,
) -> Verdict:
    """Judge `reference` — `registry/repo[:tag][@sha256:…]`, a local file, or a model
    directory — against `policy`. Evidence comes from the registry (unless `offline`) and
    from `evidence_files`. For a digest reference and the same policy, registry content and
    files the verdict is the same, so callers may cache it by (digest, policy_digest).
    `local_paths=False` reads `reference` as an image reference only (the gate's case)."""
    fields: dict[str, Any] = {"policy_digest": policy_digest(policy)}
    try:
        subject = _subject(reference, local_paths)
    except ValueError as exc:
        return error(reference, str(exc), **fields)
    entry = policy.entry_for(subject.name)
    if entry is None:
        return decide(
            reference,
            [
                Check(
                    rule="policy",
                    passed=False,
                    code="no-policy-entry",
                    message=f"no trust policy entry matches {subject.name}",
                )
            ],
            **fields,
        )
    fields["policy_entry"] = entry.match
    ctx = Context(subject, policy, entry)
    try:
        checks = _prepare(
            ctx,
            list(evidence_files),
            registry or RegistryOptions(),
            offline,
            signers or TrustedSigners(policy),
        )
    except (ev.EvidenceInputError, RegistryError, EvidenceError, SignerError) as exc:
        if getattr(exc, "code", None) == "digest-mismatch":
            return decide(
                reference,
                [Check(rule="reference", passed=False, code="digest-mismatch", message=str(exc))],
                **fields,
            )
        return error(reference, str(exc), digest=ctx.subject.digest, **fields)
    if checks and not checks[-1].passed:
        return decide(reference, checks, digest=ctx.subject.digest, **fields)
    checks += [
        RULES[name](ctx, rule, entry.signers_for(rule)) for name, rule in entry.rules().items()
    ]
    return decide(reference, checks, digest=ctx.subject.digest, **fields)


def _subject(reference: str, local_paths: bool) -> Subject:
    path = Path(reference)
    if local_paths and path.is_dir():
        return Subject(reference, "model", path=path)
    if local_paths and path.is_file():
        digest, content = _hash_file(path)
        return Subject(reference, "file", digest, content, path)
    oci = Reference.parse(reference)
    return Subject(oci.name, "oci", oci.digest, oci=oci)


def _hash_file(path: Path) -> tuple[str, bytes | None]:
    """A file's digest, and its content when small enough to check a detached signature."""
    sha, kept, size = hashlib.sha256(), [], 0
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                sha.update(chunk)
                size += len(chunk)
                if size <= MAX_SIGNED_FILE_BYTES:
                    kept.append(chunk)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror}") from exc
    content = b"".join(kept) if size <= MAX_SIGNED_FILE_BYTES else None
    return "sha256:" + sha.hexdigest(), content


def _prepare(
    ctx: Context,
    files: list[Path],
    options: RegistryOptions,
    offline: bool,
    trusted: TrustedSigners,
) -> list[Check]:
    """Resolve the digest and gather evidence; returns the reference check (a failing one
    ends the verification)."""
    checks: list[Check] = []
    found: list[ev.Evidence] = []
    subject = ctx.subject
    if subject.oci is not None:
        checks.append(_reference_check(ctx.entry, subject.oci))
        if not checks[-1].passed:
            return checks
        if offline:
            if subject.digest is None:
                raise EvidenceError("offline verification needs a digest reference (@sha256:…)")
        else:
            with options.connect(subject.oci.registry) as registry:
                found += _from_registry(ctx, registry)
    elif subject.kind == "file" and subject.path is not None:
        sigs, bundle = ev.sidecar_signatures(subject.path)
        found += [ev.Evidence(f"{subject.path}.sig", "signature", b"", sigs)] if sigs else []
        found += [ev.Evidence(f"{subject.path} bundle", "bundle", bundle)] if bundle else []
    for path in files:
        found += ev.from_file(path)
        ctx.sources.append(str(path))
    ctx.found = [_examine(item, trusted, subject.content) for item in found]
    return checks


def _reference_check(entry: ArtifactPolicy, ref: Reference) -> Check:
    if ref.digest:
        return Check(rule="reference", passed=True, message=f"pinned by digest {ref.digest}")
    if entry.require_digest:
        return Check(
            rule="reference",
            passed=False,
            code="tag-only-reference",
            message=f"tag-only reference: {ref} has no digest, and the policy "
            f"entry '{entry.match}' requires one (@sha256:…)",
        )
    return Check(
        rule="reference", passed=True, message=f"tag {ref.tag or 'latest'} resolved in the registry"
    )


def _from_registry(ctx: Context, registry: Registry) -> list[ev.Evidence]:
    oci = ctx.subject.oci
    assert oci is not None
    manifest = registry.manifest(oci.repository, oci.digest or oci.tag or "latest")
    if manifest is None:
        raise RegistryError(f"{oci} not found in the registry")
    ctx.subject = Subject(ctx.subject.name, "oci", manifest.digest, oci=oci)
    ctx.sources.append(f"registry {oci.registry}/{oci.repository}")
    return list(ev.from_registry(registry, oci.repository, manifest.digest))


# -- examining evidence -------------------------------------------------------------------
def _examine(item: ev.Evidence, trusted: TrustedSigners, artifact: bytes | None) -> Examined:
    """Check an evidence item's signature and read what it says."""
    if item.kind == "signature":
        data = item.raw or artifact
        if data is None:
            return Examined(
                item.origin,
                UNSIGNED,
                "signature",
                problem="a detached signature, but the artifact is not a local file",
            )
        return Examined(
            item.origin,
            trusted.verify_signatures(data, item.signatures),
            "signature",
            payload=item.raw or None,
        )
    if item.kind == "dsse":
        envelope = parse_envelope(json.loads(item.raw))
        verification = trusted.verify_signatures(envelope.pae(), envelope.signatures)
        return _statement_evidence(
            item.origin, verification, envelope.payload_type, envelope.payload
        )
    if item.kind == "bundle":
        return _bundle_evidence(item, trusted, artifact)
    verification = _detached(item, trusted)
    if item.kind == "statement":
        return _statement_evidence(item.origin, verification, IN_TOTO_PAYLOAD_TYPE, item.raw)
    if item.kind == "sbom":
        return Examined(item.origin, verification, "sbom", document=item.raw)
    return Examined(item.origin, verification, "vulnerabilities", document=json.loads(item.raw))


def _detached(item: ev.Evidence, trusted: TrustedSigners) -> Verification:
    """The signature a document carries beside it (`X.sig`, `X.sigstore.json`), if any."""
    if item.bundle is not None:
        try:
            return trusted.verify_bundle(parse_bundle(item.bundle), item.raw)[0]
        except InvalidBundle as exc:
            return Verification(frozenset(), "invalid-bundle", f"unusable Sigstore bundle: {exc}")
    if item.signatures:
        return trusted.verify_signatures(item.raw, item.signatures)
    return UNSIGNED


def _bundle_evidence(
    item: ev.Evidence, trusted: TrustedSigners, artifact: bytes | None
) -> Examined:
    data = json.loads(item.raw)
    envelope = data.get("dsseEnvelope")
    try:
        bundle = parse_bundle(item.raw)
    except InvalidBundle as exc:
        failed = Verification(
            frozenset(), "invalid-bundle", f"Sigstore bundle cannot be verified offline: {exc}"
        )
        if isinstance(envelope, dict):
            env = parse_envelope(envelope)
            return _statement_evidence(item.origin, failed, env.payload_type, env.payload)
        return Examined(item.origin, failed, "signature")
    if isinstance(envelope, dict):
        verification, payload_type, payload = trusted.verify_bundle(bundle, None)
        if not verification.signers:
            env = parse_envelope(envelope)
            payload_type, payload = env.payload_type, env.payload
        return _statement_evidence(item.origin, verification, payload_type, payload)
    if artifact is None:
        return Examined(
            item.origin,
            UNSIGNED,
            "signature",
            problem="a message-signature bundle, but the artifact is not a local file",
        )
    return Examined(item.origin, trusted.verify_bundle(bundle, artifact)[0], "signature")


def _statement_evidence(
    origin: str, verification: Verification, payload_type: str, payload: bytes
) -> Examined:
    if payload_type != IN_TOTO_PAYLOAD_TYPE:
        return Examined(
            origin,
            verification,
            "other",
            problem=f"payload type {payload_type} is not an in-toto statement",
        )
    try:
        statement = parse_statement(payload)
    except EvidenceError as exc:
        return Examined(origin, verification, "other", problem=str(exc))
    return Examined(
        origin, verification, statement.kind or "other", statement, document=statement.predicate
    )


# -- rules ----------------------------------------------------------------------------------
Failure = tuple[int, str, str]  # (stage reached, code, message)
ContentCheck = Callable[[Examined], "Failure | dict[str, Any]"]
UNSIGNED_CODES = {
    "sbom": ("unsigned-sbom", "unsigned SBOM"),
    "vulnerabilities": ("unsigned-vulnerability-report", "unsigned vulnerability report"),
}


def _judge(
    ctx: Context,
    rule_name: str,
    kind: str,
    allowed: list[str],
    content: ContentCheck,
    missing: tuple[str, str],
) -> Check:
    """Pass on the first candidate that a trusted signer signed and whose content holds;
    else fail with the reason of the candidate that got furthest."""
    failures: list[Failure] = []
    for found in ctx.of_kind(kind):
        signer, code, message = found.verification.accepted_by(allowed)
        if signer is None:
            code, message = _unsigned(kind, code, message)
            failures.append((1, code or "unsigned", f"{message} ({found.origin})"))
            continue
        if found.problem:
            failures.append((2, "invalid-evidence", f"{found.problem} ({found.origin})"))
            continue
        result = content(found)
        if isinstance(result, tuple):
            stage, code, message = result
            failures.append((stage, code, f"{message} ({found.origin})"))
            continue
        return Check(
            rule=rule_name,
            passed=True,
            message=f"{found.verification.message} ({found.origin})",
            evidence={"signer": signer, "origin": found.origin, **result},
        )
    if not failures:
        where = ", ".join(ctx.sources) or "no evidence source"
        return Check(
            rule=rule_name,
            passed=False,
            code=missing[0],
            message=f"{missing[1]} (looked in: {where})",
        )
    stage, code, message = max(failures, key=lambda f: f[0])
    return Check(
        rule=rule_name,
        passed=False,
        code=code,
        message=message,
        evidence={"rejected": [f[2] for f in failures]},
    )


def _unsigned(kind: str, code: str | None, message: str) -> tuple[str | None, str]:
    if code == "unsigned" and kind in UNSIGNED_CODES:
        name, words = UNSIGNED_CODES[kind]
        return name, f"{words}: it carries no signature"
    return code, message


def _subject_matches(ctx: Context, found: Examined) -> Failure | None:
    """An attestation must be about this artifact: its subject names the digest."""
    if found.statement is None:
        return None
    digest = ctx.subject.digest
    named = found.statement.subject_digests()
    if digest not in named:
        return (
            2,
            "digest-mismatch",
            f"digest mismatch: the {found.kind} attestation is about "
            f"{', '.join(named) or 'no sha256 digest'}, not {digest}",
        )
    return None


def check_signature(ctx: Context, rule: Rule, allowed: list[str]) -> Check:
    def content(found: Examined) -> Failure | dict[str, Any]:
        if found.payload is None:  # a signature over the artifact file itself
            return {"digest": ctx.subject.digest}
        try:
            signed = json.loads(found.payload)["critical"]["image"]["docker-manifest-digest"]
        except (ValueError, KeyError, TypeError):
            return (2, "invalid-evidence", "signature payload is not cosign simple signing")
        if signed != ctx.subject.digest:
            return (
                2,
                "digest-mismatch",
                f"digest mismatch: the signature is for {signed}, not {ctx.subject.digest}",
            )
        return {"digest": signed}

    return _judge(
        ctx,
        "signature",
        "signature",
        allowed,
        content,
        ("missing-signature", "missing signature: no signature found"),
    )


def check_provenance(ctx: Context, rule: ProvenanceRule, allowed: list[str]) -> Check:
    def content(found: Examined) -> Failure | dict[str, Any]:
        assert found.statement is not None
        if (mismatch := _subject_matches(ctx, found)) is not None:
            return mismatch
        try:
            prov = read_provenance(found.statement)
        except EvidenceError as exc:
            return (3, "invalid-evidence", str(exc))
        if not _glob(prov.builder_id, rule.builder_id):
            return (
                3,
                "wrong-builder-id",
                f"wrong builder id: provenance names "
                f"{prov.builder_id!r}, the policy requires {rule.builder_id!r}",
            )
        if rule.source_repository and (prov.source_repository or "") != normalize_repository(
            rule.source_repository
        ):
            return (
                3,
                "wrong-source-repository",
                f"wrong source repository: provenance names "
                f"{prov.source_repository!r}, the policy requires {rule.source_repository!r}",
            )
        if rule.source_ref and not _glob(prov.source_ref, rule.source_ref):
            return (
                3,
                "wrong-source-ref",
                f"wrong source ref: provenance names "
                f"{prov.source_ref!r}, the policy requires {rule.source_ref!r}",
            )
        return {
            "slsa_version": prov.slsa_version,
            "builder_id": prov.builder_id,
            "source_repository": prov.source_repository,
            "source_ref": prov.source_ref,
        }

    return _judge(
        ctx,
        "provenance",
        "provenance",
        allowed,
        content,
        ("missing-attestation", "missing attestation: no SLSA provenance found"),
    )


def check_sbom(ctx: Context, rule: SbomRule, allowed: list[str]) -> Check:
    def content(found: Examined) -> Failure | dict[str, Any]:
        if (mismatch := _subject_matches(ctx, found)) is not None:
            return mismatch
        try:
            sbom = read_sbom(found.document)
        except EvidenceError as exc:
            return (3, "invalid-sbom", f"invalid SBOM: {exc}")
        if not sbom.digests:
            return (
                3,
                "sbom-names-no-digest",
                f"the SBOM names no artifact digest (subject {sbom.subject!r})",
            )
        if ctx.subject.digest not in sbom.digests:
            return (
                3,
                "sbom-for-another-digest",
                f"SBOM for another digest: it describes "
                f"{', '.join(sorted(sbom.digests))}, not {ctx.subject.digest}",
            )
        if sbom.components < rule.min_components:
            return (
                3,
                "too-few-components",
                f"the SBOM lists {sbom.components} components, "
                f"the policy requires at least {rule.min_components}",
            )
        return {
            "format": sbom.format,
            "spec_version": sbom.spec_version,
            "subject": sbom.subject,
            "components": sbom.components,
        }

    return _judge(
        ctx,
        "sbom",
        "sbom",
        allowed,
        content,
        ("missing-attestation", "missing attestation: no SBOM found"),
    )


def check_vulnerabilities(ctx: Context, rule: VulnerabilityRule, allowed: list[str]) -> Check:
    def content(found: Examined) -> Failure | dict[str, Any]:
        if (mismatch := _subject_matches(ctx, found)) is not None:
            return mismatch
        try:
            report = read_vuln_report(found.document)
        except EvidenceError as exc:
            return (3, "invalid-vulnerability-report", f"invalid vulnerability report: {exc}")
        if found.statement is None and ctx.subject.digest not in report.digests:
            return (
                3,
                "vulnerability-report-for-another-digest",
                "the vulnerability report "
                f"names {', '.join(sorted(report.digests)) or 'no digest'}, "
                f"not {ctx.subject.digest}",
            )
        worst = report.worst()
        summary = {
            "scanner": report.scanner,
            "vulnerabilities": len(report.vulnerabilities),
            "worst": worst.describe() if worst else None,
        }
        over = over_ceiling(report, rule)
        if over:
            ceiling = ", ".join(
                filter(
                    None,
                    [
                        f"max severity {rule.max_severity}" if rule.max_severity else None,
                        f"max CVSS {rule.max_cvss}" if rule.max_cvss is not None else None,
                    ],
                )
            )
            return (
                3,
                "vulnerability-over-ceiling",
                f"vulnerability over the ceiling "
                f"({ceiling}): {len(over)} found, worst {over[0].describe()}",
            )
        return summary

    return _judge(
        ctx,
        "vulnerabilities",
        "vulnerabilities",
        allowed,
        content,
        ("missing-attestation", "missing attestation: no vulnerability report found"),
    )


def check_assessment(ctx: Context, rule: AssessmentRule, allowed: list[str]) -> Check:
    def content(found: Examined) -> Failure | dict[str, Any]:
        assert found.statement is not None
        if (mismatch := _subject_matches(ctx, found)) is not None:
            return mismatch
        try:
            level = read_level(found.statement.predicate)
        except EvidenceError as exc:
            return (3, "invalid-assessment", f"invalid c4guard assessment: {exc}")
        if level < rule.min_level:
            return (
                3,
                "assessment-below-level",
                f"the c4guard assessment met level {level}, the policy requires {rule.min_level}",
            )
        report = found.statement.predicate.get("report") or {}
        return {"level_met": level, "report_digest": (report.get("digest") or {}).get("sha256")}

    return _judge(
        ctx,
        "assessment",
        "assessment",
        allowed,
        content,
        ("missing-attestation", "missing attestation: no c4guard assessment found"),
    )


def check_model(ctx: Context, rule: ModelRule, allowed: list[str]) -> Check:
    subject = ctx.subject
    if subject.kind != "model" or subject.path is None:
        return Check(
            rule="model",
            passed=False,
            code="not-a-model",
            message=f"{subject.name} is not a model directory",
        )
    signers = {name: ctx.policy.signers[name] for name in allowed}
    signature = subject.path / rule.signature
    signer, code, message = verify_model(subject.path, signature, signers)
    return Check(
        rule="model",
        passed=signer is not None,
        code=code,
        message=message,
        evidence={"signer": signer, "signature": str(signature)} if signer else {},
    )


def _glob(value: str | None, pattern: str) -> bool:
    return value is not None and fnmatch.fnmatchcase(value, pattern)


RULES: dict[str, Callable[[Context, Any, list[str]], Check]] = {
    "signature": check_signature,
    "provenance": check_provenance,
    "sbom": check_sbom,
    "vulnerabilities": check_vulnerabilities,
    "assessment": check_assessment,
    "model": check_model,
}
