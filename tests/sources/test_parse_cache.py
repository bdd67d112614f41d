"""The parse cache (`scan --cache-dir`): a warm scan reports what a cold one does, a changed
byte is seen, and an entry that is not sound is parsed again, never trusted."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from c4guard.cli import main
from c4guard.sources import ReadOptions, read_inputs
from c4guard.sources.cache import FOLDER, ParseCache
from c4guard.sources.result import FileResult
from c4guard.sources.resultcodec import (
    InvalidEntry,
    Uncacheable,
    decode_result,
    encode_result,
)
from c4guard.sources.yamlload import Mapping
from tests.conftest import REPO

EXAMPLES = REPO / "examples"
POD = """apiVersion: v1
kind: Pod
metadata:
  name: model-server
  namespace: ml
spec:
  containers:
    - name: app
      image: registry.example/app@sha256:{digest}
      securityContext:
        runAsUser: {uid}
"""
DIGEST = "a" * 64


def scan_report(*args: str) -> dict[str, Any]:
    """The JSON report of `c4guard scan`, without the fields that differ between runs."""
    done = CliRunner().invoke(main, ["scan", "--format", "json", "--fail-on", "none", *args])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    for varying in ("generated_at", "duration_s"):
        report.pop(varying)
    return report


def verdicts(report: dict[str, Any], check_id: str) -> list[str]:
    return [
        f["result"]
        for r in report["requirements"]
        for f in r["findings"]
        if f["check_id"] == check_id
    ]


def entries(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / FOLDER).rglob("*.json"))


@pytest.mark.parametrize("example", ["insecure-platform", "hardened-platform"])
def test_a_warm_scan_reports_what_a_cold_scan_and_no_cache_report(
    tmp_path: Path, example: str
) -> None:
    target = str(EXAMPLES / example)
    cache = tmp_path / "cache"
    plain = scan_report(target, "--jobs", "1")
    cold = scan_report(target, "--cache-dir", str(cache))
    assert entries(cache), "the cold scan wrote no entry"
    stamps = {p: p.stat().st_mtime_ns for p in entries(cache)}
    warm = scan_report(target, "--cache-dir", str(cache), "--jobs", "1")
    assert cold == plain
    assert warm == plain
    assert {p: p.stat().st_mtime_ns for p in entries(cache)} == stamps  # all read, none rewritten


def test_one_changed_byte_changes_the_verdict(tmp_path: Path) -> None:
    pod = tmp_path / "tree" / "pod.yaml"
    pod.parent.mkdir()
    cache = str(tmp_path / "cache")
    pod.write_text(POD.format(digest=DIGEST, uid=0))
    assert verdicts(scan_report(str(pod.parent), "--cache-dir", cache), "K8S-RUN-AS-NON-ROOT") == [
        "fail"
    ]
    pod.write_text(POD.format(digest=DIGEST, uid=1))  # runAsUser: 0 -> 1, one byte
    warm = scan_report(str(pod.parent), "--cache-dir", cache)
    assert verdicts(warm, "K8S-RUN-AS-NON-ROOT") == ["pass"]
    assert len(entries(Path(cache))) == 2


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: raw.replace(b'"ml"', b'"xx"'),  # altered after it was written
        lambda raw: b"",  # empty
        lambda raw: b"not a digest\n{}",
    ],
    ids=["truncated", "altered", "empty", "garbage"],
)
def test_an_unsound_entry_is_parsed_again(tmp_path: Path, damage: Any) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "pod.yaml").write_text(POD.format(digest=DIGEST, uid=0))
    cache = tmp_path / "cache"
    cold = scan_report(str(tree), "--cache-dir", str(cache))
    [entry] = entries(cache)
    entry.write_bytes(damage(entry.read_bytes()))
    assert scan_report(str(tree), "--cache-dir", str(cache)) == cold
    assert b'"ml"' in entry.read_bytes()  # parsed again and rewritten


def test_an_entry_under_another_key_is_not_used(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.yaml").write_text(POD.format(digest=DIGEST, uid=0))
    (tree / "b.yaml").write_text(POD.format(digest=DIGEST, uid=1))
    cache = tmp_path / "cache"
    cold = scan_report(str(tree), "--cache-dir", str(cache))
    first, second = entries(cache)
    first.write_bytes(second.read_bytes())  # a sound entry, but of the other file
    assert scan_report(str(tree), "--cache-dir", str(cache)) == cold


def test_entries_are_private_and_written_whole(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "pod.yaml").write_text(POD.format(digest=DIGEST, uid=0))
    cache = tmp_path / "cache"
    scan_report(str(tree), "--cache-dir", str(cache))
    [entry] = entries(cache)
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700
    assert not [p for p in (cache / FOLDER).rglob(".tmp-*")]


def test_an_unusable_cache_dir_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = CliRunner().invoke(main, ["scan", str(EXAMPLES), "--cache-dir", str(blocker / "c")])
    assert done.exit_code == 2
    assert "--cache-dir" in done.output


def test_the_key_follows_the_bytes_and_the_handler_inputs(tmp_path: Path) -> None:
    cache = ParseCache.open(tmp_path)
    identity = ("pod.yaml", "/t/pod.yaml", None, 1024, False)
    base = cache.key(identity, b"abc")
    assert cache.key(identity, b"abc") == base
    assert cache.key(identity, b"abd") != base
    assert cache.key(("pod.yaml", "/t/pod.yaml", "ns", 1024, False), b"abc") != base
    assert cache.key(("pod.yaml", "/t/pod.yaml", None, 2048, False), b"abc") != base
    assert ParseCache(cache.root, "another context").key(identity, b"abc") != base


def test_the_redaction_key_is_part_of_the_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("C4GUARD_REDACTION_KEY", "one-key-of-sixteen-chars")
    first = ParseCache.open(tmp_path).context
    monkeypatch.setenv("C4GUARD_REDACTION_KEY", "another-key-of-sixteen")
    assert ParseCache.open(tmp_path).context != first


def test_the_codec_keeps_shared_values_shared_and_marks_in_place() -> None:
    inputs = read_inputs([str(EXAMPLES / "insecure-platform")], ReadOptions())
    result = FileResult(resources=inputs.resources[:20], domains={"kubernetes"})
    decoded = decode_result(json.loads(json.dumps(encode_result(result))))
    assert decoded == result
    body = decoded.resources[0].body
    original = result.resources[0].body
    assert type(body) is type(original)
    if isinstance(original, Mapping):
        assert (body.path, body.line, body.key_lines) == (
            original.path,
            original.line,
            original.key_lines,
        )
    shared = {"a": 1}
    again = decode_result(encode_result(FileResult(errors=[], resources=[], domains=set())))
    assert again == FileResult()
    twice = decode_result(
        json.loads(json.dumps(encode_result(FileResult(errors=[(1, "x")], skipped=None))))
    )
    assert twice.errors == [(1, "x")]
    looped: list[Any] = [shared]
    looped.append(looped)
    with pytest.raises(Uncacheable):
        encode_result(FileResult(resources=looped))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "entry",
    [
        ["D", "os:system", []],  # not c4guard's
        ["D", "c4guard.errors:UsageError", []],  # not a parsing module
        ["E", "c4guard.model:Domain", "no such domain"],
        ["R", 3],
        {"result": 1},
        ["d", "key without value"],
    ],
)
def test_the_codec_refuses_what_it_did_not_write(entry: Any) -> None:
    with pytest.raises(InvalidEntry):
        decode_result(entry)


def test_a_cache_dir_is_not_needed_to_exist(tmp_path: Path) -> None:
    cache = tmp_path / "a" / "b"
    scan_report(str(EXAMPLES / "hardened-platform"), "--cache-dir", str(cache))
    assert entries(cache)
    assert os.access(cache, os.W_OK)
