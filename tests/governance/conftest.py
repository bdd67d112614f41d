"""Governance test helpers: scan through the command line and read the JSON report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from c4guard.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
PRIVILEGED_POD = """
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  containers: [{name: app, image: x, securityContext: {privileged: true}}]
"""


def scan_json(*args: str) -> tuple[int, dict[str, Any]]:
    """Run `c4guard scan ARGS --format json`; the exit code and the report."""
    result = CliRunner().invoke(main, ["scan", *args, "--format", "json"], catch_exceptions=False)
    return result.exit_code, json.loads(result.stdout)


def findings(report: dict[str, Any], check_id: str) -> dict[str, dict[str, Any]]:
    """The findings of a check by resource name."""
    return {
        f["resource"]["name"]: f
        for r in report["requirements"]
        for f in r["findings"]
        if f["check_id"] == check_id
    }


def exceptions_by(report: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [
        e
        for e in report["governance"]["exceptions"]
        if (e.get("resource") or {}).get("name") == name
    ]
