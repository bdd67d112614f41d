"""The charts and overlays of the shared corpus (KServe, the GPU operator, Kubeflow's
manifests, AI-on-GKE) render and are judged with the `c4guard[render]` extra."""

from __future__ import annotations

import os

import pytest

from c4guard.sources import ReadOptions, read_inputs
from c4guard.sources.discover import discover
from c4guard.sources.layout import analyse_layout
from c4guard.sources.render.charts import find_charts
from tests.conftest import shared_path

REPOS = ("kserve__kserve", "NVIDIA__gpu-operator", "GoogleCloudPlatform__ai-on-gke")
# Files over 1 MiB were left out of the corpus (big CRDs, generated code): overlays that
# need one cannot build, and say which file is missing.
MISSING_FILE = "no such file or directory"


@pytest.fixture(autouse=True)
def extra_renderers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C4GUARD_RENDERERS", "extra")


# a chart of each repository and what it deploys with its default values (gmp-engine, for
# one, renders nothing by default: its frontend subchart is disabled)
DEPLOYING_CHARTS = {
    "kserve__kserve": ("helm charts/kserve-resources", ("Deployment",)),
    "NVIDIA__gpu-operator": ("helm deployments/gpu-operator", ("Deployment", "DaemonSet")),
    "GoogleCloudPlatform__ai-on-gke": ("helm modules/iap/charts/iap", ("Ingress",)),
}


@pytest.mark.slow
@pytest.mark.parametrize("repo", REPOS)
def test_every_chart_of_the_corpus_renders_and_is_judged(repo: str, renderers) -> None:
    root = shared_path("corpus", repo)
    charts = find_charts(discover([str(root)]).files)
    inputs = read_inputs([str(root)], ReadOptions(jobs=2))
    assert charts
    assert [e for e in inputs.summary.input_errors if "Helm render failed" in e.reason] == []
    chart_paths = {str(c.directory) for c in charts}
    assert not [n for n in inputs.summary.render_notices if n.path in chart_paths]
    label, kinds = DEPLOYING_CHARTS[repo]
    workloads = [
        r for r in inputs.resources if r.render.startswith(label + " [") and r.kind in kinds
    ]
    assert workloads and all(r.location.path.startswith(str(root)) for r in workloads)
    assert all("/templates/" in r.location.path for r in workloads)


@pytest.mark.slow
def test_kubeflow_overlays_build_and_only_corpus_gaps_fail(renderers) -> None:
    root = shared_path("corpus", "kubeflow__manifests")
    inputs = read_inputs([str(root)], ReadOptions(jobs=2))
    built = {r.render for r in inputs.resources if r.render.startswith("kustomize ")}
    # of 65 top-level overlays, 16 need a remote base and 8 a file the corpus left out
    assert len(built) >= 40
    assert "kustomize applications/katib/upstream/installs/katib-standalone-postgres" in built
    assert "kustomize applications/pipeline/upstream/env/plain" in built
    failures = [e for e in inputs.summary.input_errors if "kustomize build failed" in e.reason]
    assert all(MISSING_FILE in e.reason for e in failures), failures
    charts = {r.render.split(" [")[0] for r in inputs.resources if r.render.startswith("helm ")}
    assert {
        "helm experimental/helm/charts/katib",
        "helm experimental/helm/charts/model-registry",
    } <= charts
    kustomizations = analyse_layout(discover([str(root)]).files).kustomizations
    patches = {p for k in kustomizations for p in k.patch_files()}
    assert len(patches) > 20
    judged_alone = [
        r for r in inputs.resources if not r.render and os.path.realpath(r.location.path) in patches
    ]
    assert judged_alone == []
