"""C4.1 Runtime environment isolation: checks of Dockerfiles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed, unknown, verdict
from c4guard.views.docker import (
    DOCKERFILE_REFERENCE,
    ROOT_USERS,
    StageView,
    final_stages,
    instruction_setting,
    nonroot_user,
    runs_nothing,
)

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "DOCKER-USER",
    requirement="4.1.1",
    severity="high",
    title="Images run as a non-root user (final stage USER)",
    remediation="End the final stage with `USER <non-root name or uid>` (create the user "
    "in the image), or build FROM a base image that runs as non-root.",
    references=(DOCKERFILE_REFERENCE + "#user",),
)
def final_stage_user(inv: Inventory) -> Iterator[Outcome]:
    """Only the final stage's effective USER decides who the container runs as; a builder
    stage may run as root. A data-only `FROM scratch` image runs nothing and is not judged."""
    for view in final_stages(inv):
        if not runs_nothing(view.stage):
            yield _user_outcome(view)


def _user_outcome(view: StageView) -> Outcome:
    subject = view.subject()
    value, instruction, origin = view.dockerfile.effective_user(view.stage)
    if instruction is None:
        base = origin.image or origin.base
        user = nonroot_user(base)
        if user is not None:
            return passed(subject, f"runs as {user}, the default of its base image {base}")
        return failed(
            subject,
            f"sets no USER: it runs as the user of base image {base}, root for most images",
            setting=subject.at(origin.line, None, "USER"),
        )
    setting = instruction_setting(subject, instruction, instruction.arguments)
    if value is None:
        return unknown(
            subject,
            f"runs as USER {instruction.arguments}, which depends on a "
            "build argument without a default",
            setting=setting,
        )
    inherited = f" (set in stage {origin.label})" if origin is not view.stage else ""
    return verdict(
        value.partition(":")[0].strip() not in ROOT_USERS,
        subject,
        f"runs as USER {value}{inherited}",
        f"runs as root (USER {value})",
        setting=setting,
    )
