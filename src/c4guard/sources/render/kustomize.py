"""Building one overlay with kustomize (`kustomize build` or `kubectl kustomize`), offline,
with origin and transformer annotations asked for in a temporary wrapper kustomization (the
user's tree is never modified)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from c4guard.sources.render.overlays import Kustomization
from c4guard.sources.render.sandbox import Limits, RenderFailed, run_bounded
from c4guard.sources.render.tools import Renderer

WRAPPER = "resources:\n- {target}\nbuildMetadata: [originAnnotations, transformerAnnotations]\n"


def build_overlay(
    overlay: Kustomization, renderer: Renderer, limits: Limits, roots: tuple[str, ...] = ()
) -> tuple[str, str]:
    """The overlay's build output and the directory its origin paths are relative to; a
    failure is told with the paths as the user gave them (`roots`), not as this machine
    resolves them."""
    with tempfile.TemporaryDirectory(prefix="c4guard-kustomize-") as scratch:
        wrapper = Path(scratch) / "wrapper"
        wrapper.mkdir()
        target = os.path.relpath(overlay.directory, os.path.realpath(wrapper))
        (wrapper / "kustomization.yaml").write_text(WRAPPER.format(target=target))
        # no --enable-helm, --enable-alpha-plugins or --enable-exec: no plugins run
        argv = [*renderer.argv, str(wrapper)]
        try:
            return run_bounded(argv, limits), os.path.realpath(wrapper)
        except RenderFailed as exc:  # name the overlay, not our wrapper's way to it
            message = str(exc).replace(target, overlay.display_dir)
            raise RenderFailed(in_user_terms(message, roots)) from None


def in_user_terms(message: str, roots: tuple[str, ...]) -> str:
    """`message` with each root's absolute (and resolved) path written as the user gave the
    root, so that a report does not depend on where the scan ran."""
    spellings = []
    for root in roots:
        for absolute in {os.path.abspath(root), os.path.realpath(root)}:
            if absolute != root.rstrip(os.sep):
                spellings.append((absolute, root.rstrip(os.sep)))
    for absolute, given in sorted(spellings, key=lambda pair: -len(pair[0])):
        message = message.replace(absolute + os.sep, given + os.sep)
        message = message.replace(f"'{absolute}'", f"'{given}'")
    return message
