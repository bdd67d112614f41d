"""Render the chart offline with Helm's own template engine (helm-python-sdk binds Helm's
Go SDK; no helm binary, no cluster)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "c4guard"
VARIANTS = sorted((CHART / "ci").glob("*-values.yaml"))


def render(values: dict[str, Any] | Path, *, upgrade: bool = False) -> str:
    """The chart rendered as one multi-document YAML stream, as `helm template` prints it."""
    if isinstance(values, Path):
        values = yaml.safe_load(values.read_text(encoding="utf-8")) or {}
    chart = helm_python.Chart.load(CHART)
    rendered = chart.render(
        values,
        name="c4guard",
        namespace="c4guard",
        is_install=not upgrade,
        is_upgrade=upgrade,
    )
    documents = sorted((path, text) for path, text in rendered.items() if text.strip())
    return "".join(f"---\n# Source: {path}\n{text}\n" for path, text in documents)


def objects(stream: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(stream) if doc]


def find(docs: list[dict[str, Any]], kind: str, suffix: str = "") -> dict[str, Any]:
    matches = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(suffix)]
    assert len(matches) == 1, f"{kind} *{suffix}: {len(matches)} objects"
    return matches[0]
