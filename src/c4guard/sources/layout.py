"""Helm charts, Kustomize overlays and Terraform templates among the inputs.

Chart templates and Kustomize patches are not manifests: parsing them would produce false
findings. They are left out here and judged through their render (`sources.render`), which
gets every kustomization read here. A Kustomize `namespace:` applies to the resource files
it lists when they are read as written (an overlay that cannot be built).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from c4guard.model import RenderNotice
from c4guard.sources.discover import SourceFile
from c4guard.sources.render.overlays import Kustomization
from c4guard.sources.text import BinaryFile, InputProblem, read_text
from c4guard.sources.tftemplates import terraform_templates
from c4guard.sources.yamlload import YAMLLimitError, load_documents

KUSTOMIZATION_NAMES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization"})
HELM_TEMPLATE = "Helm chart template"
KUSTOMIZE_PATCH = "Kustomize patch"
OCI_LAYOUT_CONTENT = "part of an OCI image layout (scanned as an image)"
KUSTOMIZATION = "Kustomize kustomization file"


@dataclass(slots=True)
class Layout:
    excluded: dict[str, str] = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)
    kustomizations: list[Kustomization] = field(default_factory=list)
    errors: list[tuple[str, int | None, str]] = field(default_factory=list)
    notices: list[RenderNotice] = field(default_factory=list)


def analyse_layout(files: list[SourceFile]) -> Layout:
    """Find charts and overlays among `files` and decide what is not a manifest."""
    layout = Layout()
    by_path = {_norm(f.path): f for f in files if f.display != "<stdin>"}
    _helm_charts(files, by_path, layout)
    _oci_layouts(files, by_path, layout)
    templates, notices = terraform_templates(files)
    layout.excluded.update(templates)
    layout.notices.extend(notices)
    for file in files:
        if file.path.name in KUSTOMIZATION_NAMES:
            _kustomization(file, by_path, layout)
    return layout


def _norm(path: Path) -> str:
    return os.path.normpath(str(path))


def _helm_charts(files: list[SourceFile], by_path: dict[str, SourceFile], layout: Layout) -> None:
    charts = [f.path.parent for f in files if f.path.name == "Chart.yaml"]
    for chart in charts:
        templates = _norm(chart / "templates") + os.sep
        members = [p for p in by_path if p.startswith(templates)]
        for member in members:
            layout.excluded[by_path[member].display] = HELM_TEMPLATE


def _oci_layouts(files: list[SourceFile], by_path: dict[str, SourceFile], layout: Layout) -> None:
    """An OCI layout directory is one input (its `oci-layout` marker); its blobs are not."""
    for marker in (f for f in files if f.path.name == "oci-layout"):
        root = _norm(marker.path.parent) + os.sep
        for member, file in by_path.items():
            if member.startswith(root) and file is not marker:
                layout.excluded[file.display] = OCI_LAYOUT_CONTENT


def _kustomization(file: SourceFile, by_path: dict[str, SourceFile], layout: Layout) -> None:
    layout.excluded[file.display] = KUSTOMIZATION
    spec = _read_kustomization(file, layout)
    if not isinstance(spec, dict):
        return
    layout.kustomizations.append(Kustomization(file, spec))
    base = file.path.parent
    for patch in _patch_paths(spec):
        target = by_path.get(_norm(base / patch))
        if target is not None:
            layout.excluded[target.display] = KUSTOMIZE_PATCH
    namespace = spec.get("namespace")
    for entry in _strings(spec.get("resources")) + _strings(spec.get("bases")):
        target = by_path.get(_norm(base / entry))
        if target is not None and isinstance(namespace, str) and namespace:
            layout.namespaces[target.display] = namespace


def _read_kustomization(file: SourceFile, layout: Layout) -> Any:
    try:
        documents = list(load_documents(read_text(file.path), file.display))
    except (InputProblem, BinaryFile, UnicodeDecodeError) as exc:
        layout.errors.append((file.display, getattr(exc, "line", None), str(exc) or "binary"))
        return None
    except YAMLLimitError as exc:
        layout.errors.append((file.display, exc.line, str(exc)))
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        layout.errors.append(
            (
                file.display,
                mark.line + 1 if mark else None,
                f"invalid YAML: {getattr(exc, 'problem', exc)}",
            )
        )
        return None
    return documents[0].value if documents else None


def _patch_paths(spec: dict[str, Any]) -> list[str]:
    paths: list[str] = []
    for key in ("patches", "patchesJson6902"):
        for item in spec.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                paths.append(item["path"])
    for item in spec.get("patchesStrategicMerge") or []:
        if isinstance(item, str) and "\n" not in item:
            paths.append(item)
    return paths


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
