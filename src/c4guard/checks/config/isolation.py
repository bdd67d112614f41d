"""C4.1 Runtime environment isolation: checks of seccomp profile files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed
from c4guard.kube.objects import ObjectView
from c4guard.kube.seccomp import judge_profile
from c4guard.sources.seccomp import KIND as SECCOMP_PROFILE

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "CFG-SECCOMP-PROFILE",
    requirement="4.1.2",
    severity="high",
    title="Seccomp profile files deny by default and allow no escape syscalls",
    remediation="Use SCMP_ACT_ERRNO as the default action and remove ptrace, mount, "
    "unshare, bpf, kexec_load and module loading from the allowed syscalls.",
    references=("https://docs.docker.com/engine/security/seccomp/",),
)
def seccomp_profile_files(inv: Inventory) -> Iterator[Outcome]:
    """Profile files found among the inputs are judged whether or not a manifest uses them."""
    for resource in inv.kind(SECCOMP_PROFILE, origin="config"):
        view = ObjectView(resource, f"seccomp profile {resource.name}")
        verdict = judge_profile(resource.body)
        yield (passed if verdict.appropriate else failed)(
            view, verdict.message, setting=view.setting(*verdict.keys)
        )
