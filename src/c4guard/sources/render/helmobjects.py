"""Kubernetes resources from a rendered chart variant, each pointed back at its template
(Helm's `# Source:`), the template line or values key that set each setting, labelled
with the chart, variant and release, and given the inline directives of its template and
of the values it took."""

from __future__ import annotations

import os
from pathlib import Path

from c4guard.model import Directive, Resource
from c4guard.sources.directives import MARKER
from c4guard.sources.inline import attach_directives, directives_in
from c4guard.sources.kubernetes import UNSPECIFIED_NAMESPACE, resources_from_document
from c4guard.sources.render.charts import Chart, Variant
from c4guard.sources.render.helm import Rendered
from c4guard.sources.render.helmtrace import Text, line_places
from c4guard.sources.render.trace import places, retarget
from c4guard.sources.text import read_text
from c4guard.sources.yamlload import load_documents

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def chart_resources(
    chart: Chart, variant: Variant, rendered: Rendered, label: str
) -> list[Resource]:
    values = _values_texts(chart, variant)
    found: list[Resource] = []
    for source, text in rendered:
        if not source.endswith(MANIFEST_SUFFIXES):
            continue  # NOTES.txt and the like
        display, template = _template(chart, source)
        resources = _from_text(text, display, template, values, label, variant)
        if template is not None and MARKER in "".join(template.lines):
            attach_directives(
                list(directives_in("\n".join(template.lines), display)), resources, display
            )
        found += resources
    _values_directives(values, found)
    return found


def _template(chart: Chart, source: str) -> tuple[str, Text | None]:
    """Display path and text of a template named `chart/…/templates/x.yaml`."""
    inside = source.split("/", 1)[1] if "/" in source else source
    display = f"{chart.display.rstrip('/')}/{inside}"
    path = chart.directory / inside
    try:
        return display, Text(display, tuple(read_text(path).splitlines()))
    except Exception:
        return display, None


def _values_texts(chart: Chart, variant: Variant) -> list[Text]:
    """The variant's values files, last given first, then the chart's values.yaml."""
    texts = []
    defaults = chart.directory / "values.yaml"
    files = [(v.path, v.display) for v in reversed(variant.values)]
    files.append((defaults, f"{chart.display.rstrip('/')}/values.yaml"))
    for path, display in files:
        try:
            texts.append(Text(display, tuple(read_text(Path(path)).splitlines())))
        except Exception:
            continue
    return texts


def _from_text(
    text: str, display: str, template: Text | None, values: list[Text], label: str, variant: Variant
) -> list[Resource]:
    lines = text.splitlines()
    placed = line_places(lines, template, values)
    span_end = len(template.lines) if template else None
    resources: list[Resource] = []
    for document in load_documents(text, display):
        for resource in resources_from_document(document, display) or []:
            resource.body = retarget(
                resource.body, lambda line, _keys: placed.get(line or 0, (display, None))
            )
            first = placed.get(resource.start_line or 0, (display, None))[1]
            resource.location = type(resource.location)(display, resource.body.line or first)
            resource.start_line, resource.end_line = (1, span_end) if span_end else (None, None)
            resource.render = label
            if variant.namespace and resource.namespace == UNSPECIFIED_NAMESPACE:
                resource.namespace = variant.namespace
            resources.append(resource)
    return resources


def _values_directives(values: list[Text], resources: list[Resource]) -> None:
    """A `c4guard:ignore` comment in a values file applies to the resources that took a
    value from the top-level block the comment is in."""
    for source in values:
        if MARKER not in "".join(source.lines):
            continue
        for directive in directives_in("\n".join(source.lines), source.path):
            first, last = _block(source, directive.location.line or 1)
            for resource in resources:
                if _takes(resource, source.path, first, last):
                    _give(resource, directive)


def _block(source: Text, line: int) -> tuple[int, int]:
    """From the comment to the line before the next top-level key below it."""
    for number in range(line + 1, len(source.lines) + 1):
        text = source.lines[number - 1]
        if number > line + 1 and text[:1] not in ("", " ", "\t", "#", "-"):
            return line, number - 1
    return line, len(source.lines)


def _takes(resource: Resource, path: str, first: int, last: int) -> bool:
    return any(
        p == path and line is not None and first <= line <= last
        for p, line in places(resource.body)
    )


def _give(resource: Resource, directive: Directive) -> None:
    if directive not in resource.directives:
        resource.directives += (directive,)


def relative_label(kind: str, path: str, roots: list[str]) -> str:
    """A chart's or overlay's path relative to the scan root it was found under (so labels
    and fingerprints do not depend on how the root was spelled)."""
    real = os.path.realpath(path)
    for root in roots:
        base = os.path.realpath(root)
        if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
            return f"{kind} {os.path.relpath(real, base)}"
    return f"{kind} {path}"
