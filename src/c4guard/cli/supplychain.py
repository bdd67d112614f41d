"""`c4guard verify` and `c4guard attest`.

The verification modules (sigstore, model-signing, cryptography) are imported when a command
runs, so that they do not slow down every other c4guard command."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from c4guard.audit.events import Event, default_actor
from c4guard.cli.recording import F, audit_option, receipt_line, record, trail_location
from c4guard.errors import InvalidInput

if TYPE_CHECKING:
    from c4guard.supplychain.verdict import Verdict
    from c4guard.supplychain.verifier import RegistryOptions

_PATH = click.Path(exists=True, dir_okay=False, path_type=Path)


def registry_options(func: F) -> F:
    """The options that say how to reach a registry."""
    func = click.option(
        "--plain-http",
        is_flag=True,
        help="Talk HTTP, not HTTPS, to the registry (loopback test registries).",
    )(func)
    func = click.option(
        "--registry-ca",
        type=_PATH,
        help="CA bundle (PEM) that signs the registry's TLS certificate.",
    )(func)
    return click.option(
        "--docker-config",
        type=_PATH,
        help="docker config.json with registry credentials "
        "[default: $DOCKER_CONFIG/config.json or ~/.docker/config.json]",
    )(func)


@click.command()
@click.argument("reference")
@click.option(
    "-p",
    "--policy",
    "policy_path",
    type=_PATH,
    required=True,
    help="Trust policy YAML (docs/verify.md).",
)
@click.option(
    "-e",
    "--evidence",
    "evidence",
    type=_PATH,
    multiple=True,
    help="Evidence file: DSSE envelope, .intoto.jsonl, Sigstore bundle, in-toto "
    "statement, SBOM, Trivy/Grype report, cosign .sig (repeatable).",
)
@click.option("--offline", is_flag=True, help="Do not contact the registry; use files only.")
@registry_options
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@audit_option
def verify(
    reference: str,
    policy_path: Path,
    evidence: tuple[Path, ...],
    offline: bool,
    plain_http: bool,
    registry_ca: Path | None,
    docker_config: Path | None,
    fmt: str,
    audit_location: str | None,
) -> None:
    """Verify REFERENCE (an OCI image reference, a file or a model directory) against a
    trust policy. Exit 0 allow, 1 deny, 2 error."""
    from c4guard.supplychain.policy import load_policy
    from c4guard.supplychain.verifier import RegistryOptions, verify_artifact

    policy = load_policy(policy_path)  # PolicyError: exit 2
    verdict = verify_artifact(
        reference,
        policy,
        evidence_files=evidence,
        offline=offline,
        registry=RegistryOptions(docker_config, registry_ca, plain_http),
    )
    if fmt == "json":
        click.echo(verdict.model_dump_json(indent=2))
    else:
        click.echo(render_text(verdict))
    location = trail_location(audit_location)
    if location is not False:
        event = Event("verify.verdict", verdict.model_dump(mode="json"), default_actor())
        click.echo(receipt_line(record(location, [event])), err=True)
    sys.exit(verdict.exit_code)


def render_text(verdict: Verdict) -> str:
    """A verdict for people: the decision, then one line per check."""
    entry = f" (policy entry {verdict.policy_entry!r})" if verdict.policy_entry else ""
    lines = [f"{verdict.decision.upper()}: {verdict.reference}{entry}"]
    if verdict.digest:
        lines.append(f"  digest {verdict.digest}")
    for check in verdict.checks:
        mark = "ok  " if check.passed else "FAIL"
        code = f" [{check.code}]" if check.code else ""
        lines.append(f"  {mark} {check.rule:<16}{code} {check.message}")
        details = {k: v for k, v in check.evidence.items() if k not in ("origin", "rejected")}
        if details:
            lines.append("       " + ", ".join(f"{k}={v}" for k, v in details.items()))
    lines += [f"  error: {message}" for message in verdict.errors]
    return "\n".join(lines)


@click.command()
@click.argument("report", type=_PATH)
@click.option(
    "-s",
    "--subject",
    required=True,
    help="What the assessment is about: an OCI reference (with @sha256 digest, or a "
    "tag resolved with --push) or a local file.",
)
@click.option(
    "-k",
    "--key",
    "key_path",
    type=_PATH,
    required=True,
    help="PEM private key to sign with (ECDSA P-256, Ed25519 or RSA).",
)
@click.option(
    "--key-password-env",
    metavar="VAR",
    help="Environment variable holding the private key's password.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the DSSE envelope here [default: stdout].",
)
@click.option(
    "--push",
    is_flag=True,
    help="Attach the attestation to the image in its registry (cosign .att tag).",
)
@click.option(
    "--referrer",
    is_flag=True,
    help="With --push: attach as an OCI 1.1 referrer instead of the cosign tag.",
)
@registry_options
def attest(
    report: Path,
    subject: str,
    key_path: Path,
    key_password_env: str | None,
    output: Path | None,
    push: bool,
    referrer: bool,
    plain_http: bool,
    registry_ca: Path | None,
    docker_config: Path | None,
) -> None:
    """Sign a `c4guard scan` JSON REPORT as an in-toto statement about SUBJECT, predicate
    type https://c4guard.dev/assessment/v1."""
    from c4guard.supplychain.assessment import PREDICATE_TYPE, assessment_predicate
    from c4guard.supplychain.attestations import make_statement, sign_envelope
    from c4guard.supplychain.signatures import load_signer
    from c4guard.supplychain.verifier import RegistryOptions

    password = os.environ.get(key_password_env, "").encode() if key_password_env else None
    options = RegistryOptions(docker_config, registry_ca, plain_http)
    try:
        signer = load_signer(key_path, password)
        predicate = assessment_predicate(report.read_bytes())
        name, digest = _attest_subject(subject, options if push else None)
        statement = make_statement(name, digest, PREDICATE_TYPE, predicate)
        envelope = json.dumps(sign_envelope(statement, signer)).encode()
        if push:
            where = _push_attestation(subject, digest, envelope, options, referrer)
            click.echo(f"attached {PREDICATE_TYPE} attestation to {where}", err=True)
    except ValueError as exc:  # SignerError, EvidenceError, RegistryError: exit 2 as they are
        raise InvalidInput(str(exc)) from exc
    if output:
        output.write_bytes(envelope + b"\n")
    elif not push:
        click.echo(envelope.decode())


def _attest_subject(subject: str, options: RegistryOptions | None) -> tuple[str, str]:
    """(name, digest) of what is attested: a local file's content, or an image."""
    from c4guard.supplychain.oci import Reference, RegistryError, sha256_digest

    path = Path(subject)
    if path.is_file():
        return path.name, sha256_digest(path.read_bytes())
    ref = Reference.parse(subject)
    if ref.digest:
        return ref.name, ref.digest
    if options is None:
        raise ValueError(
            f"{subject}: give the image digest (@sha256:…), or --push to resolve "
            "the tag in the registry"
        )
    with options.connect(ref.registry) as registry:
        manifest = registry.manifest(ref.repository, ref.tag or "latest")
    if manifest is None:
        raise RegistryError(f"{subject} not found in the registry")
    return ref.name, manifest.digest


def _push_attestation(
    subject: str, digest: str, envelope: bytes, options: RegistryOptions, referrer: bool
) -> str:
    from c4guard.supplychain.assessment import PREDICATE_TYPE
    from c4guard.supplychain.evidence import DSSE_MEDIA
    from c4guard.supplychain.oci import Reference, RegistryError

    ref = Reference.parse(subject)
    layer = (envelope, DSSE_MEDIA, {"predicateType": PREDICATE_TYPE})
    with options.connect(ref.registry) as registry:
        if not referrer:
            pushed = registry.append_cosign_layer(ref.repository, digest, "att", layer)
            return f"{ref.name}@{pushed} (cosign .att tag)"
        target = registry.manifest(ref.repository, digest)
        if target is None:
            raise RegistryError(f"{ref.name}@{digest} not found in the registry")
        pushed = registry.push_artifact(
            ref.repository, [layer], artifact_type=DSSE_MEDIA, subject=target
        )
        return f"{ref.name}@{pushed} (referrer of {digest})"
