"""C4.2 Secure build and deployment pipelines: checks of Dockerfiles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed, unknown
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
    for view in stages(inv):
        subject = view.subject()
        stage = view.stage
        if stage.parent is None and stage.image != SCRATCH:
            yield _pin_outcome(subject, stage.instructions[0], stage.image, stage.base)
        for instruction in stage.of("COPY"):
            source = instruction.flag("from")
            if source and _is_image_reference(view.dockerfile, source):
                yield _pin_outcome(subject, instruction, source, source)


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
            if instruction.flag("checksum") or all(_GIT_COMMIT.search(s) for s in remote):
                yield passed(subject, f"verifies the checksum of {source}", setting=setting)
            else:
                yield failed(subject, f"ADDs {source} without --checksum", setting=setting)


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
