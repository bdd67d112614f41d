"""C4.1 Runtime isolation (4.1.1) and C4.2 deployment verification (4.2.3): Terraform
evidence for ECS task definitions, SageMaker notebooks and GKE Binary Authorization."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.checks.terraform_support import (
    TfResource,
    as_document,
    expect,
    terraform,
    unknown_reason,
)

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

TF = "terraform"
ROOT_USERS = frozenset({"root", "0", "0:0", "root:root"})


@check("TF-ECS-PRIVILEGES", requirement="4.1.1", severity="high", domain=TF,
       title="ECS containers run unprivileged, as a non-root user",
       remediation="In `container_definitions`, remove `privileged: true` and set `user` to a "
                   "non-root uid.",
       references=("https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
                   "task_definition_parameters.html#container_definition_security",))
def ecs_privileges(inv: Inventory) -> Iterator[Outcome]:
    """A privileged ECS container owns the host; without `user` it runs as the image's
    user, root for most images."""
    for task in terraform(inv).kinds("aws_ecs_task_definition"):
        setting = task.setting("container_definitions")
        containers = as_document(setting.value)
        if not isinstance(containers, list):
            reason = unknown_reason(setting.value) or "not a JSON list"
            yield unknown(task, f"container_definitions cannot be read here: {reason}",
                          setting=setting)
            continue
        for container in containers:
            if isinstance(container, dict):
                yield _container_outcome(task, container, setting)


def _container_outcome(task: TfResource, container: dict[str, Any], setting: Any) -> Outcome:
    name = container.get("name", "?")
    user = container.get("user")
    if container.get("privileged") is True:
        return failed(task, f"runs container {name} privileged", setting=setting)
    if user is None or str(user) in ROOT_USERS:
        shown = "the image's default user" if user is None else f"user {user}"
        return failed(task, f"runs container {name} as {shown} (root unless the image says "
                            "otherwise)", setting=setting)
    return passed(task, f"runs container {name} unprivileged as user {user}", setting=setting)


@check("TF-SAGEMAKER-ROOT", requirement="4.1.1", severity="high", domain=TF,
       title="SageMaker notebook users have no root access",
       remediation="Set `root_access = \"Disabled\"` on the notebook instance.",
       references=("https://docs.aws.amazon.com/sagemaker/latest/dg/nbi-root-access.html",))
def sagemaker_root(inv: Inventory) -> Iterator[Outcome]:
    """root_access defaults to Enabled: every notebook user is root on the instance."""
    for notebook in terraform(inv).kinds("aws_sagemaker_notebook_instance"):
        yield expect(notebook, notebook.setting("root_access", default="Enabled"), "Disabled",
                     "gives users no root access", "gives users root access")


# ---------------------------------------------------------------------------- 4.2.3

ENFORCE = "PROJECT_SINGLETON_POLICY_ENFORCE"


@check("TF-GKE-BINARY-AUTHZ", requirement="4.2.3", severity="high", domain=TF,
       title="GKE enforces a Binary Authorization policy that requires attestations",
       remediation="Set `binary_authorization { evaluation_mode = "
                   "\"PROJECT_SINGLETON_POLICY_ENFORCE\" }` on the cluster and a "
                   "`google_binary_authorization_policy` whose rules use REQUIRE_ATTESTATION "
                   "with ENFORCED_BLOCK_AND_AUDIT_LOG.",
       references=("https://cloud.google.com/binary-authorization/docs/overview",))
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
                yield unknown(cluster, f"Binary Authorization mode is unknown: {reason}",
                              setting=setting)
            else:
                yield failed(cluster, "does not enforce Binary Authorization "
                                      f"(evaluation_mode = {setting.value or 'DISABLED'})",
                             setting=setting)
        elif not policies:
            yield unknown(cluster, "enforces the project's Binary Authorization policy, which "
                                   "is not among the scanned files", setting=setting)
        else:
            yield passed(cluster, "enforces the project's Binary Authorization policy",
                         setting=setting)


def _policy_outcome(policy: TfResource) -> Outcome:
    rules = [("default_admission_rule", r) for r in policy.blocks("default_admission_rule")]
    for key in ("cluster_admission_rules", "kubernetes_namespace_admission_rules"):
        rules += [(key, r) for r in policy.blocks(key)]
    if not rules:
        return failed(policy, "has no admission rule")
    for key, rule in rules:
        mode, enforcement = rule.get("evaluation_mode"), rule.get("enforcement_mode")
        if unknown_reason(mode) or unknown_reason(enforcement):
            return unknown(policy, f"{key} is not known before apply",
                           setting=policy.setting(key))
        if mode != "REQUIRE_ATTESTATION" or enforcement != "ENFORCED_BLOCK_AND_AUDIT_LOG":
            return failed(policy, f"{key} uses {mode} with {enforcement}: unverified images are "
                                  "admitted", setting=policy.setting(key, "enforcement_mode"))
    return passed(policy, "requires attestations and blocks images without them",
                  setting=policy.setting("default_admission_rule"))
