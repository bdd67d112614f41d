"""Audit trail benchmark: appends per second on SQLite and PostgreSQL, and the time to
verify a trail of 1,000,000 entries.

    python bench/audit_bench.py                      # both stores, a throwaway PostgreSQL
    python bench/audit_bench.py --postgres URL       # an existing server (superuser URL)
    python bench/audit_bench.py --verify-entries 100000 --skip-postgres

Every figure is printed; nothing is asserted. PostgreSQL comes from the installed binaries
(Debian's `postgresql`), on a free loopback port, as in the tests.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from c4guard.audit import Event, GroupCommitter, assessment_payload, open_trail
from c4guard.audit.note import Signer
from c4guard.audit.verify import verify_trail

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.audit.audit_testing import PostgresCluster, find_bindir  # noqa: E402

SUMMARY = {
    "level": 3,
    "met_level": 1,
    "input_errors": 0,
    "requirements": {"pass": 20, "fail": 3, "review": 9, "attested": 2, "not_applicable": 1},
}
WORKER_STARTUP_S = 3.0
WORKER = """
import sys, time
from c4guard.audit import open_trail
location, count, start_at = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
with open_trail(location, create=False) as trail:
    time.sleep(max(0.0, start_at - time.time()))  # all workers start together
    start = time.time()
    for n in range(count):
        trail.append("gate.decision", {"allowed": True, "n": n}, "bench-worker")
    print(start, time.time())
"""


def event(n: int) -> Event:
    return Event("scan.assessment", assessment_payload(str(n).encode(), SUMMARY), "bench@ci")


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s ({count} in {seconds:.2f} s)"


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def sequential(location: str, count: int) -> str:
    with open_trail(location) as trail:
        return rate(
            count,
            timed(
                lambda: [trail.append(e.kind, e.payload, e.actor) for e in map(event, range(count))]
            ),
        )


def batched(location: str, count: int, batch: int) -> str:
    events = [event(n) for n in range(count)]
    with open_trail(location) as trail:
        seconds = timed(
            lambda: [trail.append_many(events[n : n + batch]) for n in range(0, count, batch)]
        )
    return rate(count, seconds)


def processes(location: str, count: int, workers: int) -> str:
    open_trail(location).close()
    each = count // workers
    start_at = str(time.time() + WORKER_STARTUP_S)
    running = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, location, str(each), start_at],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    spans = [tuple(map(float, p.communicate()[0].split())) for p in running]
    return rate(each * workers, max(end for _, end in spans) - min(start for start, _ in spans))


def group_commit(location: str, count: int, threads: int) -> str:
    committer = GroupCommitter(open_trail(location))
    each = count // threads

    def work() -> None:
        for n in range(each):
            committer.append("gate.decision", {"allowed": True, "n": n}, "bench-thread")

    pool = [threading.Thread(target=work) for _ in range(threads)]
    seconds = timed(lambda: ([t.start() for t in pool], [t.join() for t in pool]))
    commits = committer.commits
    committer.close()
    return f"{rate(each * threads, seconds)}, {commits} commits"


def verify_million(location: str, entries: int, signer: Signer) -> None:
    chunk = 10_000
    with open_trail(location) as trail:
        start = time.perf_counter()
        for first in range(0, entries, chunk):
            trail.append_many([event(n) for n in range(first, min(entries, first + chunk))])
            if (first + chunk) % (entries // 10 or 1) == 0:
                trail.checkpoint(signer)
        trail.checkpoint(signer)
        print(f"  built {entries:,} entries: {rate(entries, time.perf_counter() - start)}")
        start = time.perf_counter()
        result = verify_trail(trail, [signer.verifier()])
        seconds = time.perf_counter() - start
    per_entry = seconds / max(result.entries, 1) * 1e6
    print(
        f"  verify {result.entries:,} entries, {result.checkpoints_verified} checkpoints:"
        f" {seconds:.1f} s ({per_entry:.1f} µs/entry), ok={result.ok}"
    )


def run_store(name: str, fresh: Callable[[], str], args: argparse.Namespace) -> None:
    print(f"{name}:")
    print(f"  sequential appends (one commit each): {sequential(fresh(), args.appends)}")
    print(f"  append_many, batches of 100:           {batched(fresh(), args.appends * 5, 100)}")
    print(f"  8 processes appending at once:         {processes(fresh(), args.appends, 8)}")
    print(f"  GroupCommitter, 16 threads:            {group_commit(fresh(), args.appends, 16)}")
    if args.verify_entries:
        verify_million(fresh(), args.verify_entries, Signer.generate("bench/c4guard-audit"))


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries: apt-get install postgresql, or --postgres URL")
    cluster = PostgresCluster(bindir).start()
    try:
        yield cluster.url
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--verify-entries", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="superuser URL of an existing server")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out" / "audit")
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    run_store(
        "SQLite (WAL, synchronous=FULL)", lambda: str(args.workdir / f"{uuid.uuid4().hex}.db"), args
    )
    if args.skip_postgres:
        return
    with postgres(args.postgres) as server:
        base = server.rsplit("/", 1)[0]

        def fresh() -> str:
            name = f"c4guard_bench_{uuid.uuid4().hex[:12]}"
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {name}")
            return f"{base}/{name}"

        run_store("PostgreSQL (synchronous_commit=on)", fresh, args)


if __name__ == "__main__":
    main()
