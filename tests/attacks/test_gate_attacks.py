"""Attacks on `c4guard gate serve` (issue 17, findings 2 and 4), against the real gate
process over TLS on loopback: a dripping registry must not wedge it, and heavy objects
must not make an unrelated small Pod wait past the time budget."""

from __future__ import annotations

import json
import os
import shutil
import signal
import ssl
import textwrap
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from c4guard.supplychain.oci import Registry
from tests.attacks.hostile_registry import HostileRegistry, digest_of, image_manifest
from tests.gate.conftest import PKI, pki, release_keys  # noqa: F401  (fixtures)
from tests.gate.harness import GateProcess, review, running_gate
from tests.gate.objects import pod, privileged
from tests.supplychain.conftest import registry_host  # noqa: F401  (fixture)
from tests.supplychain.publish import KeyPair, push_image, sign_image

pytestmark = [pytest.mark.slow, pytest.mark.services]
BUDGET_S = 2.0
RESERVE_S = 0.5
SLACK_S = 0.5  # loopback, TLS and a loaded 2-core machine
HEAVY_BYTES = 2_800_000


def write_config(folder: Path, trust: str, images: str, budget: float = BUDGET_S) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trust.yaml").write_text(textwrap.dedent(trust))
    config = folder / "c4guard.yaml"
    config.write_text(
        f"version: 1\ngate:\n  time_budget: {budget}\n  audit_reserve: {RESERVE_S}\n"
        f"  images: {images}\n"
    )
    return config


def timed_post(gate: GateProcess, body: dict[str, Any] | bytes) -> tuple[float, httpx.Response]:
    """(seconds, response) of one POST /validate on a fresh connection."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    with gate.client() as client:
        started = time.monotonic()
        response = client.post(
            "/validate", content=content, headers={"Content-Type": "application/json"}
        )
        return time.monotonic() - started, response


def denial(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    answer = response.json()["response"]
    assert not answer["allowed"]
    return answer["status"]["message"]


@pytest.fixture
def dripping() -> Iterator[HostileRegistry]:
    """A registry that sends one byte every half second, with six images."""
    with HostileRegistry(drip=0.5) as registry:
        for n in range(6):
            manifest = image_manifest(f"drip-{n}")
            registry.serve(f"/v2/slow/model/manifests/{digest_of(manifest)}", manifest)
        yield registry


def dripping_images(registry: HostileRegistry) -> list[str]:
    return [
        f"{registry.host}{path.replace('/v2', '', 1).replace('/manifests/', '@')}"
        for path in registry.routes
    ]


def test_dripping_registry_does_not_wedge_the_gate(
    tmp_path: Path,
    pki: PKI,  # noqa: F811
    registry_host: str,  # noqa: F811
    release_keys: tuple[KeyPair, KeyPair],  # noqa: F811
    dripping: HostileRegistry,
) -> None:
    """Six dry-run Pods whose images sit in a dripping registry, each asked for twice, on a
    gate with 4 verification threads: the other registries keep 2 of them (per-host
    limit), the dripping verifications are shared and answered at the deadline, and a Pod
    whose signed image was never verified is allowed within the budget."""
    release, _ = release_keys
    with Registry(registry_host, plain_http=True) as registry:
        digest = push_image(registry, "attack/fresh").digest
        sign_image(
            registry, "attack/fresh", f"{registry_host}/attack/fresh", digest, release.signer
        )
    config = write_config(
        tmp_path / "config",
        f"""\
        version: 1
        signers: {{release: {{key: {release.public}}}}}
        artifacts:
          - {{match: "{registry_host}/attack/*", signers: [release], signature: {{}}}}
          - {{match: "{dripping.host}/*", signers: [release], signature: {{}}}}
        """,
        "{trust_policy: trust.yaml, plain_http: true, registry_concurrency: 2}",
    )
    with running_gate(
        tmp_path / "gate",
        pki.ca.path,
        pki.server,
        config=config,
        audit=str(tmp_path / "audit.db"),
        args=("--threads", "4"),
    ) as gate:
        slow = [review(pod(image), dry_run=True) for image in dripping_images(dripping) * 2]
        with ThreadPoolExecutor(len(slow)) as pool:
            waiting = [pool.submit(timed_post, gate, body) for body in slow]
            time.sleep(0.5)  # every dripping verification has started
            seconds, answer = timed_post(
                gate, review(pod(f"{registry_host}/attack/fresh@{digest}"))
            )
            slow_answers = [future.result() for future in waiting]
    assert answer.status_code == 200 and answer.json()["response"]["allowed"], answer.text
    assert seconds < BUDGET_S
    for elapsed, response in slow_answers:
        assert elapsed < BUDGET_S + SLACK_S
        assert "time" in denial(response) or "registry" in denial(response)
    # one verification per image at a time: a second request shares the first one's
    assert max(dripping.requests.values()) <= 2


def test_failed_verification_is_reused(
    tmp_path: Path,
    pki: PKI,  # noqa: F811
    release_keys: tuple[KeyPair, KeyPair],  # noqa: F811
    dripping: HostileRegistry,
) -> None:
    """A dripping image's verification ends at the deadline; the next Pod of that image,
    within images.error_cache_ttl, is denied with the same failure at once instead of
    waiting for the registry again (and holding a verification slot)."""
    release, _ = release_keys
    config = write_config(
        tmp_path / "config",
        f"""\
        version: 1
        signers: {{release: {{key: {release.public}}}}}
        artifacts:
          - {{match: "{dripping.host}/*", signers: [release], signature: {{}}}}
        """,
        "{trust_policy: trust.yaml, plain_http: true, error_cache_ttl: 30}",
    )
    image = dripping_images(dripping)[0]
    with running_gate(
        tmp_path / "gate", pki.ca.path, pki.server, config=config, audit=str(tmp_path / "a.db")
    ) as gate:
        first_s, first = timed_post(gate, review(pod(image), dry_run=True))
        again_s, again = timed_post(gate, review(pod(image), dry_run=True))
    assert first_s >= BUDGET_S - RESERVE_S
    # the request's budget ends a moment before the verification's deadline
    assert "time-budget" in denial(first) or "registry-deadline" in denial(first)
    assert "registry-deadline" in denial(again)
    assert again_s < BUDGET_S - RESERVE_S
    assert sum(dripping.requests.values()) == 1


def heavy_pod(image: str, base: Callable[..., dict[str, Any]] = pod) -> dict[str, Any]:
    """A Pod of about 2.8 MB (`base`'s): many containers with many environment variables."""
    obj = base(image, name="heavy")
    template = obj["spec"]["containers"][0]
    env = [{"name": f"V{i}", "value": "x" * 40} for i in range(20)]
    obj["spec"]["containers"] = [
        dict(template, name=f"c{n}", env=env, args=["--flag", "value"] * 10) for n in range(1500)
    ]
    return obj


def test_heavy_objects_do_not_hold_up_a_small_pod(
    tmp_path: Path,
    pki: PKI,  # noqa: F811
) -> None:
    """32 parallel 2.8 MB Pods: a small Pod sent among them is answered within the budget,
    and every heavy one is answered by its deadline (allowed, or denied as over budget)."""
    config = write_config(tmp_path / "config", "version: 1\n", "{verify: false}")
    image = "registry.example/app@sha256:" + "a" * 64
    heavy = json.dumps(review(heavy_pod(image))).encode()
    assert len(heavy) > HEAVY_BYTES
    with (
        running_gate(
            tmp_path / "gate", pki.ca.path, pki.server, config=config, audit=str(tmp_path / "a.db")
        ) as gate,
        ThreadPoolExecutor(32) as pool,
    ):
        flood = [pool.submit(timed_post, gate, heavy) for _ in range(32)]
        time.sleep(1.0)
        seconds, answer = timed_post(gate, review(pod(image)))
        heavy_answers = [future.result() for future in flood]
        logged = [e["duration_ms"] / 1000 for e in gate.logs() if e.get("event") == "decision"]
    assert answer.status_code == 200 and answer.json()["response"]["allowed"], answer.text
    assert seconds < BUDGET_S
    # the gate's own clock: no decision took longer than the budget
    assert logged and max(logged) < BUDGET_S, sorted(logged)[-5:]
    # the client's clock also counts 32 uploads of 2.8 MB over TLS from one process on a
    # loaded 2-core machine (they reach the gate up to 2 s apart): generous, but nothing
    # like the 13 s of the issue
    for elapsed, response in heavy_answers:
        assert elapsed < 2 * BUDGET_S, [(round(e, 2), r.status_code) for e, r in heavy_answers]
        assert response.status_code in (200, 503), response.text


def test_registry_clients_share_their_tls_context(tmp_path: Path, pki: PKI) -> None:  # noqa: F811
    """Every verification connects a new registry client: loading a trust store for each
    cost 10-200 ms of CPU, which dripping images asked for several times a second. The
    context is built once per CA file, and again when the file changes."""

    def context(client: Registry) -> ssl.SSLContext:
        transport = client._client._transport  # type: ignore[union-attr]
        return transport._pool._ssl_context

    ca = tmp_path / "ca.pem"
    shutil.copy(pki.ca.path, ca)
    with Registry("127.0.0.1:1") as one, Registry("127.0.0.1:2", plain_http=True) as two:
        assert context(one) is context(two)
    with Registry("127.0.0.1:1", ca_file=ca) as one, Registry("127.0.0.1:2", ca_file=ca) as two:
        shared = context(one)
        assert shared is context(two)
    os.utime(ca, ns=(time.time_ns(), time.time_ns() + 10**9))
    with Registry("127.0.0.1:1", ca_file=ca) as changed:
        assert context(changed) is not shared


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def test_heavy_objects_are_judged_in_a_worker_process(tmp_path: Path, pki: PKI) -> None:  # noqa: F811
    """Objects over 256 KiB are parsed and judged in a worker process forked from the gate,
    so that their second of CPU is not taken from the event loop's GIL: a heavy privileged
    Pod is denied for it as a small one is, and a worker that dies is replaced."""
    # a budget a loaded machine can judge a heavy object in
    config = write_config(tmp_path / "config", "version: 1\n", "{verify: false}", budget=20)
    image = "registry.example/app@sha256:" + "a" * 64
    heavy = json.dumps(review(heavy_pod(image, privileged))).encode()
    with running_gate(
        tmp_path / "gate", pki.ca.path, pki.server, config=config, audit=str(tmp_path / "a.db")
    ) as gate:
        workers = children(gate.process.pid)
        _, small = timed_post(gate, review(privileged(image)))
        _, large = timed_post(gate, heavy)
        os.kill(workers[0], signal.SIGKILL)
        _, broken = timed_post(gate, heavy)  # the worker died under it: fails closed
        _, again = timed_post(gate, heavy)
        replaced = children(gate.process.pid)
    assert len(workers) == 1
    assert "K8S-PRIVILEGED" in denial(small)
    assert "K8S-PRIVILEGED" in denial(large)
    assert broken.status_code != 200 or not broken.json()["response"]["allowed"]
    assert "K8S-PRIVILEGED" in denial(again)
    assert len(replaced) == 1 and replaced != workers
