"""C4.2 Secure build and deployment pipelines: checks of CI pipelines (GitHub Actions,
GitLab CI): pinned actions, token permissions, untrusted input, signed provenance, SBOMs,
vulnerability gates and verification before deploy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.model import Location
from c4guard.pipelines import Job, Pipeline, Run, Step, ci_model
from c4guard.pipelines.facts import Artifact, action_name
from c4guard.pipelines.github import WorkflowFile
from c4guard.pipelines.gitlab import METADATA_VARIABLE, generates_unsigned_metadata
from c4guard.shellscan import pipes_download_to_shell
from c4guard.views.blocks import BlockSubject, key_line
from c4guard.views.ci import HARDENING, job_subject, step_subject, written_jobs

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


@check(
    "WF-PROVENANCE",
    requirement="4.2.1",
    severity="high",
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


@check(
    "WF-SBOM",
    requirement="4.2.2",
    severity="high",
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


@check(
    "WF-VERIFY-BEFORE-DEPLOY",
    requirement="4.2.3",
    severity="high",
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


TOKEN_PERMISSIONS = (
    "https://docs.github.com/en/actions/writing-workflows/"
    "choosing-what-your-workflow-does/controlling-permissions-for-github_token"
)


PWN_REQUEST = "https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/"


_SHA = re.compile(r"^[0-9a-f]{40}$")


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


_PR_HEAD = re.compile(
    r"github\.event\.pull_request\.head\.(?:sha|ref|repo)|github\.head_ref"
    r"|refs/pull/|github\.event\.number|github\.event\.pull_request\.number"
)


_GIT_FETCH = re.compile(r"\bgit\s+(?:checkout|fetch|pull|switch|clone)\b|\bgh\s+pr\s+checkout\b")


# Event fields others write (GitHub Security Lab's list of untrusted input).
_ANY = r"(?:\.\*|\[[^\]]*\]|\.[\w-]+)"  # one path element: .*, [0], .name


_UNTRUSTED = re.compile(
    r"\$\{\{[^}]*?\b(github\.head_ref"
    r"|github\.event\.(?:issue|pull_request|discussion)\.(?:title|body)"
    r"|github\.event\.(?:comment|review|review_comment|discussion_comment)\.body"
    rf"|github\.event\.pages{_ANY}\.page_name"
    rf"|github\.event\.commits{_ANY}\.(?:message|author\.email|author\.name)"
    r"|github\.event\.head_commit\.(?:message|author\.email|author\.name)"
    r"|github\.event\.pull_request\.head\.(?:ref|label|repo\.default_branch)"
    r"|github\.event\.workflow_run\.(?:head_branch|display_title|head_commit\.message"
    r"|head_commit\.author\.(?:email|name)))\b"
)


@check(
    "WF-ACTION-PINNED",
    requirement="4.2.1",
    severity="medium",
    title="Actions and reusable workflows are pinned by commit SHA",
    remediation="Pin every `uses:` to a full 40-character commit SHA (keep the tag in a "
    "comment, `# v4.2.0`), and let Dependabot or Renovate update it.",
    references=(HARDENING + "#using-third-party-actions",),
)
def actions_pinned(inv: Inventory) -> Iterator[Outcome]:
    """A tag or branch can be moved to new code by whoever controls the action's repository;
    a commit SHA cannot."""
    model = ci_model(inv)
    for workflow in model.github.workflows:
        for job in workflow.jobs:
            if job.calls:
                subject = job_subject(job)
                yield _pin_outcome(subject, job.calls, subject.setting("uses"))
            for step in job.steps:
                yield from _step_pin(step)
    for action in model.github.actions:
        for step in action.steps:
            yield from _step_pin(step)


def _step_pin(step: Step) -> Iterator[Outcome]:
    if step.uses:
        subject = step_subject(step)
        yield _pin_outcome(subject, step.uses, subject.setting("uses"))


def _pin_outcome(subject: BlockSubject, uses: str, setting: Any) -> Outcome:
    reference = uses.strip()
    if reference.startswith("./"):
        return passed(
            subject, f"uses the local {reference}, versioned with the repository", setting=setting
        )
    if reference.startswith("docker://"):
        if _DIGEST.search(reference):
            return passed(subject, f"pins {reference.split('@')[0]} by digest", setting=setting)
        return failed(subject, f"uses {reference} by tag, not by digest", setting=setting)
    name, _, ref = reference.partition("@")
    if _SHA.match(ref):
        return passed(subject, f"pins {name} to commit {ref[:12]}", setting=setting)
    what = f"to {ref!r}, a tag or branch that can move" if ref else "without any ref"
    return failed(subject, f"uses {name} {what}", setting=setting)


@check(
    "WF-TOKEN-PERMISSIONS",
    requirement="4.2.1",
    severity="medium",
    title="Workflows give the GITHUB_TOKEN least-privilege permissions",
    remediation="Set `permissions: {}` or `contents: read` at the top of the workflow and "
    "grant write scopes (`packages: write`, `id-token: write`...) only on the "
    "jobs that need them.",
    references=(TOKEN_PERMISSIONS,),
)
def token_permissions(inv: Inventory) -> Iterator[Outcome]:
    """Without `permissions`, the token gets the repository's default, read-write in many
    repositories: any compromised step can push code, packages and releases."""
    for workflow in ci_model(inv).github.workflows:
        if workflow.only_called:
            continue  # a called workflow's token is the caller's, bounded by it
        for job in workflow.jobs:
            yield _permissions_outcome(workflow, job)


def _permissions_outcome(workflow: WorkflowFile, job: Job) -> Outcome:
    subject = job_subject(job)
    if "permissions" in job.spec:
        setting = subject.setting("permissions")
        if setting.value == "write-all":
            return failed(subject, "grants write-all permissions", setting=setting)
        return passed(
            subject, f"sets its own permissions ({_scopes(setting.value)})", setting=setting
        )
    body = workflow.body
    setting = subject.at(job.location.line, body.get("permissions"), "permissions (workflow)")
    if "permissions" not in body:
        return failed(
            subject,
            "sets no permissions, nor does its workflow: the token gets the "
            "repository default, read-write in many repositories",
            setting=subject.setting("permissions"),
        )
    value = body["permissions"]
    if value == "write-all":
        return failed(subject, "inherits write-all permissions from the workflow", setting=setting)
    writes = _write_scopes(value)
    if writes and len(workflow.jobs) > 1:
        return failed(
            subject,
            f"inherits workflow-level write scopes ({', '.join(writes)}) granted to every job",
            setting=setting,
        )
    return passed(
        subject, f"inherits least-privilege permissions ({_scopes(value)})", setting=setting
    )


def _write_scopes(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return []
    return sorted(str(k) for k, v in value.items() if v == "write" and k != "id-token")


def _scopes(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "none"
    return str(value)


@check(
    "WF-PR-TARGET-CHECKOUT",
    requirement="4.2.1",
    severity="critical",
    title="pull_request_target workflows do not run the pull request's code",
    remediation="Use `pull_request` for building untrusted code; if `pull_request_target` "
    "is needed (labels, comments), never check out or run the PR head in it.",
    references=(PWN_REQUEST,),
)
def pull_request_target_checkout(inv: Inventory) -> Iterator[Outcome]:
    """`pull_request_target` runs with the base repository's secrets and a write token;
    checking out the pull request's head runs a stranger's code with them."""
    for workflow in ci_model(inv).github.workflows:
        if "pull_request_target" not in workflow.triggers:
            continue
        risky = [step for job in workflow.jobs for step in job.steps if _checks_out_head(step)]
        for step in risky:
            yield failed(
                step_subject(step),
                "checks out the pull request's head in a pull_request_target workflow",
                setting=step_subject(step).setting("with", "ref"),
            )
        if not risky:
            body = workflow.body
            subject = BlockSubject(
                workflow.resource.ref,
                "workflow",
                "on",
                body,
                Location(workflow.resource.name, key_line(body, "on")),
                "workflow",
            )
            yield passed(
                subject, "runs on pull_request_target without checking out the pull request's code"
            )


def _checks_out_head(step: Step) -> bool:
    if step.uses and action_name(step.uses) == "actions/checkout":
        target = f"{step.inputs.get('ref', '')} {step.inputs.get('repository', '')}"
        return bool(_PR_HEAD.search(target))
    return bool(
        step.run
        and _GIT_FETCH.search(step.run)
        and (_PR_HEAD.search(step.run) or "gh pr checkout" in step.run)
    )


@check(
    "WF-SCRIPT-INJECTION",
    requirement="4.2.1",
    severity="high",
    title="Scripts do not expand attacker-controlled event fields",
    remediation="Pass the value through `env:` (`TITLE: ${{ github.event.issue.title }}`) "
    'and use it quoted as `"$TITLE"`; never put `${{ github.event.… }}` '
    "into `run:` or a github-script `script:`.",
    references=(HARDENING + "#understanding-the-risk-of-script-injections",),
)
def script_injection(inv: Inventory) -> Iterator[Outcome]:
    """Titles, bodies, branch names and commit messages are written by whoever opens the
    issue or pull request; expanded into a script, they run as code with the job's token."""
    for workflow in ci_model(inv).github.workflows:
        for job in workflow.jobs:
            for step in job.steps:
                script = _script_text(step)
                if not script:
                    continue
                subject = step_subject(step)
                setting = subject.setting(*(("run",) if step.run else ("with", "script")))
                fields = sorted(set(_UNTRUSTED.findall(script)))
                if fields:
                    yield failed(
                        subject, f"expands {', '.join(fields)} into its script", setting=setting
                    )
                elif "${{" in script:
                    yield passed(
                        subject,
                        "expands no attacker-controlled field into its script",
                        setting=setting,
                    )


def _script_text(step: Step) -> str:
    if step.run:
        return step.run
    if step.uses and action_name(step.uses) == "actions/github-script":
        return str(step.inputs.get("script", ""))
    return ""


@check(
    "WF-PIPE-TO-SHELL",
    requirement="4.2.1",
    severity="medium",
    title="CI jobs do not pipe downloads into a shell",
    remediation="Use a pinned action or package, or download, verify the checksum or "
    "signature, then run.",
    references=(HARDENING,),
)
def ci_pipe_to_shell(inv: Inventory) -> Iterator[Outcome]:
    """`curl … | sh` in a build job runs unverified code with the job's token and secrets."""
    for job, steps in written_jobs(inv):
        scripts = [step for step in steps if step.run]
        flagged = [
            (step, command) for step in scripts if (command := pipes_download_to_shell(step.run))
        ]
        for step, command in flagged:
            subject = step_subject(step)
            yield failed(
                subject,
                f"pipes a download into an interpreter ({command})",
                setting=subject.setting("run"),
            )
        if scripts and not flagged:
            yield passed(job, "runs no downloaded script unverified")
