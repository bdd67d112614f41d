"""Gate load benchmark: drive `c4guard gate serve` over TLS on loopback at a fixed request
rate with a mix of allowed and denied admissions, the image verdict cache warm and the
audit trail on, and print throughput, latency percentiles and errors.

    python bench/gate_bench.py                         # 200 req/s for 60 s, SQLite trail
    python bench/gate_bench.py --rate 400 --duration 120
    python bench/gate_bench.py --postgres              # a throwaway PostgreSQL trail

The load is open-loop: request i is due at start + i/rate, and its latency is measured from
that moment, so a slow server cannot hide its queueing by slowing the client down. Requests
go over a pool of keep-alive TLS connections, as the API server sends them. A request is an
error when it fails, times out, answers anything but 200, or gets a decision other than the
expected one. Nothing is asserted; the figures are printed with the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import ssl
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from c4guard.audit import open_trail
from c4guard.supplychain.oci import Registry

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.audit.audit_testing import PostgresCluster, find_bindir  # noqa: E402
from tests.gate.harness import GateProcess, review, running_gate  # noqa: E402
from tests.gate.objects import deployment, pod, privileged  # noqa: E402
from tests.gate.tls import TestCA  # noqa: E402
from tests.supplychain.publish import make_key, push_image, sign_image  # noqa: E402
from tests.supplychain.registry import running_registry  # noqa: E402

REQUEST_TIMEOUT_S = 10.0


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


@dataclass(frozen=True)
class Admission:
    """One request body of the mix and the decision it must get."""

    name: str
    body: bytes
    allowed: bool


def admissions(signed: str, unsigned: str) -> list[Admission]:
    """Allowed and denied requests, half and half: denials by a check and by verify."""

    def encoded(obj: dict) -> bytes:
        return json.dumps(review(obj, uid="bench")).encode()

    return [
        Admission("hardened pod, signed image", encoded(pod(signed)), True),
        Admission("deployment, signed image", encoded(deployment(signed)), True),
        Admission("privileged pod", encoded(privileged(signed)), False),
        Admission("unsigned image", encoded(pod(unsigned)), False),
    ]


class Connection:
    """One keep-alive HTTP/1.1 connection over TLS; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, context: ssl.SSLContext) -> Connection:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname="localhost"
        )
        return cls(reader, writer)

    async def post(self, body: bytes) -> tuple[int, bytes]:
        self.writer.write(
            b"POST /validate HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        return status, await self.reader.readexactly(length)


async def drive(
    port: int,
    context: ssl.SSLContext,
    mix: list[Admission],
    rate: float,
    duration: float,
    connections: int,
) -> tuple[Results, float]:
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        idle.put_nowait(await Connection.open(port, context))
    results = Results()
    total = int(rate * duration)
    start = time.perf_counter() + 0.1
    tasks = []
    for n in range(total):
        due = start + n / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(idle, mix[n % len(mix)], due, results, port, context)))
    await asyncio.gather(*tasks)
    return results, time.perf_counter() - start


async def one(
    idle: asyncio.Queue[Connection],
    admission: Admission,
    due: float,
    results: Results,
    port: int,
    context: ssl.SSLContext,
) -> None:
    connection = await idle.get()
    try:
        status, body = await asyncio.wait_for(connection.post(admission.body), REQUEST_TIMEOUT_S)
    except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
        results.error(type(exc).__name__)
        connection.writer.close()
        idle.put_nowait(await Connection.open(port, context))
        return
    idle.put_nowait(connection)
    results.latencies.append(time.perf_counter() - due)
    if status != 200:
        results.error(f"HTTP {status}")
    elif json.loads(body)["response"]["allowed"] is not admission.allowed:
        results.error(f"unexpected decision for {admission.name}")


def run(coroutine: Any) -> Any:
    """Run on uvloop when it is installed (it spends less CPU on TLS than asyncio)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@contextmanager
def environment(folder: Path, use_postgres: bool) -> Iterator[tuple[GateProcess, list[Admission]]]:
    """A registry with a signed and an unsigned image, and a gate that trusts the signer."""
    with ExitStack() as stack:
        (folder / "registry").mkdir()
        host = stack.enter_context(running_registry(folder / "registry"))
        key = make_key(folder, "release")
        with Registry(host, plain_http=True) as registry:
            signed = push_image(registry, "bench/server").digest
            sign_image(registry, "bench/server", f"{host}/bench/server", signed, key.signer)
            unsigned = push_image(registry, "bench/unsigned").digest
        (folder / "trust.yaml").write_text(
            textwrap.dedent(f"""\
            version: 1
            signers: {{release: {{key: {key.public}}}}}
            artifacts:
              - {{match: "{host}/bench/*", require_digest: true, signers: [release],
                  signature: {{}}}}
            """)
        )
        config = folder / "c4guard.yaml"
        config.write_text(
            "version: 1\ngate:\n  images: {trust_policy: trust.yaml, plain_http: true}\n"
        )
        audit = str(folder / "audit.db")
        if use_postgres:
            bindir = find_bindir()
            if bindir is None:
                sys.exit("PostgreSQL binaries not found")
            cluster = PostgresCluster(bindir)
            stack.callback(cluster.stop)
            cluster.start()
            audit = cluster.url
        ca = TestCA(folder)
        gate = stack.enter_context(
            running_gate(folder / "gate", ca.path, ca.issue("server"), config=config, audit=audit)
        )
        yield gate, admissions(f"{host}/bench/server@{signed}", f"{host}/bench/unsigned@{unsigned}")


def server_metrics(gate: GateProcess) -> dict[str, float]:
    wanted = ("c4guard_gate_decisions_total", "c4guard_gate_image_cache_lookups_total")
    found = {}
    for line in gate.client().get("/metrics").text.splitlines():
        if line.startswith(wanted):
            name, value = line.rsplit(" ", 1)
            found[name] = float(value)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres", action="store_true", help="audit to PostgreSQL")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="c4guard-gate-bench-") as tmp,
        environment(Path(tmp), args.postgres) as (gate, mix),
    ):
        context = ssl.create_default_context(cafile=str(gate.ca))
        warm, _ = run(drive(gate.port, context, mix, 20, 1, 4))  # fills the cache
        before = CpuSample.take(gate.process.pid)
        results, elapsed = run(
            drive(gate.port, context, mix, args.rate, args.duration, args.connections)
        )
        usage = CpuSample.take(gate.process.pid).since(before)
        metrics = server_metrics(gate)
        with open_trail(gate.audit, create=False) as trail:
            entries = trail.size()
    report(args, results, elapsed, warm, usage, metrics, entries)


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds from /proc: the whole machine (busy, all), the gate, this process."""

    busy: float
    total: float
    gate: float
    client: float

    @classmethod
    def take(cls, gate_pid: int) -> CpuSample:
        tick = os.sysconf("SC_CLK_TCK")
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        stat = Path(f"/proc/{gate_pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = os.times()
        return cls(
            (sum(fields) - idle) / tick,
            sum(fields) / tick,
            (int(stat[11]) + int(stat[12])) / tick,
            own.user + own.system,
        )

    def since(self, start: CpuSample) -> CpuSample:
        return CpuSample(
            self.busy - start.busy,
            self.total - start.total,
            self.gate - start.gate,
            self.client - start.client,
        )


def report(
    args: argparse.Namespace,
    results: Results,
    elapsed: float,
    warm: Results,
    usage: CpuSample,
    metrics: dict[str, float],
    entries: int,
) -> None:
    done = len(results.latencies)
    ms = [s * 1000 for s in results.latencies]
    print(
        f"gate benchmark: target {args.rate:g} req/s for {args.duration:g} s, "
        f"{args.connections} keep-alive TLS connections, audit on "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}"
    )
    cpus = usage.total / elapsed
    others = usage.busy - usage.gate - usage.client
    print(
        f"machine: {os.cpu_count()} CPUs, {usage.busy / elapsed:.2f} of {cpus:.2f} busy during "
        f"the run: gate {usage.gate / elapsed:.2f}, load client {usage.client / elapsed:.2f}, "
        f"other processes {others / elapsed:.2f}; load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"requests:   {done} answered in {elapsed:.1f} s = {done / elapsed:.1f} req/s; "
        f"gate CPU {usage.gate / max(done, 1) * 1000:.2f} ms per request"
    )
    if ms:
        print(
            f"latency ms: p50 {percentile(ms, 0.50):.2f}  p90 {percentile(ms, 0.90):.2f}  "
            f"p99 {percentile(ms, 0.99):.2f}  max {max(ms):.2f}  "
            f"mean {statistics.fmean(ms):.2f}"
        )
    print(f"errors:     {sum(results.errors.values())} {results.errors or ''}".rstrip())
    print(f"warm-up:    {len(warm.latencies)} requests, {sum(warm.errors.values())} errors")
    for name, value in sorted(metrics.items()):
        print(f"server:     {name} {value:g}")
    print(f"audit:      {entries} entries in the trail (every non-dry-run decision)")


if __name__ == "__main__":
    main()
