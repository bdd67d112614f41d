"""c4guard.yaml: validation errors name file, line and key."""

from __future__ import annotations

import pytest

from c4guard.config import load_config
from c4guard.errors import ConfigError


def errors(write, text: str) -> list[str]:
    path = write("c4guard.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.messages


def test_full_config_loads(write) -> None:
    path = write(
        "c4guard.yaml",
        """
        version: 1
        level: 2
        classes:
          - classes: [untrusted-model]
            namespaces: ["sandbox-*"]
        environments:
          - environment: prod
            namespaces: ["prod-*"]
        runtime_classes:
          sandbox: [gvisor]
        exceptions:
          - check: K8S-PRIVILEGED
            resource: {kind: DaemonSet, namespace: gpu-operator}
            reason: the driver installer needs the host
            expires: 2030-01-31
            approver: security@example.com
        attestations:
          - requirement: "4.5.7"
            statement: no collaborative training
            evidence: [https://wiki.example/smpc]
            owner: ml-platform
            reviewed: 2026-10-01
            expires: 2027-04-01
        not_applicable:
          - requirement: "4.8.1"
            reason: no edge devices
        audit: {db: /var/lib/c4guard/audit.db}
    """,
    )
    config = load_config(path)
    assert config.level == 2 and config.exceptions[0].expires.year == 2030
    assert config.runtime_classes.sandbox == ["gvisor"]


def test_unknown_key_names_file_line_and_key(write) -> None:
    [message] = errors(write, "version: 1\nlevels: 2\n")
    assert message.endswith("c4guard.yaml:2: levels: unknown key")


def test_bad_nested_value_names_its_line(write) -> None:
    [message] = errors(
        write,
        """
        version: 1
        exceptions:
          - check: K8S-PRIVILEGED
            reason: ok
            expires: next-year
    """,
    )
    assert "c4guard.yaml:5: exceptions[0].expires:" in message


def test_exception_requires_reason_and_expiry(write) -> None:
    messages = errors(write, "version: 1\nexceptions:\n  - check: K8S-PRIVILEGED\n")
    joined = "\n".join(messages)
    assert "exceptions[0].reason: required key is missing" in joined
    assert "exceptions[0].expires: required key is missing" in joined
    assert all(":3:" in m for m in messages)


def test_unknown_class_and_bad_requirement_id(write) -> None:
    messages = errors(
        write,
        """
        version: 1
        classes:
          - classes: [gpu-hungry]
        not_applicable:
          - requirement: "9.9.9"
            reason: x
    """,
    )
    joined = "\n".join(messages)
    assert ":3: classes[0].classes:" in joined and "gpu-hungry" in joined
    assert ":5: not_applicable[0].requirement:" in joined


def test_missing_version_and_invalid_yaml(write) -> None:
    assert "version: 1" in errors(write, "level: 1\n")[0]
    assert ":3: invalid YAML" in errors(write, "version: 1\nlevel: [\n")[0]
