"""Gate soak benchmark (issue 17): `c4guard gate serve` over TLS on loopback under a steady
open-loop load while it is attacked, printing the latency of the legitimate requests,
errors, and the gate's memory and file descriptors over time.

    python bench/gate_soak.py                    # 30 minutes at 200 req/s
    python bench/gate_soak.py --duration 150     # a short run

The legitimate mix (allowed and denied Pods and Deployments whose images are verified
against a real registry, verdicts cached for 5 s so that verification keeps running) goes
over 16 keep-alive TLS connections. Beside it, on connections of their own: 1 % heavy
objects (2.8 MB Pods) and 1 % dry-run Pods whose images sit in a registry that drips one
byte a second (6 images), and an attacker that holds 5,000 idle TCP connections open (it
opens a new one for each the gate closes). A thread polls /healthz on the probe port every
second. Everything is on loopback and ends by itself after --duration.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import ssl
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.gate_bench import Connection, percentile, run  # noqa: E402
from tests.attacks.hostile_registry import HostileRegistry, digest_of, image_manifest  # noqa: E402
from tests.attacks.test_gate_attacks import heavy_pod  # noqa: E402
from tests.gate.harness import GateProcess, free_port, review, running_gate  # noqa: E402
from tests.gate.objects import deployment, pod, privileged  # noqa: E402
from tests.gate.tls import TestCA  # noqa: E402
from tests.supplychain.publish import make_key, push_image, sign_image  # noqa: E402
from tests.supplychain.registry import running_registry  # noqa: E402

from c4guard.supplychain.oci import Registry  # noqa: E402

LEGIT_CONNECTIONS = 16
ATTACK_CONNECTIONS = 64
REQUEST_TIMEOUT_S = 10.0
SAMPLE_EVERY_S = 10.0


@dataclass(frozen=True)
class Request:
    kind: str  # legit, heavy, drip
    body: bytes
    allowed: bool | None  # the decision a legitimate request must get


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)

    def count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1


def mix(signed: str, unsigned: str, dripping: list[str], heavy: bytes) -> list[Request]:
    """100 requests: 98 legitimate, 1 heavy, 1 dry-run Pod of a dripping image (rotating)."""

    def body(obj: dict, **kw: object) -> bytes:
        return json.dumps(review(obj, uid="soak", **kw)).encode()

    legit = [
        Request("legit", body(pod(signed)), True),
        Request("legit", body(deployment(signed)), True),
        Request("legit", body(privileged(signed)), False),
        Request("legit", body(pod(unsigned)), False),
    ]
    requests = [legit[n % len(legit)] for n in range(98)]
    requests.insert(33, Request("heavy", heavy, None))
    requests.insert(66, Request("drip", body(pod(dripping[0]), dry_run=True), False))
    drips = [Request("drip", body(pod(image), dry_run=True), False) for image in dripping]
    return [*requests, *drips[1:]]  # the other dripping images once per round too


async def drive(
    gate: GateProcess,
    requests: list[Request],
    rate: float,
    duration: float,
    attack: Attacker,
) -> Tally:
    """Open the keep-alive connections (as the API server holds them), start the attack,
    then send the load."""
    context = ssl.create_default_context(cafile=str(gate.ca))
    pools: dict[str, asyncio.Queue[Connection]] = {
        "legit": asyncio.Queue(),
        "attack": asyncio.Queue(),
    }
    for name, size in (("legit", LEGIT_CONNECTIONS), ("attack", ATTACK_CONNECTIONS)):
        for _ in range(size):
            pools[name].put_nowait(await Connection.open(gate.port, context))
    attack.start()
    await asyncio.sleep(2.0)  # the idle connections are in place
    tally, tasks = Tally(), []
    start = time.perf_counter() + 0.1
    for n in range(int(rate * duration)):
        due = start + n / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        request = requests[n % len(requests)]
        pool = pools["legit" if request.kind == "legit" else "attack"]
        tasks.append(asyncio.create_task(one(gate, context, pool, request, due, tally)))
        if len(tasks) > 5000:
            tasks = [t for t in tasks if not t.done()]
    # requests still waiting REQUEST_TIMEOUT_S after the last one was due are not waited for
    _, late = await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT_S) if tasks else ((), ())
    for task in late:
        task.cancel()
    if late:
        tally.errors["not answered by the end"] = len(late)
    return tally


async def one(
    gate: GateProcess,
    context: ssl.SSLContext,
    pool: asyncio.Queue[Connection],
    request: Request,
    due: float,
    tally: Tally,
) -> None:
    try:
        connection = await asyncio.wait_for(
            pool.get(), max(0.01, due + REQUEST_TIMEOUT_S - time.perf_counter())
        )
    except TimeoutError:
        tally.count(tally.errors, f"{request.kind}: no free connection in {REQUEST_TIMEOUT_S:g} s")
        return
    try:
        status, body = await asyncio.wait_for(connection.post(request.body), REQUEST_TIMEOUT_S)
    except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
        tally.count(tally.errors, f"{request.kind}: {type(exc).__name__}")
        connection.writer.close()
        pool.put_nowait(await reconnect(gate.port, context))
        return
    pool.put_nowait(connection)
    tally.latencies.setdefault(request.kind, []).append(time.perf_counter() - due)
    allowed = json.loads(body)["response"]["allowed"] if status == 200 else None
    tally.count(tally.outcomes, f"{request.kind}: HTTP {status} allowed={allowed}")
    if request.kind == "legit" and (status != 200 or allowed is not request.allowed):
        tally.count(tally.errors, f"legit: HTTP {status} allowed={allowed}")


async def reconnect(port: int, context: ssl.SSLContext) -> Connection:
    """A new connection; under the flood of idle ones it may take a few tries."""
    for _ in range(50):
        try:
            return await asyncio.wait_for(Connection.open(port, context), REQUEST_TIMEOUT_S)
        except (OSError, ssl.SSLError, TimeoutError):
            await asyncio.sleep(0.1)
    return await Connection.open(port, context)


class Attacker:
    """Holds `count` idle TCP connections to `port` open from a process of its own (so that
    its loop over thousands of sockets does not slow the client that measures): replaces
    each the gate closes, and counts every second how many are connected and still open."""

    def __init__(self, port: int, count: int, until: float) -> None:
        self.port, self.count, self.until = port, count, until
        self.results: multiprocessing.Queue = multiprocessing.Queue()
        self.process = multiprocessing.Process(
            target=_attack, args=(port, count, until, self.results), daemon=True
        )
        self.opened = self.closed_by_gate = 0
        self.held: list[int] = []

    def start(self) -> None:
        self.process.start()

    def join(self) -> None:
        self.opened, self.closed_by_gate, self.held = self.results.get(
            timeout=max(10.0, self.until - time.monotonic() + 30)
        )
        self.process.join()


def _attack(port: int, count: int, until: float, results: multiprocessing.Queue) -> None:
    opened = closed = 0

    def connect() -> socket.socket:
        nonlocal opened
        sock = socket.socket()
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        opened += 1
        return sock

    sockets, held = [connect() for _ in range(count)], []
    while time.monotonic() < until:
        time.sleep(1.0)
        up = 0
        for n, sock in enumerate(sockets):
            if _closed(sock):
                sock.close()
                closed += 1
                sockets[n] = connect()
            else:
                up += _connected(sock)
        held.append(up)
    for sock in sockets:
        sock.close()
    results.put((opened, closed, held))


def _connected(sock: socket.socket) -> bool:
    try:
        sock.getpeername()
        return True
    except OSError:
        return False


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


class Watcher(threading.Thread):
    """Polls /healthz on the probe port every second and samples the gate's memory and
    descriptors every SAMPLE_EVERY_S."""

    def __init__(self, pid: int, probe_port: int, until: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.probe_port, self.until = pid, probe_port, until
        self.probe_ok = self.probe_failed = 0
        self.probe_worst = 0.0
        self.samples: list[tuple[float, float, int, float]] = []  # s, RSS MB, fds, CPU s

    def run(self) -> None:
        start = time.monotonic()
        next_sample = start
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < self.until:
                began = time.monotonic()
                try:
                    ok = client.get(f"http://127.0.0.1:{self.probe_port}/healthz").status_code
                    self.probe_ok += ok == 200
                    self.probe_failed += ok != 200
                except httpx.HTTPError:
                    self.probe_failed += 1
                self.probe_worst = max(self.probe_worst, time.monotonic() - began)
                if time.monotonic() >= next_sample:
                    self.samples.append(
                        (time.monotonic() - start, rss_mb(self.pid), fds(self.pid), cpu(self.pid))
                    )
                    next_sample += SAMPLE_EVERY_S
                time.sleep(max(0.0, 1.0 - (time.monotonic() - began)))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def cpu(pid: int) -> float:
    """CPU seconds (user and system) the process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def environment(folder: Path) -> Iterator[tuple[GateProcess, int, list[Request]]]:
    """A real registry (signed, unsigned image), a dripping one (6 images) and the gate."""
    with ExitStack() as stack:
        (folder / "registry").mkdir()
        host = stack.enter_context(running_registry(folder / "registry"))
        slow = stack.enter_context(HostileRegistry(drip=1.0))
        dripping = []
        for n in range(6):
            manifest = image_manifest(f"soak-{n}")
            slow.serve(f"/v2/slow/model/manifests/{digest_of(manifest)}", manifest)
            dripping.append(f"{slow.host}/slow/model@{digest_of(manifest)}")
        key = make_key(folder, "release")
        with Registry(host, plain_http=True) as registry:
            signed = push_image(registry, "soak/server").digest
            sign_image(registry, "soak/server", f"{host}/soak/server", signed, key.signer)
            unsigned = push_image(registry, "soak/unsigned").digest
        (folder / "trust.yaml").write_text(
            textwrap.dedent(f"""\
            version: 1
            signers: {{release: {{key: {key.public}}}}}
            artifacts:
              - {{match: "{host}/soak/*", signers: [release], signature: {{}}}}
              - {{match: "{slow.host}/*", signers: [release], signature: {{}}}}
            """)
        )
        config = folder / "c4guard.yaml"
        config.write_text(
            "version: 1\ngate:\n  images: {trust_policy: trust.yaml, plain_http: true, "
            "cache_ttl: 5}\n"
        )
        ca = TestCA(folder)
        probe_port = free_port()
        gate = stack.enter_context(
            running_gate(
                folder / "gate",
                ca.path,
                ca.issue("server"),
                config=config,
                audit=str(folder / "audit.db"),
                args=("--probe-listen", f"127.0.0.1:{probe_port}"),
            )
        )
        heavy = json.dumps(review(heavy_pod(f"{host}/soak/server@{signed}"))).encode()
        requests = mix(
            f"{host}/soak/server@{signed}", f"{host}/soak/unsigned@{unsigned}", dripping, heavy
        )
        yield gate, probe_port, requests


def report(
    args: argparse.Namespace, tally: Tally, attacker: Attacker, watcher: Watcher, load: float
) -> None:
    print(
        f"gate soak: {args.rate:g} req/s for {args.duration:g} s; {args.idle} idle attacker "
        f"connections; 1 % heavy (2.8 MB), ~6 % dry-run Pods of 6 dripping-registry images"
        + (f"; without {', '.join(args.without)}" if args.without else "")
    )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load:.2f} at the start, "
        f"{os.getloadavg()[0]:.2f} at the end"
    )
    for kind, seconds in sorted(tally.latencies.items()):
        ms = [s * 1000 for s in seconds]
        print(
            f"{kind:<6} {len(ms):>7} answered  p50 {percentile(ms, 0.5):8.1f} ms  "
            f"p95 {percentile(ms, 0.95):8.1f} ms  p99 {percentile(ms, 0.99):8.1f} ms  "
            f"max {max(ms):8.1f} ms"
        )
    print(f"errors: {sum(tally.errors.values())} {tally.errors or ''}".rstrip())
    print(f"outcomes: {tally.outcomes}")
    up = "up" if watcher.probe_failed == 0 and watcher.probe_ok > 0 else "DOWN at times"
    print(
        f"probe port: {up}: /healthz {watcher.probe_ok} ok, {watcher.probe_failed} failed, "
        f"slowest {watcher.probe_worst * 1000:.1f} ms"
    )
    held = sorted(attacker.held[3:-3] or attacker.held or [0])  # under load, not ramping
    print(
        f"attacker: idle connections held open (connected, not closed by the gate): "
        f"min {held[0]}, median {held[len(held) // 2]}, max {held[-1]} of {args.idle}; "
        f"{attacker.opened} opened, {attacker.closed_by_gate} closed by the gate"
    )
    print("gate over time:  seconds  RSS MB   fds  CPU share")
    previous: tuple[float, float] | None = None
    for seconds, rss, count, used in watcher.samples:
        share = (used - previous[1]) / (seconds - previous[0]) if previous else 0.0
        previous = (seconds, used)
        print(f"                 {seconds:7.0f}  {rss:6.1f}  {count:>4}  {share:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=1800.0, help="seconds of load")
    parser.add_argument("--idle", type=int, default=5000, help="idle attacker connections")
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        choices=["heavy", "drip"],
        help="leave a class out of the mix (to see what it costs the legitimate requests)",
    )
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="c4guard-gate-soak-") as tmp,
        environment(Path(tmp)) as (
            gate,
            probe_port,
            requests,
        ),
    ):
        until = time.monotonic() + args.duration + 5
        attacker = Attacker(gate.port, args.idle, until)
        watcher = Watcher(gate.process.pid, probe_port, until)
        watcher.start()
        requests = [request for request in requests if request.kind not in args.without]
        tally = run(drive(gate, requests, args.rate, args.duration, attacker))
        attacker.join()
        watcher.join()
    report(args, tally, attacker, watcher, load)


if __name__ == "__main__":
    main()
