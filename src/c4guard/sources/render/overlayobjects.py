"""Kubernetes resources from a built overlay, each key pointed back at the patch or base
file that set it, labelled with the overlay, and given the inline directives of the files
it came from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from c4guard.model import Location, Resource
from c4guard.sources.directives import MARKER
from c4guard.sources.inline import directives_in
from c4guard.sources.kubernetes import resources_from_document
from c4guard.sources.render.origins import Source, locator, matches, pop_annotations
from c4guard.sources.render.overlays import Kustomization
from c4guard.sources.render.trace import places, retarget
from c4guard.sources.text import read_text
from c4guard.sources.yamlload import load_documents

BUILD_OUTPUT = "<kustomize build>"


@dataclass(slots=True)
class Files:
    """Parsed files of the tree by real path, read once per overlay."""

    display: dict[str, str]
    sources: dict[str, list[Source]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    reals: dict[str, str] = field(default_factory=dict)  # display -> real path, when asked

    def text_shown_as(self, shown: str) -> str:
        """The text read of the file shown as `shown` ("" when it was not read)."""
        if not self.reals:
            self.reals.update({v: k for k, v in self.display.items()})
        return self.texts.get(self.reals.get(shown, shown), "")

    def objects(self, real: str) -> list[Source]:
        if real not in self.sources:
            self.sources[real] = self._parse(real)
        return self.sources[real]

    def _parse(self, real: str) -> list[Source]:
        shown = self.display.get(real, real)
        try:
            text = read_text(Path(real))
            self.texts[real] = text
            return [Source(shown, d.value) for d in load_documents(text, shown)]
        except Exception:
            return []


def overlay_resources(
    output: str, wrapper: str, members: list[Kustomization], files: Files, label: str
) -> tuple[list[Resource], set[str]]:
    """The built objects and the real paths of every file they came from. An object made by
    a generator (no origin file) is located at the overlay's kustomization."""
    patch_sets = {_kustomization_file(k): k.patch_files() for k in members}
    resources: list[Resource] = []
    used: set[str] = set()
    for document in load_documents(output, BUILD_OUTPUT):
        for resource in resources_from_document(document, BUILD_OUTPUT) or []:
            origin_rel, configured = pop_annotations(resource.body)
            origin_real = (
                os.path.realpath(os.path.join(wrapper, origin_rel)) if origin_rel else None
            )
            patch_reals = [
                p
                for c in configured
                for p in patch_sets.get(os.path.realpath(os.path.join(wrapper, c)), [])
            ]
            used |= {p for p in [origin_real, *patch_reals] if p}
            origin_real = origin_real or os.path.realpath(members[0].file.path)
            resources.append(_traced(resource, origin_real, patch_reals, files, label))
    return resources, used


def _kustomization_file(k: Kustomization) -> str:
    return os.path.realpath(k.file.path)


def _traced(
    resource: Resource, origin_real: str, patch_reals: list[str], files: Files, label: str
) -> Resource:
    kind, name = resource.kind, resource.name
    origin = next((s for s in files.objects(origin_real) if matches(s.body, kind, name)), None)
    patches = [
        s for p in reversed(patch_reals) for s in files.objects(p) if matches(s.body, kind, name)
    ]
    shown = files.display.get(origin_real, origin_real)
    root = (shown, getattr(origin.body, "line", None) if origin else None)
    resource.body = retarget(resource.body, locator(resource.body, origin, patches, root))
    resource.location = Location(root[0], root[1])
    resource.start_line = resource.end_line = None
    resource.render = label
    _directives(resource, files)
    return resource


def _directives(resource: Resource, files: Files) -> None:
    """`c4guard:ignore` comments of the files the resource took keys from: those inside the
    object's text there (from its first to its last traced line)."""
    spans: dict[str, list[int]] = {}
    for path, line in places(resource.body):
        if path and line:
            spans.setdefault(path, []).append(line)
    for shown, lines in spans.items():
        text = files.text_shown_as(shown)
        if MARKER not in text:
            continue
        first, last = min(lines), max(lines)
        for directive in directives_in(text, shown):
            line = directive.location.line or 0
            if first - 3 <= line <= last and directive not in resource.directives:
                resource.directives += (directive,)
