"""C4.8 Edge and distributed AI security: checks of the host c4guard runs on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.views.host import nodes

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "HOST-SECURE-BOOT",
    requirement="4.8.2",
    severity="medium",
    title="The machine booted with UEFI Secure Boot",
    remediation="Enable UEFI Secure Boot (shielded VMs / trusted launch in the cloud).",
    references=("https://docs.kernel.org/admin-guide/efi-stub.html",),
)
def secure_boot(inv: Inventory) -> Iterator[Outcome]:
    """Secure Boot verifies the signatures of the boot chain."""
    for n in nodes(inv):
        setting = n.fact("secure_boot")
        if setting.value is True:
            yield passed(n, "booted with UEFI Secure Boot enabled", setting=setting)
        elif setting.value is False:
            yield failed(n, "booted with UEFI Secure Boot disabled", setting=setting)
        elif (
            not n.body.get("efi")
            and not n.body.get("firmware_masked")
            and not n.body.get("container")
        ):
            yield failed(n, "did not boot through UEFI: no Secure Boot", setting=n.fact("efi"))
        else:
            yield unknown(
                n,
                "does not show its Secure Boot state (/sys/firmware masked or not readable here)",
                setting=setting,
            )


@check(
    "HOST-KERNEL-LOCKDOWN",
    requirement="4.8.2",
    severity="medium",
    title="The kernel runs in lockdown mode (integrity or confidentiality)",
    remediation="Boot with `lockdown=integrity` (automatic with Secure Boot on many "
    "distributions).",
    references=("https://man7.org/linux/man-pages/man7/kernel_lockdown.7.html",),
)
def kernel_lockdown(inv: Inventory) -> Iterator[Outcome]:
    """Lockdown keeps root from modifying the running, verified kernel."""
    for n in nodes(inv):
        setting = n.fact("lockdown")
        if setting.value in ("integrity", "confidentiality"):
            yield passed(n, f"runs the kernel in lockdown mode {setting.value}", setting=setting)
        elif setting.value == "none":
            yield failed(n, "runs the kernel without lockdown (lockdown: none)", setting=setting)
        else:
            yield unknown(
                n,
                "does not show its kernel lockdown mode (securityfs not visible)",
                setting=setting,
            )
