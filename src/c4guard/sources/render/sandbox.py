"""Running a renderer as a bounded, offline child process.

Every render runs in a fresh temporary home (no Helm repositories, plugins or kubeconfig of
the user's), with proxies that point at a closed loopback port so any attempt to reach the
network fails fast, with a wall-clock limit and an output limit (`RLIMIT_FSIZE` on the file
that takes its standard output). Where the kernel lets an unprivileged user make namespaces
(`unshare --user --net` works), it also runs in a network namespace of its own, which has
no interface but a loopback that is down: no network at all.
"""

from __future__ import annotations

import functools
import os
import re
import resource
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from c4guard.errors import InvalidInput

DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024
MAX_MESSAGE = 2000
CLOSED_PROXY = "http://127.0.0.1:9"
# klog's prefix on kubectl's errors, and kustomize's deprecation warnings: noise
_KLOG = re.compile(r'^[EWIF]\d{4} [\d:.]+\s+\d+ [\w.]+:\d+\] "command failed" err=<?\s*', re.M)


class RenderFailed(InvalidInput):
    """The renderer ran and refused, failed, timed out or wrote too much."""


@dataclass(frozen=True, slots=True)
class Limits:
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_output: int = DEFAULT_MAX_OUTPUT


def offline_env(home: Path) -> dict[str, str]:
    """A minimal environment: no credentials, no plugins, no network."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "KUBECONFIG": str(home / "no-kubeconfig"),
        "HELM_CONFIG_HOME": str(home / "helm-config"),
        "HELM_CACHE_HOME": str(home / "helm-cache"),
        "HELM_DATA_HOME": str(home / "helm-data"),
        "HELM_PLUGINS": str(home / "helm-plugins"),
        "HELM_REGISTRY_CONFIG": str(home / "helm-registry.json"),
        "HELM_REPOSITORY_CONFIG": str(home / "helm-repositories.yaml"),
        "KUSTOMIZE_PLUGIN_HOME": str(home / "kustomize-plugins"),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_ALLOW_PROTOCOL": "none",
        "NO_PROXY": "",
        "no_proxy": "",
    }
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env[name] = CLOSED_PROXY
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "HELM_C_LIB", "SYSTEMROOT", "TMPDIR"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


@functools.cache
def network_namespace() -> tuple[str, ...]:
    """The command prefix that puts a child in an empty network namespace, if this machine
    allows it."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    prefix = (unshare, "--user", "--map-root-user", "--net")
    try:
        probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return prefix if probe.returncode == 0 else ()


def run_bounded(argv: list[str], limits: Limits, stdin: bytes = b"", cwd: str | None = None) -> str:
    """Run `argv` offline and return its standard output, or raise RenderFailed with the
    renderer's own message."""
    with tempfile.TemporaryDirectory(prefix="c4guard-render-") as scratch:
        home = Path(scratch)
        out_path = home / "stdout"
        with open(out_path, "w+b") as out:
            try:
                proc = subprocess.run(
                    [*network_namespace(), *argv],
                    input=stdin,
                    stdout=out,
                    stderr=subprocess.PIPE,
                    env=offline_env(home),
                    cwd=cwd or scratch,
                    timeout=limits.timeout_s,
                    preexec_fn=_limit_output(limits.max_output),
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise RenderFailed(f"timed out after {limits.timeout_s:g}s") from exc
            except OSError as exc:
                raise RenderFailed(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
            size = out.tell()
            if proc.returncode != 0:
                raise RenderFailed(_message(proc, size, limits))
            out.seek(0)
            return out.read().decode("utf-8", "replace")


def _limit_output(max_bytes: int):  # type: ignore[no-untyped-def]
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def _message(proc: subprocess.CompletedProcess[bytes], size: int, limits: Limits) -> str:
    if size >= limits.max_output or proc.returncode == -25:  # SIGXFSZ
        return f"output larger than {limits.max_output // (1024 * 1024)} MiB"
    return clean_message(proc.stderr.decode("utf-8", "replace")) or f"exit {proc.returncode}"


def clean_message(text: str) -> str:
    """The renderer's own words without log prefixes and warnings; a long message keeps its
    end, where Helm and kustomize put the cause."""
    lines = [line for line in text.splitlines() if not line.startswith("# Warning:")]
    text = _KLOG.sub("", "\n".join(lines)).strip().strip('"').strip()
    return text if len(text) <= MAX_MESSAGE else "…" + text[-MAX_MESSAGE:]
