"""Kubernetes semantics helpers: image references and glob dialects, label and Calico
selectors, Go durations, mosquitto configuration, seccomp profile judgement."""

from __future__ import annotations

import pytest

from c4guard.checks.kubernetes.network import go_duration_hours
from c4guard.kube import selectors
from c4guard.kube.images import parse_image, sigstore_match, wildcard_match
from c4guard.kube.netpol import calico_selector
from c4guard.kube.seccomp import judge_profile
from c4guard.sources.mosquitto import parse_mosquitto

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("reference", "registry", "repository", "tag", "pinned"),
    [
        ("nginx", "docker.io", "library/nginx", None, False),
        ("vllm/vllm-openai:v0.6.3", "docker.io", "vllm/vllm-openai", "v0.6.3", False),
        ("localhost:5000/app:1", "localhost:5000", "app", "1", False),
        (f"ghcr.io/acme/app@{DIGEST}", "ghcr.io", "acme/app", None, True),
        (
            f"registry.internal.example:443/ml/app:1@{DIGEST}",
            "registry.internal.example:443",
            "ml/app",
            "1",
            True,
        ),
        ("ghcr.io/acme/app@sha256:short", "ghcr.io", "acme/app", None, False),
    ],
)
def test_parse_image(
    reference: str, registry: str, repository: str, tag: str | None, pinned: bool
) -> None:
    image = parse_image(reference)
    assert (image.registry, image.repository, image.tag, image.pinned) == (
        registry,
        repository,
        tag,
        pinned,
    )


def test_glob_dialects() -> None:
    nested = parse_image("ghcr.io/acme/models/llama:1")
    assert wildcard_match("ghcr.io/acme/*", nested)  # Kyverno: * crosses /
    assert not sigstore_match("ghcr.io/acme/*", nested)  # policy-controller: it does not
    assert sigstore_match("ghcr.io/acme/**", nested)
    assert sigstore_match("index.docker.io/library/nginx", parse_image("nginx:1.27"))
    assert wildcard_match("docker.io/*", parse_image("vllm/vllm-openai:v0.6.3"))


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ({}, {"a": "1"}, True),
        (None, {"a": "1"}, False),
        ({"matchLabels": {"a": "1"}}, {"a": "1"}, True),
        ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
        ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {}, False),
    ],
)
def test_label_selectors(selector, labels, expected) -> None:
    assert selectors.matches(selector, labels) is expected


@pytest.mark.parametrize(
    ("expression", "labels", "expected"),
    [
        ("all()", {}, True),
        ("app == 'web' && has(tier)", {"app": "web", "tier": "x"}, True),
        (
            "projectcalico.org/namespace not in {'kube-system', 'calico'}",
            {"projectcalico.org/namespace": "ml"},
            True,
        ),
        ("!has(debug)", {"debug": "1"}, False),
    ],
)
def test_calico_selectors(expression: str, labels: dict, expected: bool) -> None:
    predicate = calico_selector(expression)
    assert predicate is not None and predicate(labels) is expected


def test_calico_selectors_c4guard_cannot_read_are_marked() -> None:
    assert calico_selector("app starts with 'web'") is None


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("2160h", 2160.0),
        ("720h0m0s", 720.0),
        ("90m", 1.5),
        ("8760h", 8760.0),
        ("90d", None),
    ],
)
def test_go_durations(text: str, hours: float | None) -> None:
    assert go_duration_hours(text) == hours


def test_mosquitto_listeners_and_settings() -> None:
    config = parse_mosquitto(
        "allow_anonymous false\nlistener 8883\ncertfile /c\n"
        "require_certificate true # comment\nlistener 1883 127.0.0.1\n"
    )
    assert [(x.port, x.bind) for x in config.listeners] == [("8883", ""), ("1883", "127.0.0.1")]
    assert config.listeners[0].settings["require_certificate"] == ("true", 4)
    assert config.settings["allow_anonymous"] == ("false", 1)


@pytest.mark.parametrize(
    ("profile", "appropriate"),
    [
        ({"defaultAction": "SCMP_ACT_ERRNO"}, True),
        ({"defaultAction": "SCMP_ACT_ALLOW"}, False),
        (
            {
                "defaultAction": "SCMP_ACT_ERRNO",
                "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ALLOW"}],
            },
            False,
        ),
        (
            {
                "defaultAction": "SCMP_ACT_ERRNO",
                "syscalls": [
                    {
                        "names": ["bpf"],
                        "action": "SCMP_ACT_ALLOW",
                        "includes": {"caps": ["CAP_SYS_ADMIN"]},
                    }
                ],
            },
            True,
        ),
        (
            {
                "defaultAction": "SCMP_ACT_ERRNO",
                "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}],
            },
            True,
        ),
    ],
)
def test_seccomp_profiles(profile: dict, appropriate: bool) -> None:
    assert judge_profile(profile).appropriate is appropriate
