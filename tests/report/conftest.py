"""A scan with every kind of governance entry, shared by the report tests: inline and
annotation suppressions (active, expired, reason-less), config exceptions, attestations
(applied, expired, over a failure), a declared not-applicable requirement, a hostile
resource name, and a file that cannot be parsed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from c4guard.cli import main
from tests.governance.conftest import FIXTURES

CONFIG = """\
version: 1
exceptions:
  - check: K8S-RUN-AS-NON-ROOT
    resource: {namespace: gpu-operator}
    reason: the driver container must run as root
    expires: 2099-12-31
    approver: security@example.com
  - check: K8S-CAPS-DROP-ALL
    reason: an old exception
    expires: 2020-01-31
attestations:
  - requirement: "4.5.7"
    statement: no collaborative training across organisations
    evidence: [https://wiki.example/smpc, "javascript:alert(1)"]
    owner: ml-platform
    reviewed: 2026-01-01
    expires: 2099-04-01
  - requirement: "4.8.3"
    statement: edge devices are inventoried
    owner: edge-team
    reviewed: 2020-01-01
    expires: 2020-06-30
  - requirement: "4.1.1"
    statement: we think it is fine
    owner: platform
    reviewed: 2026-01-01
    expires: 2099-01-01
not_applicable:
  - requirement: "4.8.1"
    reason: no edge devices
"""
HOSTILE = """\
apiVersion: v1
kind: Pod
metadata:
  name: "<img src=x onerror=alert(1)>|</script><script>alert(2)</script>"
  namespace: "ml`|"
spec:
  containers: [{name: "<b>app</b>", image: x, securityContext: {privileged: true}}]
---
apiVersion: v1
kind: Pod
metadata: {name: " line\\nbreak\\u0001 ", namespace: ns}
spec:
  containers: [{name: app, image: x}]
"""


@pytest.fixture
def governed(tmp_path: Path) -> Path:
    root = tmp_path / "platform"
    root.mkdir()
    shutil.copy(FIXTURES / "suppressions.yaml", root)
    (root / "c4guard.yaml").write_text(CONFIG)
    (root / "hostile.yaml").write_text(HOSTILE)
    (root / "broken.yaml").write_text("apiVersion: v1\nkind: [\n")
    return root


def report(*args: str) -> Result:
    return CliRunner().invoke(main, ["scan", *args], catch_exceptions=False)
