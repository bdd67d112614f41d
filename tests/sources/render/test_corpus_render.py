"""The charts and overlays of the shared corpus (KServe, the GPU operator, Kubeflow's
manifests, AI-on-GKE) render and are judged with the `c4guard[render]` extra."""

from __future__ import annotations

import pytest

from c4guard.sources import ReadOptions, read_inputs
from c4guard.sources.discover import discover
from c4guard.sources.render.charts import find_charts
from tests.conftest import shared_path

REPOS = ("kserve__kserve", "NVIDIA__gpu-operator", "GoogleCloudPlatform__ai-on-gke")
# Files over 1 MiB were left out of the corpus (big CRDs, generated code): overlays that
# need one cannot build, and say which file is missing.
MISSING_FILE = "no such file or directory"


@pytest.fixture(autouse=True)
def extra_renderers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("C4GUARD_RENDERERS", "extra")


# a chart of each repository that deploys workloads with its default values
WORKLOAD_CHARTS = {
    "kserve__kserve": "helm charts/kserve-resources",
    "NVIDIA__gpu-operator": "helm deployments/gpu-operator",
    "GoogleCloudPlatform__ai-on-gke": "helm charts/gmp-engine",
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
    workloads = [
        r
        for r in inputs.resources
        if r.render.startswith(WORKLOAD_CHARTS[repo] + " [")
        and r.kind in ("Deployment", "DaemonSet", "StatefulSet")
    ]
    assert workloads and all(r.location.path.startswith(str(root)) for r in workloads)
    assert all("/templates/" in r.location.path for r in workloads)


@pytest.mark.slow
def test_kubeflow_overlays_build_and_only_corpus_gaps_fail(renderers) -> None:
    root = shared_path("corpus", "kubeflow__manifests")
    inputs = read_inputs([str(root)], ReadOptions(jobs=2))
    built = {r.render for r in inputs.resources if r.render.startswith("kustomize ")}
    assert len(built) > 50
    assert "kustomize applications/katib/upstream/installs/katib-standalone" in built
    failures = [e for e in inputs.summary.input_errors if "kustomize build failed" in e.reason]
    assert all(MISSING_FILE in e.reason for e in failures), failures
    charts = {r.render.split(" [")[0] for r in inputs.resources if r.render.startswith("helm ")}
    assert {
        "helm experimental/helm/charts/katib",
        "helm experimental/helm/charts/model-registry",
    } <= charts
    judged_alone = [
        r for r in inputs.resources if r.location.path.endswith("patch.yaml") and not r.render
    ]
    assert judged_alone == []
