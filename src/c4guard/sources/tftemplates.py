"""Terraform template files among the inputs (issue 15, class 11).

A file that Terraform renders with `templatefile()` is not a manifest as written: its
`${...}` interpolations and `%{ if ... }` directives are filled in by Terraform. Such files are
left out like Helm chart templates and listed once per directory with how to scan what they
render. They are recognised by name (`*.tftpl`, `*.tftpl.yaml`, `*.yaml.tftpl`) or because a
`.tf` file that calls `templatefile()` names them (or their directory) under
`${path.module}/…` and they hold template syntax.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from c4guard.model import RenderNotice
from c4guard.sources.discover import SourceFile

TERRAFORM_TEMPLATE = "Terraform template (templatefile input)"
MAX_TF_BYTES = 1 << 20
MAX_TEMPLATE_BYTES = 1 << 20
_MODULE_PATH = re.compile(r"\"\$\{path\.module\}/([^\"$*{}]+)\"")
_TEMPLATE_SYNTAX = ("${", "%{")


def _named_template(path: Path) -> bool:
    return ".tftpl" in path.name.lower()


def _read(path: Path, limit: int) -> str:
    try:
        with path.open("rb") as handle:
            return handle.read(limit).decode("utf-8", "replace")
    except OSError:
        return ""


def _referenced(tf: SourceFile) -> list[Path]:
    """Paths under `${path.module}` that a `.tf` file calling `templatefile()` names."""
    text = _read(tf.path, MAX_TF_BYTES)
    if "templatefile(" not in text:
        return []
    return [Path(os.path.normpath(tf.path.parent / m)) for m in _MODULE_PATH.findall(text)]


def _has_template_syntax(path: Path) -> bool:
    text = _read(path, MAX_TEMPLATE_BYTES)
    return any(mark in text for mark in _TEMPLATE_SYNTAX)


def terraform_templates(files: list[SourceFile]) -> tuple[dict[str, str], list[RenderNotice]]:
    """The template files among `files` (display path -> reason) and one notice per
    directory that holds them."""
    found = {f.display: f for f in files if _named_template(f.path)}
    referenced = {p for f in files if f.path.suffix == ".tf" for p in _referenced(f)}
    if referenced:
        for file in files:
            if file.display in found or file.path.suffix == ".tf":
                continue
            path = Path(os.path.normpath(file.path))
            named = path in referenced or path.parent in referenced
            if named and _has_template_syntax(file.path):
                found[file.display] = file
    directories = sorted({str(f.path.parent) for f in found.values()})
    notices = [
        RenderNotice(
            path=directory,
            tool="terraform",
            message="Terraform templates (templatefile inputs): not manifests as written; "
            "scan what Terraform renders (`terraform show -json` of a plan) instead",
        )
        for directory in directories
    ]
    return {display: TERRAFORM_TEMPLATE for display in found}, notices
