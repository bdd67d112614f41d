"""C4.1 Runtime isolation: Terraform evidence for ECS task definitions and SageMaker
notebooks (4.1.1) and for high-risk resources on TEEs (4.1.5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from c4guard.checks.registry import Outcome, check, failed, passed, unknown
from c4guard.checks.terraform.common import expect, tee_outcomes
from c4guard.model import NotApplicable
from c4guard.views.terraform import TfResource, as_document, terraform, unknown_reason

if TYPE_CHECKING:
    from c4guard.inventory import Inventory

ROOT_USERS = frozenset({"root", "0", "0:0", "root:root"})


@check(
    "TF-ECS-PRIVILEGES",
    requirement="4.1.1",
    severity="high",
    title="ECS containers run unprivileged, as a non-root user",
    remediation="In `container_definitions`, remove `privileged: true` and set `user` to a "
    "non-root uid.",
    references=(
        "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/"
        "task_definition_parameters.html#container_definition_security",
    ),
)
def ecs_privileges(inv: Inventory) -> Iterator[Outcome]:
    """A privileged ECS container owns the host; without `user` it runs as the image's
    user, root for most images."""
    for task in terraform(inv).kinds("aws_ecs_task_definition"):
        setting = task.setting("container_definitions")
        containers = as_document(setting.value)
        if not isinstance(containers, list):
            reason = unknown_reason(setting.value) or "not a JSON list"
            yield unknown(
                task, f"container_definitions cannot be read here: {reason}", setting=setting
            )
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
        return failed(
            task,
            f"runs container {name} as {shown} (root unless the image says otherwise)",
            setting=setting,
        )
    return passed(task, f"runs container {name} unprivileged as user {user}", setting=setting)


@check(
    "TF-SAGEMAKER-ROOT",
    requirement="4.1.1",
    severity="high",
    title="SageMaker notebook users have no root access",
    remediation='Set `root_access = "Disabled"` on the notebook instance.',
    references=("https://docs.aws.amazon.com/sagemaker/latest/dg/nbi-root-access.html",),
)
def sagemaker_root(inv: Inventory) -> Iterator[Outcome]:
    """root_access defaults to Enabled: every notebook user is root on the instance."""
    for notebook in terraform(inv).kinds("aws_sagemaker_notebook_instance"):
        yield expect(
            notebook,
            notebook.setting("root_access", default="Enabled"),
            "Disabled",
            "gives users no root access",
            "gives users root access",
        )


# ---------------------------------------------------------------------------- 4.1.5


@check(
    "TF-HIGH-RISK-TEE",
    requirement="4.1.5",
    severity="high",
    title="High-risk workloads run on hardware-isolated (TEE) machines",
    remediation="Run resources declared high-risk on confidential VMs or nodes (SEV-SNP, "
    "TDX, Nitro Enclaves) and release their secrets only after attestation.",
    references=(
        "https://cloud.google.com/confidential-computing/confidential-vm/docs/"
        "confidential-vm-overview",
    ),
)
def high_risk_tee(inv: Inventory) -> Iterator[Outcome | NotApplicable]:
    """Hardware isolation is what 4.1.5 asks of high-risk workloads; that attestation
    happens before they run needs review (partial evidence)."""
    yield from tee_outcomes(terraform(inv), "high-risk", "4.1.5", any_tee_counts=False)
