"""Helm charts in a scanned tree: which are judged on their own (not a dependency of another
chart in the tree), their dependencies, and the values variants each is rendered with."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from c4guard.sources.discover import SourceFile, real_paths
from c4guard.sources.text import read_text
from c4guard.sources.yamlload import load_documents

if TYPE_CHECKING:
    from c4guard.sources.render.settings import HelmChartValues, HelmSection

DEFAULT_VARIANT = "default values"
DEFAULT_NAMESPACE = "default"
FILE_REPOSITORY = "file://"


@dataclass(frozen=True, slots=True)
class Dependency:
    name: str
    version: str
    repository: str


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart directory: the real path to render and the path shown in reports."""

    directory: Path
    display: str


@dataclass(frozen=True, slots=True)
class Variant:
    """One render of a chart: its values, release, namespace and Capabilities."""

    name: str
    values: tuple[SourceFile, ...] = ()
    set: tuple[str, ...] = ()
    release: str = "release-name"
    namespace: str | None = None
    kube_version: str | None = None
    api_versions: tuple[str, ...] = ()

    @property
    def render_namespace(self) -> str:
        return self.namespace or DEFAULT_NAMESPACE


def find_charts(files: list[SourceFile]) -> list[Chart]:
    """The charts judged on their own: not vendored under another chart's `charts/` and not
    a `file://` dependency of another chart in the tree."""
    charts = [
        Chart(f.path.parent.absolute(), _parent_display(f))
        for f in files
        if f.path.name == "Chart.yaml"
    ]
    real = {_real(c.directory) for c in charts}
    used: set[str] = set()
    for chart in charts:
        for dep in dependencies(chart):
            if dep.repository.startswith(FILE_REPOSITORY):
                target = _real(chart.directory / dep.repository[len(FILE_REPOSITORY) :])
                if target in real and target != _real(chart.directory):
                    used.add(target)
    return [c for c in charts if not _vendored(c, real) and _real(c.directory) not in used]


def _parent_display(file: SourceFile) -> str:
    return os.path.dirname(file.display) or "."


def _real(path: Path) -> str:
    return os.path.realpath(path)


def _vendored(chart: Chart, real: set[str]) -> bool:
    """Under `<another chart>/charts/`."""
    parent = Path(_real(chart.directory)).parent
    return parent.name == "charts" and str(parent.parent) in real


def chart_metadata(chart: Chart) -> dict[str, Any]:
    """Chart.yaml as data (safe loader, limits), or {} when unreadable (Helm reports why)."""
    try:
        documents = list(load_documents(read_text(chart.directory / "Chart.yaml"), "Chart.yaml"))
    except Exception:
        return {}
    value = documents[0].value if documents else None
    return value if isinstance(value, dict) else {}


def dependencies(chart: Chart) -> list[Dependency]:
    found = []
    for item in chart_metadata(chart).get("dependencies") or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            found.append(
                Dependency(
                    item["name"], str(item.get("version") or ""), str(item.get("repository") or "")
                )
            )
    return found


def missing_dependencies(chart: Chart) -> list[Dependency]:
    """Declared dependencies with nothing under `charts/` (a directory or an archive)."""
    vendored = chart.directory / "charts"
    names = set(os.listdir(vendored)) if vendored.is_dir() else set()
    missing = []
    for dep in dependencies(chart):
        archive = any(n.startswith(f"{dep.name}-") and n.endswith(".tgz") for n in names)
        if dep.name not in names and not archive:
            missing.append(dep)
    return missing


def with_real_paths(files: list[SourceFile]) -> list[tuple[str, SourceFile]]:
    """Each file with its real path, resolved once per scan: every chart looks its files up
    there (resolving them again per chart made charts x files `realpath` calls)."""
    return list(zip(real_paths([f.path for f in files]), files, strict=True))


def variants(
    chart: Chart, files: list[tuple[str, SourceFile]], helm: HelmSection, config_dir: Path | None
) -> list[Variant]:
    """Default values, each `values*.yaml` beside Chart.yaml and `ci/*-values.yaml` (each
    over the defaults), then the config's variants for this chart."""
    common = {
        "release": helm.release,
        "namespace": helm.namespace,
        "kube_version": helm.kube_version,
        "api_versions": tuple(helm.api_versions),
    }
    found = [Variant(DEFAULT_VARIANT, **common)]  # type: ignore[arg-type]
    for file in _values_files(chart, files):
        name = os.path.relpath(file.path, chart.directory)
        found.append(Variant(name, (file,), **common))  # type: ignore[arg-type]
    for configured in _configured(chart, helm, config_dir):
        found.append(_from_config(configured, common, config_dir))
    return found


def _values_files(chart: Chart, files: list[tuple[str, SourceFile]]) -> list[SourceFile]:
    root = _real(chart.directory)
    inside = root.rstrip(os.sep) + os.sep
    picked = []
    for real, file in files:
        if not real.startswith(inside):
            continue
        parent, name = os.path.split(real)
        beside = parent == root and name.startswith("values") and name.endswith((".yaml", ".yml"))
        in_ci = parent == os.path.join(root, "ci") and name.endswith(
            ("-values.yaml", "-values.yml")
        )
        if (beside and name not in ("values.yaml", "values.yml")) or in_ci:
            picked.append(file)
    return sorted(picked, key=lambda f: f.display)


def _configured(chart: Chart, helm: HelmSection, config_dir: Path | None) -> list[HelmChartValues]:
    base = config_dir or Path.cwd()
    root = _real(chart.directory)
    return [v for path, items in helm.charts.items() if _real(base / path) == root for v in items]


def _from_config(
    configured: HelmChartValues, common: dict[str, Any], config_dir: Path | None
) -> Variant:
    base = config_dir or Path.cwd()
    values = tuple(SourceFile(base / v, str(base / v)) for v in configured.values)
    return Variant(
        configured.name,
        values,
        tuple(configured.set),
        configured.release or common["release"],
        configured.namespace or common["namespace"],
        configured.kube_version or common["kube_version"],
        tuple(configured.api_versions) or common["api_versions"],
    )


def configured_charts_missing(
    charts: list[Chart], helm: HelmSection, config_dir: Path | None
) -> list[str]:
    """Charts the config names that the scan did not find."""
    base = config_dir or Path.cwd()
    real = {_real(c.directory) for c in charts}
    return [path for path in helm.charts if _real(base / path) not in real]
