"""Renders kept across runs in `scan --cache-dir`: a warm scan reports what a cold one does
without rendering again, and one changed byte in a chart's values or in an overlay's base
is rendered anew and seen."""

from __future__ import annotations

from pathlib import Path

import pytest

from c4guard.sources.cache import FOLDER
from tests.sources.test_parse_cache import entries, scan_report, verdicts

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: registry.example/web@sha256:{digest}
          securityContext:
            runAsUser: {uid}
"""
DIGEST = "b" * 64


def overlay(root: Path, uid: str) -> Path:
    """A Kustomize overlay whose base sets runAsUser; returns the base's file."""
    base = root / "base"
    base.mkdir(parents=True, exist_ok=True)
    (base / "deployment.yaml").write_text(DEPLOYMENT.format(digest=DIGEST, uid=uid))
    (base / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    prod = root / "overlays" / "prod"
    prod.mkdir(parents=True, exist_ok=True)
    (prod / "kustomization.yaml").write_text("namespace: prod\nresources: [../../base]\n")
    return base / "deployment.yaml"


def chart(root: Path, uid: str) -> Path:
    """A Helm chart whose values set runAsUser; returns its values file."""
    templates = root / "web" / "templates"
    templates.mkdir(parents=True, exist_ok=True)
    (root / "web" / "Chart.yaml").write_text("apiVersion: v2\nname: web\nversion: 0.1.0\n")
    (root / "web" / "values.yaml").write_text(f"uid: {uid}\n")
    template = DEPLOYMENT.format(digest=DIGEST, uid="{{ .Values.uid }}")
    (templates / "deployment.yaml").write_text(template)
    return root / "web" / "values.yaml"


@pytest.mark.parametrize("build", [overlay, chart], ids=["kustomize", "helm"])
def test_a_warm_scan_reuses_renders_and_sees_a_changed_byte(
    tmp_path: Path, renderers, build
) -> None:
    tree = tmp_path / "tree"
    cache = tmp_path / "cache"
    changed = build(tree, "0")
    plain = scan_report(str(tree))
    cold = scan_report(str(tree), "--cache-dir", str(cache))
    assert cold == plain
    assert verdicts(cold, "K8S-RUN-AS-NON-ROOT") == ["fail"]
    kept = {p: p.stat().st_mtime_ns for p in entries(cache)}
    assert any(b"kind: Deployment" in p.read_bytes() for p in kept)  # the render's output
    assert scan_report(str(tree), "--cache-dir", str(cache)) == cold
    assert {p: p.stat().st_mtime_ns for p in entries(cache)} == kept  # nothing rendered again

    changed.write_text(changed.read_text().replace(": 0", ": 1"))  # one byte
    warm = scan_report(str(tree), "--cache-dir", str(cache))
    assert verdicts(warm, "K8S-RUN-AS-NON-ROOT") == ["pass"]
    assert warm == scan_report(str(tree))
    assert len(entries(cache)) > len(kept)
    assert (cache / FOLDER).is_dir()
