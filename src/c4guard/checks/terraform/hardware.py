"""C4.7 AI hardware security: Terraform evidence (shielded GPU nodes, GPU sharing,
HSM-backed model keys)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.views.terraform import (
    AZURE_VMS,
    GCP_VMS,
    GKE_NODES,
    TfResource,
    as_blocks,
    bucket_keys,
    model_buckets,
    terraform,
    unknown_reason,
)

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

SHARING_STRATEGIES = frozenset({"TIME_SHARING", "MPS"})
HSM_LEVELS = frozenset({"HSM", "HSM_SINGLE_TENANT"})


def accelerators(item: TfResource) -> list[Any]:
    """The guest_accelerator blocks of a GKE node pool/cluster or a Compute Engine VM."""
    if item.kind in GKE_NODES:
        return as_blocks(item.get("node_config", "guest_accelerator"))
    return as_blocks(item.get("guest_accelerator"))


def _azure_gpu(item: TfResource) -> bool:
    return str(item.get("size") or "").startswith(("Standard_N", "Standard_ND", "Standard_NC"))


# ---------------------------------------------------------------------------- 4.7.1


@check(
    "TF-GPU-NODE-INTEGRITY",
    requirement="4.7.1",
    severity="medium",
    title="Accelerator nodes boot with integrity monitoring and a vTPM",
    remediation="Keep `shielded_instance_config { enable_integrity_monitoring = true, "
    "enable_vtpm = true }` on GPU node pools and VMs; Azure: `vtpm_enabled = "
    "true`.",
    references=("https://cloud.google.com/kubernetes-engine/docs/how-to/shielded-gke-nodes",),
)
def gpu_node_integrity(inv: Inventory) -> Iterator[Outcome]:
    """Measured boot with a vTPM is the hardware root that accelerator attestation
    builds on. Shielded GKE nodes monitor integrity by default."""
    index = terraform(inv)
    for item in index.kinds(*GKE_NODES, *GCP_VMS):
        if not accelerators(item):
            continue
        prefix = ("node_config",) if item.kind in GKE_NODES else ()
        setting = item.setting(
            *prefix, "shielded_instance_config", "enable_integrity_monitoring", default=True
        )
        vtpm = item.setting(*prefix, "shielded_instance_config", "enable_vtpm", default=True)
        if setting.value is False or vtpm.value is False:
            off = setting if setting.value is False else vtpm
            yield failed(
                item, f"runs accelerators with {off.path.rsplit('.', 1)[-1]} = false", setting=off
            )
        else:
            yield passed(
                item,
                "runs accelerators on shielded nodes with integrity monitoring and a vTPM",
                setting=setting,
            )
    for vm in index.kinds(*AZURE_VMS):
        if _azure_gpu(vm):
            setting = vm.setting("vtpm_enabled", default=False)
            if setting.value is True:
                yield passed(vm, "runs GPUs with a vTPM (trusted launch)", setting=setting)
            else:
                yield failed(vm, "runs GPUs without a vTPM", setting=setting)


# ---------------------------------------------------------------------------- 4.7.2


@check(
    "TF-GKE-GPU-SHARING",
    requirement="4.7.2",
    severity="high",
    title="GKE GPUs are partitioned (MIG), not time-shared or MPS-shared",
    remediation="Use `gpu_partition_size` (multi-instance GPU) or whole GPUs per pod; "
    "remove `gpu_sharing_config` TIME_SHARING/MPS for multi-tenant pools.",
    references=("https://cloud.google.com/kubernetes-engine/docs/concepts/timesharing-gpus",),
)
def gke_gpu_sharing(inv: Inventory) -> Iterator[Outcome]:
    """Time-slicing and MPS share GPU memory between pods without isolation; MIG
    partitions memory in hardware."""
    for item in terraform(inv).kinds(*GKE_NODES):
        for position, accelerator in enumerate(accelerators(item)):
            keys = ("node_config", "guest_accelerator", position)
            strategy = accelerator.get("gpu_sharing_config")
            strategy = (
                as_blocks(strategy)[0].get("gpu_sharing_strategy") if as_blocks(strategy) else None
            )
            if strategy in SHARING_STRATEGIES:
                yield failed(
                    item,
                    f"shares GPUs between pods with {strategy}: no memory isolation",
                    setting=item.setting(*keys, "gpu_sharing_config"),
                )
            elif accelerator.get("gpu_partition_size"):
                yield passed(
                    item,
                    f"partitions GPUs with MIG ({accelerator.get('gpu_partition_size')})",
                    setting=item.setting(*keys, "gpu_partition_size"),
                )
            else:
                yield passed(
                    item,
                    "gives each pod whole GPUs (memory is cleared between "
                    "pods by the driver, not verified here)",
                    setting=item.setting(*keys),
                )


# ---------------------------------------------------------------------------- 4.7.3


@check(
    "TF-MODEL-KEYS-HSM",
    requirement="4.7.3",
    severity="medium",
    title="Model storage is encrypted with HSM-backed keys",
    remediation="Encrypt model buckets with customer-managed keys in an HSM: AWS KMS (or "
    'CloudHSM), GCP `protection_level = "HSM"`, Azure `*-HSM` keys or '
    "Managed HSM.",
    references=("https://cloud.google.com/kms/docs/hsm",),
)
def model_keys_hsm(inv: Inventory) -> Iterator[Outcome]:
    """Weights encrypted under provider-managed or software keys are only as safe as the
    provider's defaults. Certification levels themselves need attestation."""
    index = terraform(inv)
    for bucket in model_buckets(index):
        keys = bucket_keys(index, bucket)
        if not keys:
            yield failed(bucket, "holds model weights without a customer-managed key")
        for value, key in keys:
            yield _key_outcome(bucket, value, key)


def _key_outcome(bucket: TfResource, value: Any, key: TfResource | None) -> Outcome:
    if key is None:
        return unknown(bucket, f"is encrypted with a key not among the scanned files ({value})")
    if key.kind == "aws_kms_key":
        return passed(bucket, f"is encrypted with {key.address} (AWS KMS HSMs, FIPS 140-3 level 3)")
    if key.kind == "azurerm_key_vault_key":
        key_type = str(key.get("key_type"))
        if key_type.endswith("-HSM"):
            return passed(bucket, f"is encrypted with the HSM key {key.address}")
        return failed(bucket, f"is encrypted with the software key {key.address} ({key_type})")
    level = key.setting("version_template", "protection_level", default="SOFTWARE")
    if level.value in HSM_LEVELS:
        return passed(bucket, f"is encrypted with {key.address}, protection level {level.value}")
    if str(level.value).startswith("EXTERNAL"):
        return unknown(
            bucket,
            f"is encrypted with {key.address}, an {level.value} key kept "
            "outside Google: its HSM needs review",
        )
    reason = unknown_reason(level.value)
    if reason:
        return unknown(bucket, f"key protection level is unknown: {reason}")
    return failed(bucket, f"is encrypted with {key.address}, a {level.value} key (no HSM)")
