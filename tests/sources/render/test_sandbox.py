"""Renders run offline, bounded in time and output, with the renderer's own message."""

from __future__ import annotations

import sys

import pytest

from c4guard.sources.render.sandbox import (
    CLOSED_PROXY,
    Limits,
    RenderFailed,
    network_namespace,
    run_bounded,
)
from tests.conftest import unavailable

PY = sys.executable


def test_output_and_environment_of_a_render() -> None:
    script = (
        "import os, sys; print(os.environ['HTTPS_PROXY'], os.environ['HOME'], sys.stdin.read())"
    )
    out = run_bounded([PY, "-c", script], Limits(), stdin=b"hello")
    proxy, home, text = out.split()
    assert proxy == CLOSED_PROXY and "c4guard-render-" in home and text == "hello"


def test_the_user_environment_does_not_reach_the_renderer(monkeypatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-pass")
    monkeypatch.setenv("KUBECONFIG", "/root/.kube/config")
    out = run_bounded([PY, "-c", "import os; print(sorted(os.environ))"], Limits())
    assert "AWS_SECRET_ACCESS_KEY" not in out and "/root/.kube" not in out


def test_a_renderer_that_runs_too_long_is_stopped() -> None:
    with pytest.raises(RenderFailed, match="timed out after 1s"):
        run_bounded([PY, "-c", "import time; time.sleep(30)"], Limits(timeout_s=1))


def test_a_renderer_that_writes_too_much_is_stopped() -> None:
    writer = "import sys\nwhile True: sys.stdout.write('x' * 65536)"
    with pytest.raises(RenderFailed, match="output larger than 1 MiB"):
        run_bounded([PY, "-c", writer], Limits(max_output=1024 * 1024))


def test_a_failing_renderer_gives_its_message_without_log_noise() -> None:
    script = (
        "import sys; sys.stderr.write(\"# Warning: 'bases' is deprecated.\\n"
        'E1203 18:42:48.692106   23733 run.go:72] \\"command failed\\" '
        'err=\\"no such file\\"\\n"); '
        "sys.exit(1)"
    )
    with pytest.raises(RenderFailed) as caught:
        run_bounded([PY, "-c", script], Limits())
    assert str(caught.value) == "no such file"


def test_where_namespaces_are_allowed_a_render_has_no_network() -> None:
    if not network_namespace():
        unavailable("this kernel does not let an unprivileged user make a network namespace")
    script = (
        "import socket\n"
        "s = socket.socket()\n"
        "s.settimeout(2)\n"
        "try:\n"
        "    s.connect(('127.0.0.1', 9))\n"
        "except OSError as e:\n"
        "    print(e.errno)\n"
        "print(sorted(n for _, n in socket.if_nameindex()))\n"
    )
    out = run_bounded([PY, "-c", script], Limits())
    assert "['lo']" in out  # no interface but the (down) loopback
