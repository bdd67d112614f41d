"""Every AI kind is classified (with the reason) and the class-dependent checks (4.5.1,
4.5.2, 4.7.2) see its containers."""

from __future__ import annotations

import pytest

from c4guard.inventory import Inventory
from c4guard.sources import read_inputs
from tests.checks.kube_fixtures import FIXTURES, scan_scenario
from tests.conftest import findings_of

SCENARIO = FIXTURES / "ai-kinds"
KINDS = (
    "InferenceService",
    "LLMInferenceService",
    "SeldonDeployment",
    "Server",
    "Service",
    "Workflow",
    "CronWorkflow",
    "Notebook",
    "Workload",
    "RayService",
    "PyTorchJob",
    "LeaderWorkerSet",
    "JobSet",
)
CLASS_CHECKS = ("K8S-UNTRUSTED-SANDBOX", "K8S-SANDBOX-EGRESS", "K8S-GPU-ISOLATION")


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return Inventory(read_inputs([str(SCENARIO)]).resources)


@pytest.mark.parametrize("kind", KINDS)
def test_kind_is_classified_with_reasons(inventory: Inventory, kind: str) -> None:
    [workload] = [w for w in inventory.workloads if w.resource.kind == kind]
    assert {"ai", "untrusted-model"} <= set(workload.classes)
    assert "kinds.yaml:" in workload.classes["ai"]
    assert "kinds.yaml:" in workload.classes["untrusted-model"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("check_id", CLASS_CHECKS)
def test_class_dependent_checks_see_the_kind(kind: str, check_id: str) -> None:
    findings = [
        f for f in findings_of(scan_scenario(SCENARIO), check_id) if f.resource.kind == kind
    ]
    assert findings, f"{check_id} does not see {kind}"
    if check_id == "K8S-GPU-ISOLATION":
        assert all(f.subject.startswith("container") for f in findings)
    if check_id == "K8S-UNTRUSTED-SANDBOX":
        assert all("untrusted-model:" in f.message for f in findings)


def test_llm_inference_service_takes_its_image_from_the_base_config(inventory: Inventory) -> None:
    [workload] = [w for w in inventory.workloads if w.resource.kind == "LLMInferenceService"]
    [container] = workload.containers()
    assert container.image == "vllm/vllm-openai:v0.6.3"
    assert container.spec["args"] == ["--max-model-len=8192"]
    unused = [w for w in inventory.workloads if w.resource.kind == "LLMInferenceServiceConfig"]
    assert unused == []


def test_argo_templates_become_pods_with_main_containers(inventory: Inventory) -> None:
    [workflow] = [w for w in inventory.workloads if w.resource.kind == "CronWorkflow"]
    [pod] = workflow.pods
    assert pod.role == "distill" and pod.containers[0].name == "main"
    assert pod.path == "spec.workflowSpec.templates[distill]"


CLASS_DEPENDENT = {
    "K8S-UNTRUSTED-SANDBOX": "untrusted-model:",
    "K8S-EXHAUSTION-PROTECTION": "ai:",
    "K8S-HIGH-RISK-TEE": "high-risk:",
    "K8S-TEE-ATTESTATION": ":",
    "K8S-CONFIDENTIAL-TEE": "confidential:",
    "K8S-CONFIDENTIAL-MODEL-KEYS": "confidential:",
}


@pytest.mark.parametrize("example", ["insecure-platform", "hardened-platform"])
def test_class_dependent_findings_say_why(example: str) -> None:
    from tests.conftest import REPO, scan_paths

    assessment = scan_paths([str(REPO / "examples" / example)])
    checked = 0
    for finding in assessment.findings():
        marker = CLASS_DEPENDENT.get(finding.check_id)
        if marker and finding.subject.startswith("pod"):
            checked += 1
            reason_given = "annotation" in finding.message or ".yaml:" in finding.message
            assert marker in finding.message and reason_given, finding.message
    assert checked
