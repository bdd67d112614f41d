"""C4.5 AI workload sandboxing and confidential computing: Terraform evidence (GKE Sandbox,
SageMaker network isolation, key release bound to attestation, TEEs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.checks.terraform.common import expect, tee_outcomes
from c4guard.model import NotApplicable, Result
from c4guard.views.terraform import (
    TerraformIndex,
    TfResource,
    as_list,
    bucket_keys,
    model_buckets,
    policy_statements,
    terraform,
    unknown_reason,
)

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

ATTESTATION_KEYS = re.compile(r"kms:RecipientAttestation:(ImageSha384|PCR\d+)", re.IGNORECASE)
CONFIDENTIAL_SPACE_ISSUER = "confidentialcomputing.googleapis.com"


@check(
    "TF-GKE-SANDBOX",
    requirement="4.5.1",
    severity="high",
    title="GKE node pools for untrusted models run GKE Sandbox (gVisor)",
    remediation='Add `node_config { sandbox_config { sandbox_type = "gvisor" } }` to the '
    "node pool and schedule untrusted models there with runtimeClassName "
    "gvisor.",
    references=("https://cloud.google.com/kubernetes-engine/docs/concepts/sandbox-pods",),
)
def gke_sandbox(inv: Inventory) -> Iterator[Outcome]:
    """Node pools declared for untrusted models (config `classes`, or a `c4guard-class`
    label) must sandbox their pods; a gVisor pool is evidence wherever it appears."""
    for pool in terraform(inv).kinds("google_container_node_pool", "google_container_cluster"):
        setting = pool.setting("node_config", "sandbox_config", "sandbox_type")
        if setting.present and unknown_reason(setting.value):
            yield unknown(
                pool, f"sandbox type is unknown: {unknown_reason(setting.value)}", setting=setting
            )
        elif str(setting.value).lower() == "gvisor":
            yield passed(pool, "runs pods in GKE Sandbox (gVisor)", setting=setting)
        elif "untrusted-model" in pool.classes:
            yield failed(pool, "hosts untrusted models without GKE Sandbox", setting=setting)


@check(
    "TF-SAGEMAKER-NETWORK-ISOLATION",
    requirement="4.5.2",
    severity="high",
    title="SageMaker models and training jobs run with network isolation",
    remediation="Set `enable_network_isolation = true` on `aws_sagemaker_model`.",
    references=(
        "https://docs.aws.amazon.com/sagemaker/latest/dg/mkt-algo-model-internet-free.html",
    ),
)
def sagemaker_network_isolation(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Without network isolation a model container can call out to the internet (and
    exfiltrate data or fetch code); it defaults to false."""
    for model in terraform(inv).kinds("aws_sagemaker_model"):
        yield expect(
            model,
            model.setting("enable_network_isolation", default=False),
            True,
            "runs with network isolation",
            "has outbound network access",
        )


# ---------------------------------------------------------------------------- 4.5.3


@check(
    "TF-ATTESTED-KEY-RELEASE",
    requirement="4.5.3",
    severity="high",
    title="Keys for confidential workloads are released only to attested environments",
    remediation="AWS: key policy conditions on `kms:RecipientAttestation:ImageSha384`/"
    "`PCR<n>`; GCP: a workload identity pool provider for Confidential Space "
    "whose attribute_condition checks swname, the image digest and STABLE "
    "support; Azure: a key `release_policy`.",
    references=(
        "https://docs.aws.amazon.com/enclaves/latest/user/kms.html",
        "https://cloud.google.com/confidential-computing/confidential-space/docs/"
        "create-grant-access-confidential-resources",
    ),
)
def attested_key_release(inv: Inventory) -> Iterator[Outcome]:
    """Releasing a model key only to a measured enclave or Confidential Space image is
    what makes attestation matter before the model loads."""
    index = terraform(inv)
    for key in index.kinds("aws_kms_key", "aws_kms_key_policy"):
        conditions = _attestation_conditions(index, key)
        if conditions:
            yield passed(
                key,
                f"releases the key only on attestation ({', '.join(conditions)})",
                setting=key.setting("policy"),
            )
    for provider in index.kinds("google_iam_workload_identity_pool_provider"):
        issuer = str(provider.get("oidc", "issuer_uri") or "")
        if CONFIDENTIAL_SPACE_ISSUER in issuer:
            yield _confidential_space(provider)
    for key in index.kinds(
        "azurerm_key_vault_key", "azurerm_key_vault_managed_hardware_security_module_key"
    ):
        if key.blocks("release_policy") or key.get("release_policy"):
            yield passed(
                key,
                "has a key release policy bound to attestation",
                setting=key.setting("release_policy"),
            )


def _attestation_conditions(index: TerraformIndex, key: TfResource) -> list[str]:
    found: list[str] = []
    for statement in policy_statements(key.get("policy"), index, key):
        condition = statement.get("Condition")
        if isinstance(condition, dict):
            for operator in condition.values():
                if isinstance(operator, dict):
                    found += [k for k in operator if ATTESTATION_KEYS.search(str(k))]
    return sorted(set(found))


def _confidential_space_key(index: TerraformIndex, key: TfResource) -> bool:
    """A Cloud KMS key whose only decrypters are identities of a workload identity pool
    that admits attested Confidential Space workloads."""
    if key.kind != "google_kms_crypto_key":
        return False
    grants = [
        g
        for g in index.kinds(
            "google_kms_crypto_key_iam_member", "google_kms_crypto_key_iam_binding"
        )
        if index.resolve(g.get("crypto_key_id"), g, "google_kms_crypto_key") is key
    ]
    members = [
        str(m)
        for g in grants
        for m in [g.get("member"), *as_list(g.get("members"))]
        if m is not None
    ]
    if not members or not all(m.startswith("principalSet://") for m in members):
        return False
    providers = [
        p
        for p in index.kinds("google_iam_workload_identity_pool_provider")
        if CONFIDENTIAL_SPACE_ISSUER in str(p.get("oidc", "issuer_uri") or "")
    ]
    return any(_confidential_space(p).result is Result.PASS for p in providers)


def _confidential_space(provider: TfResource) -> Outcome:
    setting = provider.setting("attribute_condition")
    condition = setting.value
    if not isinstance(condition, str):
        reason = unknown_reason(condition) or "it is not set"
        if condition is None:
            return failed(
                provider,
                "trusts Confidential Space tokens without an attribute condition",
                setting=setting,
            )
        return unknown(provider, f"attribute_condition is unknown: {reason}", setting=setting)
    text = re.sub(r"\s+", " ", condition)
    missing = [
        what
        for what, pattern in (
            ("swname == 'CONFIDENTIAL_SPACE'", r"swname\s*==\s*['\"]CONFIDENTIAL_SPACE['\"]"),
            ("the image digest", r"image_digest"),
            (
                "STABLE support attributes",
                r"['\"]STABLE['\"]\s+in\s+assertion\.submods\."
                r"confidential_space\.support_attributes",
            ),
        )
        if not re.search(pattern, text)
    ]
    if re.search(r"dbgstat\s*!=|dbgstat\s*==\s*['\"](?!disabled-since-boot)", text):
        return failed(provider, "admits debug Confidential Space images", setting=setting)
    if missing:
        return failed(
            provider, f"does not check {', '.join(missing)} before granting access", setting=setting
        )
    return passed(
        provider,
        "grants access only to attested Confidential Space workloads running the expected image",
        setting=setting,
    )


# ---------------------------------------------------------------------------- 4.5.4


@check(
    "TF-CONFIDENTIAL-COMPUTE",
    requirement="4.5.4",
    severity="high",
    title="Confidential workloads run on confidential VMs or nodes (TEE)",
    remediation="GCP: `confidential_instance_config` (SEV_SNP/TDX) or GKE `confidential_nodes`; "
    'AWS: `cpu_options { amd_sev_snp = "enabled" }` or Nitro Enclaves; Azure: '
    "`os_disk.security_encryption_type` with `vtpm_enabled` and "
    "`secure_boot_enabled`.",
    references=(
        "https://cloud.google.com/confidential-computing/confidential-vm/docs/"
        "confidential-vm-overview",
    ),
)
def confidential_compute(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """TEEs encrypt memory and measure what runs. Resources declared `confidential` (config
    classes or a `c4guard-class` tag) must have one; any TEE setting is evidence."""
    yield from tee_outcomes(terraform(inv), "confidential", "4.5.4", any_tee_counts=True)


# ---------------------------------------------------------------------------- 4.5.5


@check(
    "TF-MODEL-KEY-ATTESTED",
    requirement="4.5.5",
    severity="medium",
    title="Model storage is encrypted with keys released only on attestation",
    remediation="Encrypt model buckets with a KMS key whose policy requires "
    "kms:RecipientAttestation conditions (or a Confidential Space-bound key).",
    references=("https://docs.aws.amazon.com/enclaves/latest/user/kms.html",),
)
def model_keys_attested(inv: Inventory) -> Iterator[Outcome]:
    """Sealed model weights: the key that decrypts them is released only to a measured
    TEE. Partial evidence: it cannot show that inference itself prevents extraction."""
    index = terraform(inv)
    for bucket in model_buckets(index):
        for _value, key in bucket_keys(index, bucket):
            if key is None:
                continue
            if (
                key.kind == "aws_kms_key" and _attestation_conditions(index, key)
            ) or _confidential_space_key(index, key):
                yield passed(
                    bucket, f"is encrypted with {key.address}, released only on attestation"
                )
            else:
                yield failed(
                    bucket,
                    f"holds model weights encrypted with {key.address}, "
                    "which is released without attestation",
                )
