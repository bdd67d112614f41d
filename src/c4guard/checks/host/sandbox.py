"""C4.5 AI workload sandboxing and validation: checks of the host c4guard runs on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.host.common import each_gpu, tee_outcomes
from c4guard.checks.registry import Outcome, check, failed, not_applicable, passed
from c4guard.model import NotApplicable
from c4guard.views.host import HostSubject, declared, gpu_state

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "HOST-TEE-GUEST",
    requirement="4.5.4",
    severity="high",
    title="Confidential workloads run inside a TEE guest (SEV-SNP, TDX)",
    remediation="Run confidential workloads in SEV-SNP or TDX confidential VMs or "
    "confidential containers.",
    references=(
        "https://docs.kernel.org/virt/coco/sev-guest.html",
        "https://docs.kernel.org/arch/x86/tdx.html",
    ),
)
def tee_guest(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Memory encryption and integrity protection come from the TEE the guest runs in."""
    yield from tee_outcomes(inv, "4.5.4", "confidential")


@check(
    "HOST-GPU-CC-MODE",
    requirement="4.5.4",
    severity="high",
    title="GPUs of confidential workloads run in confidential-computing mode",
    remediation="Enable GPU confidential computing (`nvidia-smi conf-compute`, gpu-operator "
    "ccManager with `cc-mode: on`) with devtools mode off.",
    references=("https://docs.nvidia.com/confidential-computing/",),
)
def gpu_cc_mode(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Without CC mode, GPU memory and the CPU-GPU channel are outside the TEE."""
    confidential = declared(inv, "confidential")

    def judge(g: HostSubject) -> Outcome | NotApplicable:
        state, cc = gpu_state(g)
        setting = g.fact("confidential_computing")
        if state == "on":
            return passed(
                g,
                f"runs in confidential-computing mode ({cc.get('environment')})",
                setting=setting,
                evidence=cc,
            )
        if not confidential:
            return not_applicable(
                "4.5.4",
                "no confidential workload is declared for this "
                "host (c4guard host --class confidential)",
            )
        why = "devtools mode, which does not protect memory" if state == "devtools" else "off"
        return failed(
            g,
            f"serves confidential workloads with confidential computing {why}",
            setting=setting,
            evidence=cc,
        )

    yield from each_gpu(inv, "4.5.4", judge)
