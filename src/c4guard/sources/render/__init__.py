"""Rendering Helm charts and Kustomize overlays so that what they deploy is judged.

Every chart judged on its own is rendered with each of its values variants, every top-level
overlay is built, in parallel (`--jobs`) and cached within the run (and across runs in
`scan --cache-dir`); the objects are judged
like any manifest, located in the templates, values, patches and bases that wrote them.
A chart or overlay that is not rendered (no renderer, not offline-buildable, or a failed
render) is named in the report and is an evidence gap: nothing passes on its account.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from c4guard.model import EvidenceGap, InputError, Origin, RenderNotice, Resource
from c4guard.sources.cache import ParseCache
from c4guard.sources.discover import SourceFile
from c4guard.sources.render.cache import (
    RenderCache,
    kept,
    key_of,
    renderer_identity,
    text_pairs,
    tree_digest,
)
from c4guard.sources.render.charts import (
    Chart,
    Variant,
    configured_charts_missing,
    find_charts,
    missing_dependencies,
    variants,
    with_real_paths,
)
from c4guard.sources.render.helm import Rendered, render_chart
from c4guard.sources.render.helmobjects import chart_resources, relative_label
from c4guard.sources.render.kustomize import build_overlay
from c4guard.sources.render.overlayobjects import Files, overlay_resources
from c4guard.sources.render.overlays import Kustomization, blockers, closure, link, top_level
from c4guard.sources.render.sandbox import Limits, RenderFailed
from c4guard.sources.render.settings import RenderSection
from c4guard.sources.render.tools import Renderer, Renderers, find_renderers

K8S = Origin.KUBERNETES
NO_HELM = "no Helm renderer (install `helm`, or `pip install 'c4guard[render]'`)"
NO_KUSTOMIZE = "no Kustomize renderer (install `kustomize` or `kubectl`, or `c4guard[render]`)"
DISABLED = "rendering is turned off (`render.enabled: false`)"


@dataclass(frozen=True, slots=True)
class RenderOptions:
    settings: RenderSection | None = None
    config_dir: Path | None = None
    jobs: int = 1
    renderers: Renderers | None = None  # None: the best found on this machine
    roots: tuple[str, ...] = ()
    cache: ParseCache | None = None  # keeps renders across runs (`scan --cache-dir`)


@dataclass(slots=True)
class RenderOutcome:
    resources: list[Resource] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    notices: list[RenderNotice] = field(default_factory=list)
    gaps: list[EvidenceGap] = field(default_factory=list)
    consumed: set[str] = field(default_factory=set)  # real paths judged through a render
    renders: int = 0
    cache_hits: int = 0

    def not_judged(self, path: str, tool: str, why: str) -> None:
        self.notices.append(RenderNotice(path, tool, f"not judged: {why}"))
        self.gaps.append(EvidenceGap(K8S, "*", f"{tool} {path} not judged: {why}"))


def render_tree(
    files: list[SourceFile], kustomizations: list[Kustomization], options: RenderOptions
) -> RenderOutcome:
    """Render every chart and top-level overlay among `files`."""
    settings = options.settings or RenderSection()
    renderers = options.renderers or find_renderers()
    outcome = RenderOutcome()
    charts = find_charts(files)
    link(kustomizations)
    overlays = top_level(kustomizations)
    if not settings.enabled:
        for chart in charts:
            outcome.not_judged(chart.display, "helm", DISABLED)
        for overlay in overlays:
            outcome.not_judged(overlay.display_dir, "kustomize", DISABLED)
        return outcome
    for missing in configured_charts_missing(charts, settings.helm, options.config_dir):
        outcome.errors.append(InputError(missing, None, "render.helm.charts: no chart there"))
    limits = Limits(settings.timeout_s, settings.max_output_mib * 1024 * 1024)
    run = _RenderRun(limits, options, with_real_paths(files), outcome)
    jobs = _HelmJobs(renderers.helm, run, settings)
    tasks = [t for chart in charts for t in jobs.tasks(chart)]
    builds = _KustomizeJobs(renderers.kustomize, run, kustomizations)
    tasks += [t for overlay in overlays for t in builds.tasks(overlay)]
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        for result in pool.map(lambda task: task(), tasks):
            result()  # results are merged here, in a stable order
    outcome.cache_hits = jobs.cache.hits
    return outcome


@dataclass(frozen=True, slots=True)
class _RenderRun:
    """What the render jobs of every tool share within one scan."""

    limits: Limits
    options: RenderOptions
    files: list[tuple[str, SourceFile]]  # with their real paths
    outcome: RenderOutcome


class _HelmJobs:
    def __init__(self, renderer: Renderer | None, run: _RenderRun, settings: RenderSection) -> None:
        self.renderer, self.limits, self.options = renderer, run.limits, run.options
        self.files, self.settings, self.outcome = run.files, settings, run.outcome
        self.cache: RenderCache[Rendered] = RenderCache()

    def tasks(self, chart: Chart):  # type: ignore[no-untyped-def]
        if self.renderer is None:
            self.outcome.not_judged(chart.display, "helm", NO_HELM)
            return []
        for dep in missing_dependencies(chart):
            if not dep.repository.startswith("file://"):
                where = f" from {dep.repository}" if dep.repository else ""
                self.outcome.gaps.append(
                    EvidenceGap(
                        K8S,
                        "*",
                        f"helm {chart.display}: dependency {dep.name} {dep.version}{where} "
                        "is not vendored under charts/ (not fetched); not judged",
                    )
                )
        digest = tree_digest(chart.directory)
        found = variants(chart, self.files, self.settings.helm, self.options.config_dir)
        if self.renderer.name != "helm" and any(v.kube_version or v.api_versions for v in found):
            self.outcome.notices.append(
                RenderNotice(
                    chart.display,
                    "helm",
                    f"rendered by {self.renderer.name}, which cannot set kube_version or "
                    "api_versions: Helm's default Capabilities were used",
                )
            )
        members = _chart_files(chart, self.files)
        return [self._task(chart, variant, digest, members) for variant in found]

    def _task(  # type: ignore[no-untyped-def]
        self, chart: Chart, variant: Variant, digest: str | None, members: set[str]
    ):
        renderer = self.renderer
        assert renderer is not None
        key = None if digest is None else key_of([renderer.name, digest, *_variant_key(variant)])
        where = relative_label("helm", chart.display, list(self.options.roots))
        label = f"{where} [{variant.name}] release {variant.release}"
        store = self.options.cache
        stored = None
        if store is not None and key is not None:
            limits = [self.limits.timeout_s, self.limits.max_output]
            stored = store.derived_key("helm", [key, *limits, *renderer_identity(renderer.argv)])
        produce = kept(
            store,
            stored,
            lambda: render_chart(chart, variant, renderer, self.limits),
            list,
            text_pairs,
        )

        def run():  # type: ignore[no-untyped-def]
            try:
                rendered = self.cache.get(key, produce)
                resources = chart_resources(chart, variant, rendered, label)
                failure = None
            except (RenderFailed, ValueError) as exc:
                resources, failure = [], str(exc)

            def merge() -> None:
                self.outcome.renders += 1
                if failure is not None:
                    message = (
                        f"Helm render failed ({renderer.name}), values {variant.name}: {failure}"
                    )
                    self.outcome.errors.append(InputError(chart.display, None, message))
                    self.outcome.gaps.append(
                        EvidenceGap(
                            K8S, "*", f"helm {chart.display} [{variant.name}]: render failed"
                        )
                    )
                self.outcome.resources.extend(resources)

            return merge

        return run


def _chart_files(chart: Chart, files: list[tuple[str, SourceFile]]) -> set[str]:
    """Real paths of the chart's files that are read through its render: all but `crds/`
    (which Helm applies as written, and which are read as written)."""
    root = os.path.realpath(chart.directory) + os.sep
    crds = root + "crds" + os.sep
    return {r for r, _file in files if r.startswith(root) and not r.startswith(crds)}


def _variant_key(variant: Variant) -> list[str | bytes]:
    parts: list[str | bytes] = [
        variant.release,
        variant.render_namespace,
        variant.kube_version or "",
    ]
    parts += [*variant.api_versions, "--set", *variant.set]
    for values in variant.values:
        try:
            parts.append(Path(values.path).read_bytes())
        except OSError:
            parts.append(f"unreadable {values.path}")
    return parts


class _KustomizeJobs:
    def __init__(
        self, renderer: Renderer | None, run: _RenderRun, kustomizations: list[Kustomization]
    ) -> None:
        self.renderer, self.limits, self.options = renderer, run.limits, run.options
        self.outcome = run.outcome
        self.by_dir = {k.directory: k for k in kustomizations}
        self.display = {real: f.display for real, f in run.files}
        self.digests: dict[str, str | None] = {}  # directory -> tree_digest, once per run

    def tasks(self, overlay: Kustomization):  # type: ignore[no-untyped-def]
        members = closure(overlay, self.by_dir)
        reasons = blockers(members)
        if self.renderer is None or reasons:
            why = NO_KUSTOMIZE if self.renderer is None else "; ".join(reasons)
            self.outcome.not_judged(overlay.display_dir, "kustomize", why)
            return []
        renderer = self.renderer
        label = relative_label("kustomize", overlay.display_dir, list(self.options.roots))
        build = kept(
            self.options.cache,
            self._stored_key(overlay, members, renderer),
            lambda: build_overlay(overlay, renderer, self.limits, self.options.roots),
            list,
            _text_pair,
        )

        def run():  # type: ignore[no-untyped-def]
            try:
                output, wrapper = build()
                resources, used = overlay_resources(
                    output, wrapper, members, Files(self.display), label
                )
                failure = None
            except (RenderFailed, ValueError) as exc:
                resources, used, failure = [], set(), str(exc)

            def merge() -> None:
                self.outcome.renders += 1
                if failure is not None:
                    message = f"kustomize build failed ({renderer.name}): {failure}"
                    self.outcome.errors.append(InputError(overlay.display_dir, None, message))
                    self.outcome.gaps.append(
                        EvidenceGap(K8S, "*", f"kustomize {overlay.display_dir}: build failed")
                    )
                    return
                self.outcome.resources.extend(resources)
                self.outcome.consumed.update(used)
                for member in members:
                    self.outcome.consumed.update(member.local_files())

            return merge

        return [run]

    def _stored_key(
        self, overlay: Kustomization, members: list[Kustomization], renderer: Renderer
    ) -> str | None:
        """The key of the overlay's build across runs: every file under the directory of
        each kustomization it uses (kustomize loads files only within a kustomization's
        root), and the renderer. None without a cache, or for a tree too large to digest."""
        store = self.options.cache
        if store is None:
            return None
        directories = sorted({d for k in members for d in (k.directory, *k.uses)})
        for d in directories:
            if d not in self.digests:
                self.digests[d] = tree_digest(Path(d))
        digests = [self.digests[d] for d in directories]
        if None in digests:
            return None
        limits = [self.limits.timeout_s, self.limits.max_output]
        parts = [overlay.directory, *directories, *digests, *limits]
        return store.derived_key("kustomize", [*parts, *renderer_identity(renderer.argv)])


def _text_pair(value: object) -> tuple[str, str]:
    [pair] = text_pairs([value])
    return pair
