"""Compose checks beyond the fixture markers (tests/checks/test_markers.py): a hardened
stack passes, services built from scanned Dockerfiles, extends, and what is not compose."""

from __future__ import annotations

from pathlib import Path

from c4guard.sources import read_inputs
from tests.conftest import findings_of, scan_paths, status_of

FIXTURES = Path(__file__).parents[1] / "fixtures" / "compose"


def test_hardened_compose_has_no_failure() -> None:
    result = scan_paths([str(FIXTURES / "hardened")])
    failing = [f"{f.check_id} {f.message}" for f in findings_of(result) if f.result.value != "pass"]
    assert failing == []
    for requirement in ("4.1.1", "4.1.2", "4.1.3", "4.4.5", "4.5.2", "4.6.1"):
        assert status_of(result, requirement) == "pass", requirement


def test_service_built_from_a_dockerfile_among_the_inputs_is_judged_by_its_user() -> None:
    result = scan_paths([str(FIXTURES / "hardened")])
    [sandbox] = [f for f in findings_of(result, "COMPOSE-USER") if f.resource.name == "sandbox"]
    assert sandbox.result.value == "pass" and "runner/Dockerfile" in sandbox.message


def test_no_sandboxed_service_makes_4_5_2_not_applicable(write, scan) -> None:
    write(
        "compose.yaml",
        """
        services:
          api:
            image: ghcr.io/example/api:1.0
    """,
    )
    assert status_of(scan(), "4.5.2") == "not_applicable"


def test_extends_within_the_file_is_merged(write, tmp_path) -> None:
    write(
        "docker-compose.yml",
        """
        services:
          base:
            image: x
            read_only: true
            cap_drop: [ALL]
          app:
            extends: base
            user: "1000"
          remote:
            extends: {file: other.yml, service: web}
    """,
    )
    services = {r.name: r.body for r in read_inputs([str(tmp_path)]).resources}
    assert services["app"].spec["read_only"] is True
    assert services["app"].spec["cap_drop"] == ["ALL"]
    assert services["remote"].notes == ("extends web from other.yml, which is not followed",)


def test_other_yaml_with_services_is_not_compose(write, tmp_path) -> None:
    write(
        "config.yaml",
        """
        services:
          - name: billing
            port: 8080
    """,
    )
    write(
        "app.yaml",
        """
        services:
          web: {image: nginx, build: .}
        networks: {}
    """,
    )
    inputs = read_inputs([str(tmp_path)])
    assert [r.name for r in inputs.resources] == ["web"]
