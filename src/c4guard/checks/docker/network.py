"""C4.3 Network security and access control: checks of Dockerfiles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.shellscan import installs_ssh_server
from c4guard.sources.dockerfile import (
    Stage,
    words,
)
from c4guard.sources.dockerlines import Instruction
from c4guard.views.docker import DOCKERFILE_REFERENCE, StageView, final_stages, instruction_setting

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


SSH_PORT = 22


def shipped_stages(view: StageView) -> list[Stage]:
    """The final stage and the stages it is built on: their files end up in the image."""
    chain = [view.stage]
    while (parent := view.dockerfile.parent_of(chain[-1])) is not None:
        chain.append(parent)
    return chain


@check(
    "DOCKER-SSH",
    requirement="4.3.2",
    severity="high",
    title="Images neither run nor expose an SSH server",
    remediation="Remove the SSH server and `EXPOSE 22`; use `kubectl exec`/`docker exec` "
    "or an audited bastion for administrative access.",
    references=(DOCKERFILE_REFERENCE + "#expose",),
)
def no_ssh_server(inv: Inventory) -> Iterator[Outcome]:
    """An SSH daemon in an AI serving image is an administrative entry point that bypasses
    the platform's authentication and audit."""
    for view in final_stages(inv):
        subject = view.subject()
        problems = [problem for stage in shipped_stages(view) for problem in _ssh(stage)]
        for instruction, message in problems:
            yield failed(
                subject, message, setting=instruction_setting(subject, instruction, message)
            )
        if not problems:
            yield passed(subject, "installs no SSH server and exposes no port 22")


def _ssh(stage: Stage) -> Iterator[tuple[Instruction, str]]:
    for instruction in stage.instructions:
        if instruction.keyword == "EXPOSE" and _exposes_ssh(instruction.arguments):
            yield instruction, f"exposes the SSH port (EXPOSE {instruction.arguments})"
        elif instruction.keyword == "RUN" and (package := installs_ssh_server(instruction.text)):
            yield instruction, f"installs an SSH server ({package})"
        elif instruction.keyword in ("CMD", "ENTRYPOINT") and re.search(
            r"(^|[/\s\"'])sshd\b", instruction.text
        ):
            yield instruction, f"starts sshd ({instruction.keyword})"


def _exposes_ssh(arguments: str) -> bool:
    for word in words(arguments):
        port = word.partition("/")[0]
        low, _, high = port.partition("-")
        if low.isdigit() and (
            int(low) == SSH_PORT or (high.isdigit() and int(low) <= SSH_PORT <= int(high))
        ):
            return True
    return False
