"""c4guard's own Dockerfile: multi-stage, pinned by digest, non-root, OCI labels, and it
meets level 2 of c4guard's own scan together with the chart that deploys it. The build
itself (buildah, mmdebstrap) runs in `.ci/image.sh`."""

from __future__ import annotations

import json
import re

from click.testing import CliRunner

from c4guard.cli import main

from .helm import CHART, ROOT, render

DOCKERFILE = ROOT / "Dockerfile"


def _scan(*args: str, stdin: str | None = None) -> dict:
    result = CliRunner().invoke(main, ["scan", *args, "--format", "json"], input=stdin)
    assert result.exit_code == 0, result.output[-3000:]
    return json.loads(result.stdout)


def test_every_dockerfile_check_passes() -> None:
    report = _scan(str(DOCKERFILE), "--show-passes")
    findings = [f for r in report["requirements"] for f in r["findings"]]
    docker = [f for f in findings if f["check_id"].startswith("DOCKER-")]
    assert docker and all(f["result"] == "pass" for f in docker), [
        (f["check_id"], f["message"]) for f in docker if f["result"] != "pass"
    ]
    passed = {f["check_id"] for f in docker}
    assert {"DOCKER-USER", "DOCKER-BASE-DIGEST", "DOCKER-SECRET-ARG-ENV"} <= passed


def test_image_with_its_chart_and_release_meets_level_2() -> None:
    """The Dockerfile judged as deployed: with the chart that runs it and the workflow that
    releases it, under the chart's c4guard.yaml."""
    config = str(CHART / "c4guard.yaml")
    workflows = str(ROOT / ".github" / "workflows")
    report = _scan(
        "-",
        str(DOCKERFILE),
        workflows,
        "--level",
        "2",
        "--config",
        config,
        stdin=render(CHART / "ci" / "default-values.yaml"),
    )
    levels = {entry["level"]: entry for entry in report["summary"]["levels"]}
    assert levels[2]["met"], levels[2]


def test_dockerfile_shape() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert len(stages) == 2  # multi-stage
    assert re.search(r"^USER 65532:65532$", text, re.M)  # numeric, non-root
    assert re.findall(r"^ARG \w+_BASE=\S+@sha256:[0-9a-f]{64}$", text, re.M)
    for label in ("title", "version", "revision", "licenses", "source", "description"):
        assert f"org.opencontainers.image.{label}=" in text
    assert 'ENTRYPOINT ["/opt/c4guard/bin/c4guard"]' in text
    # The runtime stage installs nothing: no RUN after the last FROM.
    assert "RUN " not in text.rsplit("\nFROM ", 1)[1]
