"""Class and environment detection: what makes a workload `ai` or `untrusted-model`, and
which environment it belongs to, each with its reason."""

from __future__ import annotations

import textwrap

import pytest

from c4guard.inventory import Inventory
from c4guard.sources.kinds import read_structured


def workload(manifest: str, extra: str = ""):
    text = textwrap.dedent(manifest) + textwrap.dedent(extra)
    inv = Inventory(read_structured(text, "w.yaml").resources)
    return inv.workloads[0]


def pod(container: str, namespace: str = "ns", labels: str = "{}") -> str:
    return f"""
apiVersion: v1
kind: Pod
metadata: {{name: p, namespace: {namespace}, labels: {labels}}}
spec:
  containers:
    - {container}
"""


@pytest.mark.parametrize(
    ("container", "ai"),
    [
        ("{name: a, image: kserve/sklearnserver:v0.14.0}", True),
        ("{name: a, image: kserve/kserve-controller:v0.14.0}", False),
        ("{name: a, image: seldonio/seldon-core-operator:1.18}", False),
        ("{name: a, image: docker.io/vllm/vllm-openai:v0.6.3}", True),
        ("{name: a, image: nginx:1.27}", False),
        ("{name: a, image: x, resources: {limits: {amd.com/gpu: 1}}}", True),
        ("{name: a, image: x, resources: {limits: {nvidia.com/mig-1g.10gb: 1}}}", True),
        ("{name: a, image: x, resources: {limits: {aws.amazon.com/neuron: 1}}}", True),
    ],
)
def test_ai_detection(container: str, ai: bool) -> None:
    assert ("ai" in workload(pod(container)).classes) is ai


@pytest.mark.parametrize(
    ("container", "untrusted"),
    [
        ('{name: a, image: x, args: ["--model", "meta-llama/Llama-3.1-8B"]}', True),
        ('{name: a, image: x, args: ["--model=/mnt/models"]}', False),
        ('{name: a, image: x, args: ["--model", "s3://bucket/model"]}', False),
        (
            '{name: a, image: x, command: ["sh", "-c", "vllm serve Qwen/Qwen2.5-7B --port 8000"]}',
            True,
        ),
        ('{name: a, image: x, env: [{name: HF_MODEL_ID, value: "bigscience/bloom"}]}', True),
        ('{name: a, image: x, env: [{name: MODEL_ID, value: "/models/bloom"}]}', False),
        ('{name: a, image: x, env: [{name: TRUST_REMOTE_CODE, value: "true"}]}', True),
        ('{name: a, image: x, args: ["python -c \\"f(trust_remote_code=True)\\""]}', True),
    ],
)
def test_untrusted_model_detection(container: str, untrusted: bool) -> None:
    classes = workload(pod(container)).classes
    assert ("untrusted-model" in classes) is untrusted
    if untrusted:
        assert "w.yaml:" in classes["untrusted-model"]


@pytest.mark.parametrize(
    ("namespace", "labels", "environment"),
    [
        ("llm-prod", "{}", "prod"),
        ("team-a", "{environment: Production}", "prod"),
        ("staging-eval", "{}", "staging"),
        ("team-a", "{}", None),
    ],
)
def test_environment_detection(namespace: str, labels: str, environment: str | None) -> None:
    detected = workload(pod("{name: a, image: x}", namespace, labels))
    assert detected.environment == environment
    if environment:
        assert detected.environment_reason


def test_namespace_labels_give_the_environment() -> None:
    detected = workload(
        pod("{name: a, image: x}", "team-a"),
        """
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {env: dev}}
""",
    )
    assert detected.environment == "dev"
    assert detected.environment_reason == "namespace label env=dev"


def test_annotation_declares_classes_and_config_selectors_add_them() -> None:
    from c4guard.config import Config

    manifest = pod("{name: a, image: x}").replace(
        "metadata: {name: p,", "metadata: {annotations: {c4guard.dev/class: high-risk}, name: p,"
    )
    rule = {"namespaces": ["ns"], "classes": ["confidential"]}
    config = Config.model_validate({"classes": [rule]})
    inv = Inventory(read_structured(manifest, "w.yaml").resources, config)
    classes = inv.workloads[0].classes
    assert classes["high-risk"].startswith("annotation c4guard.dev/class")
    assert classes["confidential"].startswith("config classes[0]")
