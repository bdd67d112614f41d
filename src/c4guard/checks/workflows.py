"""CI workflow checks (GitHub Actions, GitLab CI): what build pipelines produce for the
artifacts they publish — signed provenance, signatures (4.2.1), SBOMs and vulnerability
gates (4.2.2) — and whether deploy jobs verify first (4.2.3)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.checks.subjects import BlockSubject
from c4guard.pipelines import Pipeline, Run, Step, ci_model
from c4guard.pipelines.facts import Artifact
from c4guard.pipelines.gitlab import METADATA_VARIABLE, generates_unsigned_metadata

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

SLSA = "https://slsa.dev/spec/v1.0/requirements"
GITHUB_ATTESTATIONS = (
    "https://docs.github.com/en/actions/security-for-github-actions/using-artifact-attestations"
)
BUILDX_ATTESTATIONS = "https://docs.docker.com/build/metadata/attestations/"
COSIGN = "https://docs.sigstore.dev/cosign/"


def run_subject(run: Run) -> BlockSubject:
    job = run.job
    return BlockSubject(
        job.file.ref, run.label, f"jobs.{job.id}", job.spec, job.location, "workflow"
    )


def step_subject(step: Step, run: Run | None = None) -> BlockSubject:
    """A step, named with the run it is part of when it is judged as part of a pipeline."""
    owner = run.label if run is not None else _job_name(step)
    return BlockSubject(
        step.file.ref,
        f"{step.label} of {owner}",
        f"jobs.{step.job_id}.steps[{step.label}]",
        step.spec,
        step.location,
        "workflow",
    )


def _job_name(step: Step) -> str:
    return step.job_id if step.job_id.startswith("action ") else f"job {step.job_id}"


def artifact_runs(inv: Inventory) -> Iterator[tuple[Pipeline, Run, list[tuple[Step, Artifact]]]]:
    """Runs that publish artifacts, with each publishing step and what it publishes."""
    for pipeline in ci_model(inv).pipelines:
        for run in pipeline.runs:
            published = [
                (step, artifact) for step in run.steps for artifact in step.facts.artifacts
            ]
            if published:
                yield pipeline, run, published


def _describe(step: Step, artifact: Artifact) -> str:
    article = "an" if artifact.kind[0].lower() in "aeiou" else "a"
    return f"{article} {artifact.kind} ({artifact.via}, {step.label}, line {step.location.line})"


def _found(steps: Iterator[Step], field: str) -> Step | None:
    return next((s for s in steps if getattr(s.facts, field)), None)


def _notes(pipeline: Pipeline) -> dict[str, list[str]]:
    return {"notes": pipeline.notes} if pipeline.notes else {}


# ---------------------------------------------------------------------------- 4.2.1


@check(
    "WF-PROVENANCE",
    requirement="4.2.1",
    severity="high",
    domain="workflows",
    title="Published artifacts get signed provenance",
    remediation="After publishing, attest provenance: `actions/attest-build-provenance` "
    "(with `id-token: write` and `attestations: write`), the SLSA GitHub "
    "generator, or `cosign attest --type slsaprovenance`.",
    references=(SLSA, GITHUB_ATTESTATIONS, BUILDX_ATTESTATIONS),
)
def signed_provenance(inv: Inventory) -> Iterator[Outcome]:
    """Provenance says how and from what an artifact was built; unsigned provenance can be
    forged by anyone who can push, so only signed provenance can be verified."""
    for pipeline, run, published in artifact_runs(inv):
        subject = run_subject(run)
        missing = [
            (step, artifact, why)
            for step, artifact in published
            if (why := _provenance_gap(pipeline, run, step, artifact))
        ]
        if missing:
            step, artifact, why = missing[0]
            yield failed(
                subject, f"publishes {_describe(step, artifact)} {why}", evidence=_notes(pipeline)
            )
        else:
            step, artifact = published[0]
            yield passed(
                subject,
                f"publishes {_describe(step, artifact)} with signed "
                f"provenance ({_provenance_source(pipeline, run, step)})",
            )


def _provenance_source(pipeline: Pipeline, run: Run, step: Step) -> str:
    if step.facts.signed_provenance:
        return step.facts.signed_provenance
    later = _found(pipeline.steps_after(run, step), "signed_provenance")
    if later is not None:
        return f"{later.facts.signed_provenance}, {later.label}"
    signer = _found(pipeline.steps_after(run, step), "signature")
    return (
        f"BuildKit provenance in the image index, signed by {signer.facts.signature}"
        if (signer)
        else "unknown"
    )


def _provenance_gap(pipeline: Pipeline, run: Run, step: Step, artifact: Artifact) -> str | None:
    """Why the artifact lacks signed provenance, or None when it has it."""
    if step.facts.signed_provenance or _found(pipeline.steps_after(run, step), "signed_provenance"):
        return None
    if artifact.unsigned_provenance:
        if _found(pipeline.steps_after(run, step), "signature"):
            return None
        return (
            "with BuildKit's provenance attestation only, which is unsigned; attest it "
            "or sign the image"
        )
    if generates_unsigned_metadata(run):
        return (
            f"with {METADATA_VARIABLE} metadata only, which is unsigned and covers job "
            "artifacts, not images"
        )
    if artifact.via == "docker/build-push-action" or artifact.via == "docker/bake-action":
        return "with provenance disabled (provenance: false or load: true) and no attestation"
    return "without provenance: no attestation follows it in the pipeline"


@check(
    "WF-ARTIFACT-SIGNED",
    requirement="4.2.1",
    severity="medium",
    domain="workflows",
    title="Published artifacts are signed",
    remediation="Sign what you publish: `cosign sign --yes <image>@<digest>` (keyless with "
    "`id-token: write`), `actions/attest-build-provenance`, or Sigstore for "
    "packages.",
    references=(COSIGN, GITHUB_ATTESTATIONS),
)
def artifacts_signed(inv: Inventory) -> Iterator[Outcome]:
    """A signature binds the artifact's digest to the identity that built it, so consumers
    and admission controllers can reject anything else."""
    for pipeline, run, published in artifact_runs(inv):
        subject = run_subject(run)
        unsigned = [
            (step, artifact)
            for step, artifact in published
            if not step.facts.signature and not _found(pipeline.steps_after(run, step), "signature")
        ]
        if unsigned:
            step, artifact = unsigned[0]
            yield failed(
                subject,
                f"publishes {_describe(step, artifact)} without signing it",
                evidence=_notes(pipeline),
            )
        else:
            step, artifact = published[0]
            signer = (
                step
                if step.facts.signature
                else _found(pipeline.steps_after(run, step), "signature")
            )
            yield passed(
                subject,
                f"signs {_describe(step, artifact)} "
                f"({signer.facts.signature if signer else 'signed'})",
            )


# ---------------------------------------------------------------------------- 4.2.2


@check(
    "WF-SBOM",
    requirement="4.2.2",
    severity="high",
    domain="workflows",
    title="Published artifacts get an SBOM",
    remediation="Generate an SBOM for what you publish: `anchore/sbom-action`, `syft`, "
    "`cdxgen`, `trivy --format cyclonedx`, or build-push-action `sbom: true`.",
    references=("https://cyclonedx.org/", "https://spdx.dev/"),
)
def sbom_generated(inv: Inventory) -> Iterator[Outcome]:
    """Without an SBOM nobody can tell which components, and so which vulnerabilities, an
    artifact carries."""
    for pipeline, run, published in artifact_runs(inv):
        subject = run_subject(run)
        source = _sbom_source(pipeline, published)
        step, artifact = published[0]
        if source:
            yield passed(subject, f"produces an SBOM ({source}) for {_describe(step, artifact)}")
        else:
            yield failed(
                subject,
                f"publishes {_describe(step, artifact)} without an SBOM",
                evidence=_notes(pipeline),
            )


def _sbom_source(pipeline: Pipeline, published: list[tuple[Step, Artifact]]) -> str | None:
    embedded = next((a for _s, a in published if a.embedded_sbom), None)
    if embedded is not None:
        return f"{embedded.via} sbom attestation"
    generator = _found(pipeline.all_steps(), "sbom") or _found(pipeline.all_steps(), "signed_sbom")
    if generator is None:
        return None
    return generator.facts.sbom or generator.facts.signed_sbom


@check(
    "WF-SBOM-SIGNED",
    requirement="4.2.2",
    severity="high",
    domain="workflows",
    title="SBOMs are signed or attested",
    remediation="Attest the SBOM to the artifact: `actions/attest-sbom`, "
    "`cosign attest --type cyclonedx|spdxjson`, or sign the image whose index "
    "carries BuildKit's SBOM attestation.",
    references=(GITHUB_ATTESTATIONS, COSIGN + "verifying/attestation/"),
)
def sbom_signed(inv: Inventory) -> Iterator[Outcome]:
    """An unsigned SBOM can be replaced by anyone who can write next to the artifact."""
    for pipeline, run, published in artifact_runs(inv):
        source = _sbom_source(pipeline, published)
        if source is None:
            continue  # WF-SBOM reports the missing SBOM
        subject = run_subject(run)
        signer = _sbom_signer(pipeline, run, published)
        if signer:
            yield passed(subject, f"signs its SBOM ({signer})")
        else:
            yield failed(
                subject,
                f"generates an SBOM ({source}) but does not sign or attest it",
                evidence=_notes(pipeline),
            )


def _sbom_signer(
    pipeline: Pipeline, run: Run, published: list[tuple[Step, Artifact]]
) -> str | None:
    attested = _found(pipeline.all_steps(), "signed_sbom")
    if attested is not None:
        return attested.facts.signed_sbom
    for step, artifact in published:
        signer = _found(pipeline.steps_after(run, step), "signature")
        if artifact.embedded_sbom and signer is not None:
            return f"the image index with its SBOM is signed by {signer.facts.signature}"
    return None


@check(
    "WF-VULN-GATE",
    requirement="4.2.2",
    severity="high",
    domain="workflows",
    title="A vulnerability scan gates published artifacts",
    remediation="Scan what you publish and fail on a threshold: trivy with "
    "`exit-code: 1` and `severity: CRITICAL,HIGH`, `anchore/scan-action` "
    "(fail-build), `grype --fail-on high`; do not mark the step "
    "continue-on-error.",
    references=(
        "https://github.com/aquasecurity/trivy-action",
        "https://github.com/anchore/scan-action",
    ),
)
def vulnerability_gate(inv: Inventory) -> Iterator[Outcome]:
    """A scan that only reports lets vulnerable artifacts through; the build must fail at a
    severity threshold."""
    for pipeline, run, published in artifact_runs(inv):
        subject = run_subject(run)
        step, artifact = published[0]
        scans = [s for s in pipeline.all_steps() if s.facts.vuln_scan]
        gate = next((s for s in scans if s.facts.vuln_gate), None)
        if gate is not None:
            yield passed(
                subject,
                f"publishes {_describe(step, artifact)} behind a failing "
                f"vulnerability scan ({gate.facts.vuln_scan}, {gate.label})",
            )
        elif scans:
            notes = "; ".join(n for s in scans for n in s.facts.notes)
            yield failed(
                subject,
                f"scans with {scans[0].facts.vuln_scan} ({scans[0].label}) "
                "but the scan cannot fail the build"
                + (f" ({notes})" if notes else " (no exit code threshold)"),
                evidence=_notes(pipeline),
            )
        else:
            yield failed(
                subject,
                f"publishes {_describe(step, artifact)} without a vulnerability scan",
                evidence=_notes(pipeline),
            )


# ---------------------------------------------------------------------------- 4.2.3


@check(
    "WF-VERIFY-BEFORE-DEPLOY",
    requirement="4.2.3",
    severity="high",
    domain="workflows",
    title="Deploy jobs verify signatures and provenance before deploying",
    remediation="Before `kubectl apply`/`helm upgrade`, run `cosign verify` (and "
    "`cosign verify-attestation`/`slsa-verifier`) or `c4guard verify` on the "
    "image digests being deployed; deploy by digest.",
    references=(COSIGN + "verifying/verify/", "https://github.com/slsa-framework/slsa-verifier"),
)
def verify_before_deploy(inv: Inventory) -> Iterator[Outcome]:
    """A deployment that does not verify what it deploys accepts whatever is in the
    registry under that tag."""
    for pipeline in ci_model(inv).pipelines:
        for run in pipeline.runs:
            if _test_deployment(pipeline, run):
                continue
            for step in run.steps:
                if step.facts.deployment:
                    yield _verify_outcome(pipeline, run, step)


def _test_deployment(pipeline: Pipeline, run: Run) -> bool:
    """A throwaway kind/minikube cluster, or a pull-request workflow that names no
    deployment environment, is a test of the change, not a release."""
    if run.facts.local_cluster:
        return True
    return pipeline.review_only and not run.job.spec.get("environment")


def _verify_outcome(pipeline: Pipeline, run: Run, step: Step) -> Outcome:
    subject = step_subject(step, run)
    verifier = _found(pipeline.steps_before(run, step), "verification")
    if verifier is not None:
        return passed(
            subject,
            f"deploys ({step.facts.deployment}) after verifying "
            f"({verifier.facts.verification}, {verifier.label})",
        )
    return failed(
        subject,
        f"deploys ({step.facts.deployment}) without verifying signatures or provenance first",
        evidence=_notes(pipeline),
    )
