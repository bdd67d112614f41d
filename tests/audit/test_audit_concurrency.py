"""Many processes appending at once, and processes killed in the middle of appends."""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from c4guard.audit import open_trail
from c4guard.audit.events import decode_entry
from c4guard.audit.keys import write_key_pair
from c4guard.audit.verify import verify_trail

WORKERS = 8
APPENDS = 30
KILL_ROUNDS = 3

# A worker appends APPENDS events one by one, signing a checkpoint every 10 appends.
APPENDER = """
import sys
from pathlib import Path
from c4guard.audit import open_trail
from c4guard.audit.keys import load_signer
location, actor, count, key = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
signer = load_signer(key)
with open_trail(location) as trail:
    for seq in range(count):
        trail.append("gate.decision", {"seq": seq}, actor)
        if seq % 10 == 9:
            trail.checkpoint(signer)
"""

# A victim appends forever, alternating single events and batches of five.
VICTIM = """
import sys
from c4guard.audit import Event, open_trail
location, actor = sys.argv[1], sys.argv[2]
with open_trail(location) as trail:
    batch = 0
    while True:
        trail.append("gate.decision", {"single": batch}, actor)
        trail.append_many([Event("gate.decision", {"batch": batch, "part": p}, actor)
                           for p in range(5)])
        batch += 1
"""


def spawn(script: str, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-c", script, *args]
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_eight_processes_appending_at_once_get_one_order(location, signer, tmp_path: Path):
    key = tmp_path / "audit.key"
    write_key_pair(signer, key)
    open_trail(location).close()  # created once, as `c4guard audit init` would
    workers = [
        spawn(APPENDER, location, f"worker-{n}", str(APPENDS), str(key)) for n in range(WORKERS)
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=300)
        assert worker.returncode == 0, errors
    with open_trail(location, create=False) as trail:
        report = verify_trail(trail, [signer.verifier()])
        assert report.ok, report.problems
        assert report.entries == WORKERS * APPENDS
        assert report.checkpoints_verified >= 1
        seen = collections.defaultdict(list)
        for _, data in trail.entries():
            entry = decode_entry(data)
            seen[entry.actor].append(entry.payload["seq"])
    # No entry lost or duplicated, and each worker's appends in the order it made them.
    assert {actor: seqs for actor, seqs in seen.items()} == {
        f"worker-{n}": list(range(APPENDS)) for n in range(WORKERS)
    }


@pytest.mark.slow
def test_a_process_killed_during_appends_leaves_a_log_that_verifies(location, signer):
    open_trail(location).close()
    for round_ in range(KILL_ROUNDS):
        with open_trail(location, create=False) as trail:
            before = trail.size()
        victim = spawn(VICTIM, location, f"victim-{round_}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with open_trail(location, create=False) as trail:
                if trail.size() >= before + 20 + 7 * round_:
                    break
            time.sleep(0.01)
        time.sleep(random.uniform(0, 0.05))  # somewhere inside the next appends
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
        assert victim.returncode == -signal.SIGKILL
        with open_trail(location, create=False) as trail:
            report = verify_trail(trail, [signer.verifier()])
            assert report.ok, report.problems
            assert report.entries > before
            batches = collections.Counter()
            for _, data in trail.entries():
                payload = decode_entry(data).payload
                if "batch" in payload:
                    batches[(decode_entry(data).actor, payload["batch"])] += 1
            assert set(batches.values()) == {5}, "a killed batch is all there or not at all"
            trail.append("gate.decision", {"after": round_}, "survivor")  # no stale lock
            trail.checkpoint(signer)
            assert verify_trail(trail, [signer.verifier()]).ok
