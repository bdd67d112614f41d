"""C4.2 Secure build and deployment pipelines: checks of Dockerfiles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed, unknown, verdict
from c4guard.pipelines import ci_model
from c4guard.shellscan import pipes_download_to_shell, safe_url
from c4guard.sources.dockerfile import (
    SCRATCH,
    Dockerfile,
)
from c4guard.sources.dockerlines import Instruction
from c4guard.views.blocks import BlockSubject
from c4guard.views.docker import (
    BUILD_CHECKS,
    DOCKERFILE_REFERENCE,
    instruction_setting,
    sources,
    stages,
)

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


_DIGEST = re.compile(r"@sha(256|384|512):[0-9a-f]{32,}$")


_GIT_COMMIT = re.compile(r"#[0-9a-f]{40}$")


@check(
    "DOCKER-BASE-DIGEST",
    requirement="4.2.1",
    severity="medium",
    title="Base images are pinned by digest",
    remediation="Pin every FROM (and COPY --from) image by digest: "
    "`FROM python:3.12-slim@sha256:<digest>`; let a bot such as Renovate or "
    "Dependabot update the digest.",
    references=(DOCKERFILE_REFERENCE + "#from", BUILD_CHECKS),
)
def base_image_digest(inv: Inventory) -> Iterator[Outcome]:
    """A tag can be moved to other content at any time; only a digest makes the base image,
    and so the build, reproducible."""
    contexts = build_contexts(inv)
    for view in stages(inv):
        subject = view.subject()
        stage = view.stage
        if stage.parent is None and stage.image != SCRATCH:
            yield _base_outcome(subject, stage.instructions[0], stage.image, stage.base, contexts)
        for instruction in stage.of("COPY"):
            source = instruction.flag("from")
            if source and _is_image_reference(view.dockerfile, source):
                yield _base_outcome(subject, instruction, source, source, contexts)


# `--build-context name=value` on a build command line (docker buildx build, bake --set).
BUILD_CONTEXT = re.compile(r"--build-context[= ]+([A-Za-z0-9][\w.-]*)=(\S+)")
IMAGE_CONTEXT = "docker-image://"


def build_contexts(inv: Inventory) -> dict[str, tuple[str, str]]:
    """Named build contexts the inputs' CI gives builds: `--build-context name=value` in a
    script and the `build-contexts` input of docker/build-push-action, as
    name -> (value, where it is given). BuildKit resolves `FROM name`/`COPY --from=name` to
    such a context before any image."""
    found: dict[str, tuple[str, str]] = {}
    for pipeline in ci_model(inv).pipelines:
        for run in pipeline.runs:
            for step in run.steps:
                listed = str(step.inputs.get("build-contexts") or "").splitlines()
                pairs = [(m[1], m[2]) for m in BUILD_CONTEXT.finditer(step.run)]
                pairs += [_split(line) for line in listed if "=" in line]
                for name, value in pairs:
                    found.setdefault(name.strip().lower(), (value.strip(), str(step.location)))
    return found


def _split(line: str) -> tuple[str, str]:
    name, _, value = line.strip().partition("=")
    return name, value


def _base_outcome(
    subject: BlockSubject,
    instruction: Instruction,
    image: str | None,
    written: str,
    contexts: dict[str, tuple[str, str]],
) -> Outcome:
    """A base image's pin, or what the named build context of that name holds."""
    context = contexts.get(image.lower()) if image else None
    if context is None:
        return _pin_outcome(subject, instruction, image, written)
    value, where = context
    if value.startswith(IMAGE_CONTEXT):
        return _pin_outcome(subject, instruction, value[len(IMAGE_CONTEXT) :], written)
    return passed(
        subject,
        f"uses the named build context {image} ({value}, given at {where}), not an image",
        setting=instruction_setting(subject, instruction, written),
    )


def _is_image_reference(dockerfile: Dockerfile, name: str) -> bool:
    """COPY --from names a stage (by name or index) or an image."""
    lowered = name.lower()
    return not (
        lowered.isdigit() or any(s.name == lowered for s in dockerfile.stages) or "$" in name
    )


def _pin_outcome(
    subject: BlockSubject, instruction: Instruction, image: str | None, written: str
) -> Outcome:
    setting = instruction_setting(subject, instruction, written)
    if image is None:
        return unknown(
            subject,
            f"builds on {written}, which depends on a build argument without a default",
            setting=setting,
        )
    if _DIGEST.search(image):
        return passed(subject, f"pins {image.split('@')[0]} by digest", setting=setting)
    tag = image.rsplit("/", 1)[-1].partition(":")[2]
    if not tag or tag == "latest":
        how = "the moving tag :latest" if tag else "no tag (so :latest)"
        return failed(subject, f"uses {image} with {how} and no digest", setting=setting)
    return failed(subject, f"uses {image} by tag, not by digest", setting=setting)


@check(
    "DOCKER-ADD-CHECKSUM",
    requirement="4.2.1",
    severity="medium",
    title="Remote ADD sources are verified by checksum",
    remediation="Add `--checksum=sha256:<digest>` to `ADD <url>` (or pin a git source to a "
    "commit), or download in a RUN step that verifies the hash.",
    references=(DOCKERFILE_REFERENCE + "#add---checksum",),
)
def add_checksum(inv: Inventory) -> Iterator[Outcome]:
    """`ADD <url>` fetches whatever the server returns at build time; a checksum makes the
    input fixed."""
    for view in stages(inv):
        subject = view.subject()
        for instruction in view.stage.of("ADD"):
            remote = [s for s in sources(instruction) if "://" in s or s.startswith("git@")]
            if not remote:
                continue
            source = safe_url(remote[0]) if "://" in remote[0] else remote[0].split(":")[0]
            setting = instruction_setting(subject, instruction, source)
            yield verdict(
                bool(instruction.flag("checksum")) or all(_GIT_COMMIT.search(s) for s in remote),
                subject,
                f"verifies the checksum of {source}",
                f"ADDs {source} without --checksum",
                setting=setting,
            )


@check(
    "DOCKER-PIPE-TO-SHELL",
    requirement="4.2.1",
    severity="high",
    title="Builds do not pipe downloads into a shell",
    remediation="Download to a file, verify its checksum or signature, then run it; or "
    "install from a package manager with pinned versions.",
    references=(BUILD_CHECKS,),
)
def no_pipe_to_shell(inv: Inventory) -> Iterator[Outcome]:
    """`curl … | sh` runs whatever the server sends at build time, unverified."""
    for view in stages(inv):
        subject = view.subject()
        found = False
        for instruction in view.stage.of("RUN"):
            command = pipes_download_to_shell(instruction.text)
            if command:
                found = True
                yield failed(
                    subject,
                    f"pipes a download into an interpreter ({command})",
                    setting=instruction_setting(subject, instruction, command),
                )
        if not found:
            yield passed(subject, "runs no downloaded script unverified")
