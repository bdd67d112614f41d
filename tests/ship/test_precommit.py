"""pre-commit runs c4guard's two hooks on a fixture repository, offline: the `repo: local`,
`language: system` configuration of docs/github-action.md with the installed c4guard."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .helm import ROOT

DOC = ROOT / "docs" / "github-action.md"
CLEAN_DOCKERFILE = """\
FROM python:3.12-slim@sha256:0c3e1ba2d05c1bc49bb5ab6bbc32e5b1e3e2b1c1a05bdbd2c5fb5d1a2a9c4e11
RUN useradd --uid 10001 app
USER 10001
CMD ["python", "-m", "http.server"]
"""
SECRET_VALUE = "HTn850JA05eUbDPlLziXf0HK"
SECRET = f'db_password = "{SECRET_VALUE}"\n'


def _local_config() -> dict:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return yaml.safe_load(next(b for b in blocks if "repo: local" in b))


def test_local_hooks_match_the_published_ones() -> None:
    published = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    (repo,) = _local_config()["repos"]
    for hook in repo["hooks"]:
        assert hook["entry"] == published[hook["id"]]["entry"], hook["id"]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _pre_commit(repo: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home"),
        "C4GUARD_STATE_DIR": str(repo.parent / "state"),
    }
    command = [sys.executable, "-m", "pre_commit", "run", "--files", *files]
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=240)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_pre_commit_runs_both_hooks_offline(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(_local_config()))
    (repo / "Dockerfile").write_text(CLEAN_DOCKERFILE)
    (repo / "notes.txt").write_text("nothing secret here\n")
    _git(repo, "add", ".")
    clean = _pre_commit(repo, "Dockerfile", "notes.txt")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert re.search(r"c4guard secrets\.+Passed", clean.stdout), clean.stdout
    assert re.search(r"c4guard scan\.+Passed", clean.stdout), clean.stdout

    (repo / "settings.ini").write_text(SECRET)
    (repo / "Dockerfile").write_text("FROM python:latest\nUSER root\n")
    _git(repo, "add", ".")
    dirty = _pre_commit(repo, "Dockerfile", "settings.ini")
    assert dirty.returncode == 1, dirty.stdout + dirty.stderr
    assert re.search(r"c4guard secrets\.+Failed", dirty.stdout), dirty.stdout
    assert re.search(r"c4guard scan\.+Failed", dirty.stdout), dirty.stdout
    assert SECRET_VALUE not in dirty.stdout  # redacted
