"""Several gate replicas share one PostgreSQL audit trail and decide alike: nothing that
decides lives in a replica; a replica that loses the database recovers without a restart."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import psycopg
from click.testing import CliRunner

from c4guard.cli import main
from tests.gate.harness import decisions, running_gate
from tests.gate.objects import pod, privileged


def test_replicas_share_one_postgres_trail_that_verifies(
    tmp_path, pki, gate_files, images, postgres_url
):
    with ExitStack() as stack:
        replicas = [
            stack.enter_context(
                running_gate(
                    tmp_path / name,
                    pki.ca.path,
                    pki.server,
                    config=gate_files,
                    audit=postgres_url,
                    args=("--actor", f"gate@{name}"),
                )
            )
            for name in ("replica-a", "replica-b")
        ]
        requests = [
            (replica, obj, f"{n}-{kind}")
            for n, replica in enumerate(replicas * 10)
            for kind, obj in (
                ("allowed", pod(images.signed)),
                ("privileged", privileged(images.signed)),
                ("unsigned", pod(images.unsigned)),
            )
        ]
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda r: (r[2], r[0].admit(r[1], uid=r[2])), requests))

    outcome = {uid: answer["allowed"] for uid, answer in answers}
    wrong = {uid: a for uid, a in answers if a["allowed"] != uid.endswith("allowed")}
    assert not wrong, wrong
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


def test_a_lost_database_connection_denies_then_the_replica_recovers(
    tmp_path, pki, gate_files, images, postgres_url
):
    server, database = postgres_url.rsplit("/", 1)
    with running_gate(
        tmp_path, pki.ca.path, pki.server, config=gate_files, audit=postgres_url
    ) as gate:
        assert gate.admit(pod(images.signed))["allowed"] is True
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

        lost = gate.admit(pod(images.signed))
        assert lost["allowed"] is False
        assert "(audit-unavailable)" in lost["status"]["message"]
        assert gate.client().get("/readyz").status_code == 200  # the trail was reopened
        assert gate.admit(pod(images.signed), uid="after-reconnect")["allowed"] is True
        assert "after-reconnect" in [p["request"]["uid"] for p in decisions(postgres_url)]

        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {database} WITH (FORCE)")
            try:
                assert gate.admit(pod(images.signed))["allowed"] is False
                readiness = gate.client().get("/readyz")
                assert readiness.status_code == 503
                assert "audit trail unavailable" in readiness.text
            finally:
                admin.execute(f"CREATE DATABASE {database}")  # for the fixture's teardown
