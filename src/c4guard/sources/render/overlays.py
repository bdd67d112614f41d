"""Kustomize overlays in a scanned tree: which kustomizations are top-level (no other
kustomization in the tree uses them as a resource, base or component), what each one
reads, and what keeps one from being built offline (a remote base, `helmCharts`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from c4guard.sources.discover import SourceFile

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
REFERENCE_KEYS = ("resources", "bases", "components")
PATCH_KEYS = ("patches", "patchesJson6902")
REMOTE_MARKS = ("://", "git@", "github.com/", "gitlab.com/", "bitbucket.org/", "?ref=")


@dataclass(slots=True)
class Kustomization:
    """One kustomization file, its spec, and the local kustomizations it uses."""

    file: SourceFile
    spec: dict[str, Any]
    uses: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)

    @property
    def directory(self) -> str:
        return os.path.realpath(self.file.path.parent)

    @property
    def display_dir(self) -> str:
        return os.path.dirname(self.file.display) or "."

    def patch_files(self) -> list[str]:
        """Real paths of the patch files this kustomization applies."""
        paths: list[str] = []
        for key in PATCH_KEYS:
            for item in self.spec.get(key) or []:
                if isinstance(item, dict) and isinstance(item.get("path"), str):
                    paths.append(item["path"])
        for item in self.spec.get("patchesStrategicMerge") or []:
            if isinstance(item, str) and "\n" not in item:
                paths.append(item)
        return [os.path.realpath(os.path.join(self.directory, p)) for p in paths]

    def local_files(self) -> list[str]:
        """Real paths of the resource files (not directories) it lists."""
        found = []
        for entry in _references(self.spec):
            path = os.path.realpath(os.path.join(self.directory, entry))
            if os.path.isfile(path):
                found.append(path)
        return found


def link(kustomizations: list[Kustomization]) -> None:
    """Fill in each kustomization's `uses` (local kustomization directories) and `remote`."""
    known = {k.directory for k in kustomizations}
    for k in kustomizations:
        for entry in _references(k.spec):
            if any(mark in entry for mark in REMOTE_MARKS):
                k.remote.append(entry)
                continue
            target = os.path.realpath(os.path.join(k.directory, entry))
            if target in known:
                k.uses.append(target)


def top_level(kustomizations: list[Kustomization]) -> list[Kustomization]:
    """Kustomizations no other one uses (components are never built alone)."""
    used = {target for k in kustomizations for target in k.uses}
    return [
        k for k in kustomizations if k.directory not in used and k.spec.get("kind") != "Component"
    ]


def closure(root: Kustomization, by_dir: dict[str, Kustomization]) -> list[Kustomization]:
    """The overlay and every local kustomization it uses, transitively."""
    seen: dict[str, Kustomization] = {}
    stack = [root]
    while stack:
        k = stack.pop()
        if k.directory in seen:
            continue
        seen[k.directory] = k
        stack.extend(by_dir[d] for d in k.uses if d in by_dir)
    return list(seen.values())


def blockers(members: list[Kustomization]) -> list[str]:
    """Why an overlay cannot be built offline and safely, if it cannot."""
    reasons = []
    for k in members:
        reasons += [f"remote base `{r}` in {k.file.display} (not fetched)" for r in k.remote]
        if k.spec.get("helmCharts"):
            reasons.append(f"`helmCharts` in {k.file.display} (inflating charts is not enabled)")
    return reasons


def _references(spec: dict[str, Any]) -> list[str]:
    entries: list[str] = []
    for key in REFERENCE_KEYS:
        value = spec.get(key)
        if isinstance(value, list):
            entries += [v for v in value if isinstance(v, str)]
    return entries


def is_kustomization(path: Path) -> bool:
    return path.name in KUSTOMIZATION_NAMES
