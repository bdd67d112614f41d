"""Secret detection inside `c4guard scan`: every text file, container images given as
inputs, and no full secret in any output format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from c4guard.cli import FORMATS, main
from c4guard.secrets import scan_text
from c4guard.secrets.testing import assert_no_full_secrets
from tests.conftest import findings_of, scan_paths, status_of
from tests.secrets.image_builder import Layer, OciLayout, tar_directory
from tests.secrets.labelled_secrets import positive_cases, write_cases

# Split where written, so that scanning this repository finds nothing.
HF_TOKEN = "hf_" + "Qw8rTzYyUkMoPaBsDfCgHjXkLzRxCvJbNm"
POD = """apiVersion: v1
kind: Pod
metadata: {name: p, namespace: ns}
spec:
  containers: [{name: app, image: busybox}]
"""


def test_secrets_in_any_text_file_fail_4_4_5_at_their_line(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    (tmp_path / "notebook.py").write_text(f"import os\n\nTOKEN = '{HF_TOKEN}'\n")
    assessment = scan_paths([str(tmp_path)])
    [finding] = findings_of(assessment, "SECRET-IN-FILE")
    assert finding.result.value == "fail"
    assert (Path(finding.location.path).name, finding.location.line) == ("notebook.py", 3)
    assert HF_TOKEN not in finding.message and "hf_" in finding.message
    assert status_of(assessment, "4.4.5") == "fail"


def test_clean_files_give_passing_evidence(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    (tmp_path / "README.md").write_text("nothing to see\n")
    [finding] = findings_of(scan_paths([str(tmp_path)]), "SECRET-IN-FILE")
    assert finding.result.value == "pass" and "(2 scanned)" in finding.message


def test_private_key_files_also_fail_4_4_2(tmp_path: Path) -> None:
    cases = [c for c in positive_cases() if c.family == "private-key"][:2]
    assert cases, "the labelled set has private keys"
    write_cases(tmp_path, cases)
    (tmp_path / "pod.yaml").write_text(POD)
    assessment = scan_paths([str(tmp_path)])
    assert {f.result.value for f in findings_of(assessment, "PRIVATE-KEY-FILE")} == {"fail"}
    assert status_of(assessment, "4.4.2") == "fail"


def _image(root: Path) -> list[str]:
    layout = OciLayout(root)
    digests = layout.image(
        [
            Layer().directory("app").file("app/main.py", "print('serving')\n"),
            Layer().file("app/.env", f"LOG_LEVEL=info\nHF_TOKEN={HF_TOKEN}\n"),
            Layer().whiteout("app/.env"),
        ],
        "gzip",
    )
    layout.write_index()
    return digests


@pytest.mark.parametrize("as_tar", [False, True], ids=["layout-directory", "tar"])
def test_image_secret_deleted_later_is_reported_with_layer_and_path(
    tmp_path: Path, as_tar: bool
) -> None:
    digests = _image(tmp_path / "oci")
    target = tar_directory(tmp_path / "oci", tmp_path / "image.tar") if as_tar else tmp_path / "oci"
    result = CliRunner().invoke(
        main, ["scan", str(target), "--format", "json", "--fail-on", "none"], catch_exceptions=False
    )
    report = json.loads(result.stdout)
    findings = [
        f
        for r in report["requirements"]
        for f in r["findings"]
        if f["check_id"] == "SECRET-IN-IMAGE"
    ]
    [finding] = findings
    assert finding["result"] == "fail"
    assert finding["path"].endswith(f"!{digests[1]}/app/.env") and finding["line"] == 2
    assert finding["evidence"]["removed_by"] == digests[2]
    assert "deleted by layer" in finding["message"]
    assert "artifacts" in report["scanned_domains"]
    assert report["skipped"].get("part of an OCI image layout (scanned as an image)", 0) == (
        0 if as_tar else 6
    )  # index.json, 2 manifest/config blobs... all but the marker


@pytest.mark.slow
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_output_format_holds_a_full_secret(tmp_path: Path, fmt: str) -> None:
    cases = positive_cases()[::7]
    write_cases(tmp_path / "repo", cases)
    (tmp_path / "repo" / "pod.yaml").write_text(POD)
    _image(tmp_path / "repo" / "image")
    out = tmp_path / f"report.{fmt}"
    result = CliRunner().invoke(
        main,
        [
            "scan",
            str(tmp_path / "repo"),
            "--format",
            fmt,
            "-o",
            str(out),
            "--fail-on",
            "none",
            "--show-passes",
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output[-3000:]
    rendered = out.read_text()
    found = {
        f.location.path
        for f in findings_of(scan_paths([str(tmp_path / "repo")]))
        if f.check_id.startswith("SECRET-")
    }
    assert len(found) >= len(cases) // 2, "the scan finds the planted secrets"
    secrets = [m.secret for case in cases for m in scan_text(case.text, case.name)]
    assert len(secrets) >= len(cases) // 2
    assert_no_full_secrets(rendered + result.output, [*secrets, HF_TOKEN])
