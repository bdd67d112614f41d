"""Several gate replicas share one PostgreSQL audit trail and decide alike: nothing that
decides lives in a replica."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

from click.testing import CliRunner

from c4guard.cli import main
from tests.gate.harness import decisions, running_gate
from tests.gate.objects import pod, privileged


def test_replicas_share_one_postgres_trail_that_verifies(tmp_path, pki, gate_files, images,
                                                         postgres_url):
    with ExitStack() as stack:
        replicas = [stack.enter_context(running_gate(
            tmp_path / name, pki.ca.path, pki.server, config=gate_files, audit=postgres_url,
            args=("--actor", f"gate@{name}"))) for name in ("replica-a", "replica-b")]
        requests = [(replica, obj, f"{n}-{kind}")
                    for n, replica in enumerate(replicas * 10)
                    for kind, obj in (("allowed", pod(images.signed)),
                                      ("privileged", privileged(images.signed)),
                                      ("unsigned", pod(images.unsigned)))]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda r: (r[2], r[0].admit(r[1], uid=r[2])), requests))

    outcome = {uid: answer["allowed"] for uid, answer in answers}
    assert all(allowed == uid.endswith("allowed") for uid, allowed in outcome.items())
    recorded = decisions(postgres_url)
    assert {p["request"]["uid"]: p["allowed"] for p in recorded} == outcome

    runner = CliRunner()
    env = {"C4GUARD_AUDIT_DB": postgres_url}
    key = tmp_path / "audit.key"
    assert runner.invoke(main, ["audit", "keygen", "--out", str(key)], env=env).exit_code == 0
    assert runner.invoke(main, ["audit", "checkpoint", "--key", str(key)], env=env).exit_code == 0
    verified = runner.invoke(main, ["audit", "verify", "--key", f"{key}.pub"], env=env)
    assert verified.exit_code == 0, verified.output
    log = runner.invoke(main, ["audit", "log", "-n", "100", "--json"], env=env).output
    assert '"actor":"gate@replica-a"' in log and '"actor":"gate@replica-b"' in log
