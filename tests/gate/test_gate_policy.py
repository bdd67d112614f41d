"""The `gate:` section of c4guard.yaml: validated, with errors at file, line and key."""

from __future__ import annotations

import pytest

from c4guard.config import load_config
from c4guard.config.gate import GatePolicy
from c4guard.errors import ConfigError
from c4guard.model import Severity


def errors(write, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write("c4guard.yaml", text))
    return caught.value.messages


def test_gate_section_loads(write):
    config = load_config(
        write(
            "c4guard.yaml",
            """
        version: 1
        gate:
          checks: {exclude: ["K8S-APPARMOR"]}
          rules:
            - {checks: ["K8S-READONLY-*"], action: warn}
            - {max_level: 2, min_severity: medium, namespaces: ["prod-*"], action: deny}
          default: warn
          images: {trust_policy: trust.yaml, cache_ttl: 60}
          time_budget: 3
          audit_reserve: 0.5
    """,
        )
    )
    policy = config.gate
    assert policy is not None and policy.decision_budget == 2.5
    assert not policy.checks.selects("K8S-APPARMOR") and policy.checks.selects("K8S-SECCOMP")
    assert policy.action_for("K8S-READONLY-ROOTFS", "4.1.3", 2, Severity.MEDIUM, "prod-a") == "warn"
    assert policy.action_for("K8S-SECCOMP", "4.1.2", 1, Severity.HIGH, "prod-a") == "deny"
    assert policy.action_for("K8S-SECCOMP", "4.1.2", 1, Severity.HIGH, "dev") == "warn"


def test_defaults_deny_level_1_high_and_verify_images():
    policy = GatePolicy()
    assert policy.action_for("X", "4.1.1", 1, Severity.CRITICAL, None) == "deny"
    assert policy.action_for("X", "4.1.1", 1, Severity.MEDIUM, None) == "warn"
    assert policy.action_for("X", "4.1.3", 2, Severity.CRITICAL, None) == "warn"
    assert policy.images.verify and policy.images.action == "deny"
    assert policy.digest == GatePolicy().digest != GatePolicy(default="deny").digest


def test_unknown_gate_key_names_its_line(write):
    messages = errors(
        write,
        """
        version: 1
        gate:
          rules:
            - checks: [K8S-PRIVILEGED]
              actoin: warn
    """,
    )
    assert any(m.endswith("c4guard.yaml:5: gate.rules[0].actoin: unknown key") for m in messages)
    assert any(
        m.endswith("c4guard.yaml:4: gate.rules[0].action: required key is missing")
        for m in messages
    )


def test_bad_values_are_reported(write):
    messages = errors(
        write,
        """
        version: 1
        gate:
          rules:
            - {requirements: ["5.1.1"], action: block}
    """,
    )
    assert any(":4: gate.rules[0].requirements: " in m and "5.1.1" in m for m in messages)
    assert any(":4: gate.rules[0].action: Input should be 'deny' or 'warn'" in m for m in messages)


def test_the_audit_reserve_fits_in_the_budget(write):
    [message] = errors(
        write,
        """
        version: 1
        gate:
          time_budget: 2
          audit_reserve: 3
    """,
    )
    assert ":2: gate: " in message and "audit_reserve must be shorter than time_budget" in message
