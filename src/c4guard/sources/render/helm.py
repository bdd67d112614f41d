"""Rendering one chart variant with Helm: the `helm` binary (`helm template`) or Helm's
engine from `helm-python-sdk`, offline, into (template path, rendered text) pairs.

Dependencies that are not vendored under `charts/` are left out of a temporary copy of the
chart (never the user's tree) so the rest still renders; the caller reports each one as an
evidence gap. `file://` dependencies found in the tree are vendored into that copy.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from c4guard.sources.render.charts import (
    FILE_REPOSITORY,
    Chart,
    Dependency,
    Variant,
    chart_metadata,
    missing_dependencies,
)
from c4guard.sources.render.sandbox import Limits, run_bounded
from c4guard.sources.render.tools import Renderer

SOURCE_HEADER = re.compile(r"^# Source: (.+)$", re.MULTILINE)
Rendered = list[tuple[str, str]]


def render_chart(chart: Chart, variant: Variant, renderer: Renderer, limits: Limits) -> Rendered:
    """The chart's rendered templates, in the order Helm wrote them."""
    with prepared(chart) as (directory, _missing):
        if renderer.name == "helm":
            return _split(run_bounded(_helm_argv(renderer, directory, variant), limits))
        request = {
            "chart": str(directory),
            "values_files": [str(v.path.absolute()) for v in variant.values],
            "set": list(variant.set),
            "release": variant.release,
            "namespace": variant.render_namespace,
        }
        output = run_bounded(list(renderer.argv), limits, json.dumps(request).encode())
        return [(name, text) for name, text in json.loads(output).items() if text.strip()]


def _helm_argv(renderer: Renderer, directory: Path, variant: Variant) -> list[str]:
    argv = [*renderer.argv, "template", variant.release, str(directory)]
    argv += ["--namespace", variant.render_namespace]
    for values in variant.values:
        argv += ["--values", str(values.path.absolute())]
    for assignment in variant.set:
        argv += ["--set", assignment]
    if variant.kube_version:
        argv += ["--kube-version", variant.kube_version]
    for api in variant.api_versions:
        argv += ["--api-versions", api]
    return argv


def _split(stream: str) -> Rendered:
    """`helm template` output cut at its `# Source:` headers."""
    parts: Rendered = []
    marks = list(SOURCE_HEADER.finditer(stream))
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(stream)
        # keep the header line so line numbers stay those of the stream segment
        text = stream[mark.start() : end].rstrip()
        text = text.rsplit("\n---", 1)[0] if text.endswith("\n---") else text
        parts.append((mark.group(1).strip(), text))
    return parts


@contextmanager
def prepared(chart: Chart) -> Iterator[tuple[Path, list[Dependency]]]:
    """The directory to render and the dependencies it lacks: the chart itself when nothing
    is missing, else a temporary copy without them (local `file://` ones vendored)."""
    missing = missing_dependencies(chart)
    if not missing:
        yield chart.directory, []
        return
    with tempfile.TemporaryDirectory(prefix="c4guard-chart-") as scratch:
        copy = Path(scratch) / chart.directory.name
        shutil.copytree(chart.directory, copy, symlinks=True)
        (copy / "Chart.lock").unlink(missing_ok=True)
        local = [d for d in missing if _vendor_local(chart, d, copy)]
        absent = [d for d in missing if d not in local]
        _drop_dependencies(chart, copy, {d.name for d in absent})
        yield copy, absent


def _vendor_local(chart: Chart, dep: Dependency, copy: Path) -> bool:
    if not dep.repository.startswith(FILE_REPOSITORY):
        return False
    source = (chart.directory / dep.repository[len(FILE_REPOSITORY) :]).resolve()
    if not (source / "Chart.yaml").is_file():
        return False
    shutil.copytree(source, copy / "charts" / dep.name, symlinks=True)
    return True


def _drop_dependencies(chart: Chart, copy: Path, names: set[str]) -> None:
    metadata = dict(chart_metadata(chart))
    kept = [
        d
        for d in metadata.get("dependencies") or []
        if not (isinstance(d, dict) and d.get("name") in names)
    ]
    metadata["dependencies"] = kept
    (copy / "Chart.yaml").write_text(yaml.safe_dump(_plain(metadata), sort_keys=False))


def _plain(value: object) -> object:
    """Our YAML loader's mappings and sequences as plain dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
