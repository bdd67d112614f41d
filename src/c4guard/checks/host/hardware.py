"""C4.7 AI hardware security: checks of the host c4guard runs on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.host.common import each_gpu, no_gpu
from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.model import NotApplicable
from c4guard.views.host import HostSubject, gpu_state, gpus, nodes

if TYPE_CHECKING:
    from c4guard.inventory import Inventory


@check(
    "HOST-GPU-ATTESTATION",
    requirement="4.7.1",
    severity="medium",
    title="GPUs can be attested (confidential-computing mode)",
    remediation="Enable GPU confidential computing and verify the GPU attestation report "
    "(NVIDIA nvTrust / NRAS) before marking GPUs ready.",
    references=("https://docs.nvidia.com/attestation/",),
)
def gpu_attestation(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """In confidential-computing mode a GPU accepts work only once marked ready, which the
    attestation step does; outside it its firmware and state cannot be attested."""
    yield from each_gpu(inv, "4.7.1", _attestable)


def _attestable(g: HostSubject) -> Outcome:
    state, cc = gpu_state(g)
    setting = g.fact("confidential_computing")
    if state == "on":
        ready = "ready" if cc.get("ready") else "not yet marked ready"
        return passed(
            g,
            f"is in confidential-computing mode and can be attested ({ready})",
            setting=setting,
            evidence=cc,
        )
    return failed(
        g,
        "is not in confidential-computing mode: its firmware and state cannot be attested",
        setting=setting,
        evidence=cc,
    )


@check(
    "HOST-TPM",
    requirement="4.7.1",
    severity="medium",
    title="Accelerator nodes have a TPM with a measured-boot log",
    remediation="Use nodes with a TPM 2.0 (or vTPM) and measured boot, and attest them "
    "(e.g. Keylime) before scheduling accelerator workloads.",
    references=("https://keylime.dev/",),
)
def tpm_measured_boot(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """A TPM's measured-boot log is the root for attesting the platform the GPUs sit in."""
    if not gpus(inv):
        yield no_gpu(inv, "4.7.1")
        return
    for n in nodes(inv):
        tpm = n.fact("tpm")
        log = n.fact("tpm_event_log")
        version = n.body.get("tpm_version")
        label = f"TPM {version}.0" if version else "TPM"
        if tpm.value and log.value:
            yield passed(
                n, f"has a {label} ({', '.join(tpm.value)}) and a measured-boot log", setting=log
            )
        elif tpm.value:
            why = (
                "not readable here"
                if n.body.get("securityfs_visible")
                else "securityfs is not mounted here"
            )
            yield unknown(
                n, f"has a {label} but its measured-boot log is not visible ({why})", setting=log
            )
        else:
            yield failed(n, "has no TPM: its boot cannot be measured or attested", setting=tpm)


@check(
    "HOST-GPU-PARTITION",
    requirement="4.7.2",
    severity="high",
    title="GPU memory is partitioned (MIG) or the GPU serves one process at a time",
    remediation="Enable MIG and give each workload its own instance, or set the GPU's "
    "compute mode to EXCLUSIVE_PROCESS; do not share whole GPUs by time-slicing.",
    references=("https://docs.nvidia.com/datacenter/tesla/mig-user-guide/",),
)
def gpu_partition(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Processes sharing a GPU without MIG share its memory system; MIG isolates memory in
    hardware."""
    yield from each_gpu(inv, "4.7.2", _partitioned)


def _partitioned(g: HostSubject) -> Outcome:
    mig = g.body.get("mig_mode")
    mode = g.body.get("compute_mode")
    if mig and mig.get("current"):
        return passed(
            g,
            "has MIG enabled: memory is partitioned in hardware",
            setting=g.fact("mig_mode"),
            evidence={"mig_mode": mig},
        )
    if mode in ("EXCLUSIVE_PROCESS", "PROHIBITED"):
        return passed(
            g,
            f"serves one process at a time (compute mode {mode}); memory is not "
            "partitioned, so sanitisation between jobs relies on the driver",
            setting=g.fact("compute_mode"),
        )
    support = "MIG is off" if mig else "it has no MIG support"
    pending = (
        " (MIG is pending: it takes effect after a GPU reset)"
        if (mig and mig.get("pending"))
        else ""
    )
    return failed(
        g,
        f"can be shared without memory partitioning: {support} and compute mode "
        f"is {mode or 'unknown'}{pending}",
        setting=g.fact("mig_mode"),
        evidence={"mig_mode": mig, "compute_mode": mode},
    )


@check(
    "HOST-GPU-ECC",
    requirement="4.7.2",
    severity="medium",
    title="GPU memory has ECC enabled",
    remediation="Enable ECC (`nvidia-smi -e 1`, then reset the GPU); NVIDIA recommends it "
    "against GPU rowhammer (GPUHammer).",
    references=("https://nvidia.custhelp.com/app/answers/detail/a_id/5671",),
)
def gpu_ecc(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Without ECC, rowhammer-style bit flips let one workload corrupt another's GPU
    memory."""
    yield from each_gpu(inv, "4.7.2", _ecc)


def _ecc(g: HostSubject) -> Outcome:
    setting = g.fact("ecc_mode")
    ecc = setting.value
    if ecc and ecc.get("current"):
        return passed(g, "has ECC enabled", setting=setting)
    if ecc:
        later = " (enabled after the next reset)" if ecc.get("pending") else ""
        return failed(g, f"has ECC disabled{later}", setting=setting)
    error = (g.body.get("nvml_errors") or {}).get("GetEccMode", "unknown")
    return failed(g, f"has no ECC (NVML: {error})", setting=setting)
