"""C4.2 Secure build and deployment pipelines: Terraform evidence that deployments verify
signatures (4.2.3, GKE Binary Authorization)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.views.terraform import TfResource, terraform, unknown_reason

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

ENFORCE = "PROJECT_SINGLETON_POLICY_ENFORCE"


@check(
    "TF-GKE-BINARY-AUTHZ",
    requirement="4.2.3",
    severity="high",
    title="GKE enforces a Binary Authorization policy that requires attestations",
    remediation="Set `binary_authorization { evaluation_mode = "
    '"PROJECT_SINGLETON_POLICY_ENFORCE" }` on the cluster and a '
    "`google_binary_authorization_policy` whose rules use REQUIRE_ATTESTATION "
    "with ENFORCED_BLOCK_AND_AUDIT_LOG.",
    references=("https://cloud.google.com/binary-authorization/docs/overview",),
)
def gke_binary_authorization(inv: Inventory) -> Iterator[Outcome]:
    """Only the cluster setting and an enforcing policy together reject unsigned images;
    DRYRUN_AUDIT_LOG_ONLY only logs."""
    index = terraform(inv)
    policies = index.kinds("google_binary_authorization_policy")
    for policy in policies:
        yield _policy_outcome(policy)
    for cluster in index.kinds("google_container_cluster"):
        setting = cluster.setting("binary_authorization", "evaluation_mode")
        legacy = cluster.get("enable_binary_authorization") is True
        if setting.value != ENFORCE and not legacy:
            reason = unknown_reason(setting.value)
            if reason and setting.present:
                yield unknown(
                    cluster, f"Binary Authorization mode is unknown: {reason}", setting=setting
                )
            else:
                yield failed(
                    cluster,
                    "does not enforce Binary Authorization "
                    f"(evaluation_mode = {setting.value or 'DISABLED'})",
                    setting=setting,
                )
        elif not policies:
            yield unknown(
                cluster,
                "enforces the project's Binary Authorization policy, which "
                "is not among the scanned files",
                setting=setting,
            )
        else:
            yield passed(
                cluster, "enforces the project's Binary Authorization policy", setting=setting
            )


def _policy_outcome(policy: TfResource) -> Outcome:
    rules = [("default_admission_rule", r) for r in policy.blocks("default_admission_rule")]
    for key in ("cluster_admission_rules", "kubernetes_namespace_admission_rules"):
        rules += [(key, r) for r in policy.blocks(key)]
    if not rules:
        return failed(policy, "has no admission rule")
    for key, rule in rules:
        mode, enforcement = rule.get("evaluation_mode"), rule.get("enforcement_mode")
        if unknown_reason(mode) or unknown_reason(enforcement):
            return unknown(policy, f"{key} is not known before apply", setting=policy.setting(key))
        if mode != "REQUIRE_ATTESTATION" or enforcement != "ENFORCED_BLOCK_AND_AUDIT_LOG":
            return failed(
                policy,
                f"{key} uses {mode} with {enforcement}: unverified images are admitted",
                setting=policy.setting(key, "enforcement_mode"),
            )
    return passed(
        policy,
        "requires attestations and blocks images without them",
        setting=policy.setting("default_admission_rule"),
    )
