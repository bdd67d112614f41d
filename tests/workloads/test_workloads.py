"""Workload views: every AI kind's containers are checked; runtimes merge as their
controllers merge them."""

from __future__ import annotations

from pathlib import Path

import pytest

from c4guard.model import Assessment
from c4guard.sources import read_inputs
from c4guard.workloads import build_workloads
from tests.conftest import findings_of, scan_paths

FIXTURES = Path(__file__).parent / "fixtures"

EXPECTED_CONTAINERS = {
    ("RayCluster", "container head (head)"),
    ("RayCluster", "container worker (worker gpu)"),
    ("RayCluster", "init container wait (worker gpu)"),
    ("RayJob", "container head (head)"),
    ("RayJob", "container worker (worker small)"),
    ("RayJob", "container submit (submitter)"),
    ("RayService", "container head (head)"),
    ("RayService", "container worker (worker serve)"),
    ("PyTorchJob", "container pytorch (Master)"),
    ("PyTorchJob", "container pytorch (Worker)"),
    ("TFJob", "container tensorflow (Chief)"),
    ("TFJob", "container tensorflow (PS)"),
    ("MPIJob", "container launcher (Launcher)"),
    ("MPIJob", "container worker (Worker)"),
    ("XGBoostJob", "container xgboost (Master)"),
    ("PaddleJob", "container paddle (Worker)"),
    ("JobSet", "container trainer (trainers)"),
    ("LeaderWorkerSet", "container leader (leader)"),
    ("LeaderWorkerSet", "container worker (worker)"),
    ("InferenceService", "container kserve-container (predictor)"),
    ("InferenceService", "container transformer (transformer)"),
    ("InferenceService", "container explainer (explainer)"),
    ("CronJob", "container nightly"),
    ("Pod", "ephemeral container debugger"),
}


@pytest.fixture(scope="module")
def ai_kinds() -> Assessment:
    return scan_paths([str(FIXTURES / "ai-kinds.yaml")])


@pytest.mark.parametrize(("kind", "subject"), sorted(EXPECTED_CONTAINERS))
def test_ai_kind_containers_are_checked(ai_kinds: Assessment, kind: str, subject: str) -> None:
    failing = {
        (f.resource.kind, f.subject)
        for f in findings_of(ai_kinds, "K8S-PRIVILEGED")
        if f.result.value == "fail"
    }
    assert (kind, subject) in failing


def test_privileged_findings_point_at_each_container_line(ai_kinds: Assessment) -> None:
    lines = FIXTURES.joinpath("ai-kinds.yaml").read_text().splitlines()
    for finding in findings_of(ai_kinds, "K8S-PRIVILEGED"):
        if finding.result.value == "fail":
            assert "privileged: true" in lines[finding.location.line - 1]


def test_trainjob_without_runtime_is_checked_as_written(ai_kinds: Assessment) -> None:
    [finding] = [
        f for f in findings_of(ai_kinds, "K8S-RUN-AS-NON-ROOT") if f.resource.kind == "TrainJob"
    ]
    assert finding.result.value == "fail"
    assert "not among the inputs" in finding.message


def _merged(name: str) -> dict:
    inputs = read_inputs([str(FIXTURES / "kserve-merge.yaml")])
    workload = next(w for w in build_workloads(inputs.resources) if w.resource.name == name)
    [pod] = workload.pods
    return {"pod": pod, "container": pod.containers[0]}


def test_kserve_auto_selects_namespaced_runtime_and_merges_container() -> None:
    container = _merged("auto")["container"]
    assert container.image == "vllm/vllm-openai:v0.6.0"
    assert container.security("allowPrivilegeEscalation").value is False
    assert container.security("runAsNonRoot").value is True
    seccomp = container.security("seccompProfile", "type")
    assert seccomp.value == "RuntimeDefault" and seccomp.source == "pod"
    assert seccomp.location.path.endswith("kserve-merge.yaml") and seccomp.location.line == 24


def test_kserve_model_settings_override_the_named_cluster_runtime() -> None:
    container = _merged("named")["container"]
    user = container.security("runAsUser")
    assert user.value == 1000 and user.location.line == 58
    assert container.security("readOnlyRootFilesystem").location.line == 13


def test_kserve_runtime_used_by_a_service_is_not_reported_twice() -> None:
    assessment = scan_paths([str(FIXTURES / "kserve-merge.yaml")])
    kinds = {f.resource.kind for f in findings_of(assessment)}
    assert "ServingRuntime" not in kinds and "ClusterServingRuntime" not in kinds


def test_kserve_missing_runtime_is_noted_in_findings() -> None:
    assessment = scan_paths([str(FIXTURES / "kserve-merge.yaml")])
    messages = [
        f.message for f in findings_of(assessment, "K8S-SECCOMP") if f.resource.name == "missing"
    ]
    assert messages and all("'sklearn' among the inputs" in m for m in messages)


def test_kserve_unused_runtime_is_checked_on_its_own(write, scan) -> None:
    write(
        "rt.yaml",
        """
        apiVersion: serving.kserve.io/v1alpha1
        kind: ClusterServingRuntime
        metadata: {name: lonely}
        spec:
          containers:
            - name: kserve-container
              image: x
              securityContext: {privileged: true}
    """,
    )
    [finding] = [f for f in findings_of(scan(), "K8S-PRIVILEGED") if f.result.value == "fail"]
    assert finding.resource.kind == "ClusterServingRuntime" and finding.location.line == 8


def test_trainjob_merges_trainer_into_runtime_node() -> None:
    inputs = read_inputs([str(FIXTURES / "trainjob.yaml")])
    [job] = [w for w in build_workloads(inputs.resources) if w.resource.kind == "TrainJob"]
    roles = {pod.role: pod for pod in job.pods}
    assert set(roles) == {"dataset-initializer", "node"}
    node = roles["node"].containers[0]
    assert node.image == "registry.example/trainer:1.0"
    assert node.spec["resources"] == {"limits": {"nvidia.com/gpu": 1}}
    assert node.security("privileged").value is True
    assert node.security("privileged").location.line == 32
    assert job.namespace == "research"
