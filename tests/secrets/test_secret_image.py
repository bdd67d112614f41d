"""Image scanning on images the tests build: OCI layouts (directory and tar) and docker save
archives, layers written with tarfile, gzip/zstd/plain compression."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from c4guard.secrets import ImageFormatError, ImageLimits, scan_image
from c4guard.secrets.testing import assert_no_full_secrets
from tests.secrets.image_builder import (
    Layer,
    OciLayout,
    legacy_docker_archive,
    sha256,
    tar_directory,
)

# Test inputs are split where they are written so that scanning this repository finds nothing.
HF_TOKEN = "hf_" + "Qw8rTzYyUkMoPaBsDfCgHjXkLzRxCvJbNm"
DB_PASSWORD = "Orb" + "it482#kQz7Wm"
APP_ENV = f"LOG_LEVEL=info\nHF_TOKEN={HF_TOKEN}\n"


def _layout(
    root: Path, layers: list[Layer], compression: str | None = "gzip", **config: object
) -> list[str]:
    layout = OciLayout(root)
    digests = layout.image(layers, compression, **config)
    layout.write_index()
    return digests


@pytest.mark.parametrize("compression", ["gzip", "zstd", None])
@pytest.mark.parametrize("as_tar", [False, True], ids=["directory", "tar"])
def test_secret_deleted_in_a_later_layer_is_reported_with_layer_and_path(
    tmp_path: Path, compression: str | None, as_tar: bool
) -> None:
    layers = [
        Layer().directory("app").file("app/main.py", "print('serving')\n"),
        Layer().file("app/.env", APP_ENV),
        Layer().whiteout("app/.env"),
    ]
    digests = _layout(tmp_path / "oci", layers, compression)
    source = tar_directory(tmp_path / "oci", tmp_path / "image.tar") if as_tar else tmp_path / "oci"

    result = scan_image(source)

    assert result.format == "oci-layout" and result.complete, result.errors
    (secret,) = result.secrets
    assert secret.match.rule_id == "huggingface-token"
    assert secret.layer_digest == digests[1]
    assert secret.layer_index == 1
    assert (secret.match.path, secret.match.line) == ("app/.env", 2)
    assert secret.location == f"{digests[1]}/app/.env:2"
    assert not secret.in_final_filesystem
    assert secret.removed_by == digests[2]
    assert secret.match.secret == HF_TOKEN
    assert_no_full_secrets(json.dumps(secret.to_dict()), [HF_TOKEN])


def test_a_secret_still_present_is_in_the_final_filesystem(tmp_path: Path) -> None:
    _layout(tmp_path, [Layer().file("srv/.env", APP_ENV), Layer().file("srv/other.txt", "hi\n")])
    (secret,) = scan_image(tmp_path).secrets
    assert secret.in_final_filesystem and secret.removed_by is None


@pytest.mark.parametrize(
    "later",
    [
        Layer().opaque("srv"),  # opaque directory hides everything below
        Layer().file("srv/.env", "LOG_LEVEL=debug\n"),  # replaced by a clean file
        Layer().whiteout("srv"),  # the whole directory deleted
        Layer().file("srv", "now a file\n"),  # a file where the directory was
    ],
    ids=["opaque", "replaced", "parent-deleted", "parent-replaced"],
)
def test_every_way_of_removing_a_file_is_recognised(tmp_path: Path, later: Layer) -> None:
    digests = _layout(tmp_path, [Layer().file("srv/.env", APP_ENV), later])
    (secret,) = scan_image(tmp_path).secrets
    assert not secret.in_final_filesystem
    assert secret.removed_by == digests[1]


def test_config_env_labels_and_history_are_scanned(tmp_path: Path) -> None:
    _layout(
        tmp_path,
        [Layer().file("app/readme.txt", "nothing here\n")],
        env=["PATH=/usr/bin", f"DB_PASSWORD={DB_PASSWORD}"],
        history=[
            "/bin/sh -c #(nop) ARG HF_TOKEN",
            f"RUN |1 HF_TOKEN={HF_TOKEN} /bin/sh -c huggingface-cli download meta-llama/x",
        ],
        labels={"maintainer": "ml-platform"},
        user="1000:1000",
    )
    result = scan_image(tmp_path)
    found = {(s.match.path, s.match.rule_id) for s in result.secrets}
    assert found == {
        ("config.Env[1]", "generic-secret"),
        ("history[1].created_by", "huggingface-token"),
    }
    assert all(s.layer_digest is None for s in result.secrets)
    (image,) = result.images
    assert image.user == "1000:1000"
    assert image.env_names == ("PATH", "DB_PASSWORD")


def test_legacy_docker_save_archive(tmp_path: Path) -> None:
    base = Layer().file("etc/os-release", "ID=debian\n")
    archive = tmp_path / "legacy.tar"
    diff_ids = legacy_docker_archive(
        archive,
        [
            base,
            Layer().file("root/.netrc", f"machine hf.co login x password {DB_PASSWORD}\n"),
            base,
        ],
    )
    result = scan_image(archive)
    assert result.format == "docker-archive" and result.complete, result.errors
    (secret,) = result.secrets
    assert secret.layer_digest == diff_ids[1]
    assert secret.image == "ml/legacy:1"
    assert (secret.match.path, secret.match.line) == ("root/.netrc", 1)


def test_a_layer_shared_by_two_images_is_read_once(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path)
    shared = Layer().file("models/.env", APP_ENV)
    layout.image([shared], name="a:1")
    layout.image([shared, Layer().whiteout("models/.env")], name="b:1")
    layout.write_index()
    result = scan_image(tmp_path)
    assert result.files_scanned == 1
    by_image = {s.image: s.in_final_filesystem for s in result.secrets}
    assert by_image == {"a:1": True, "b:1": False}


def test_nested_index_and_attestations(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path)
    layout.image([Layer().file("app/.env", APP_ENV)])
    inner = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": layout.manifests,
    }
    attestation = layout.descriptor(
        "application/vnd.oci.image.manifest.v1+json", b'{"layers": "x"}'
    )
    attestation["annotations"] = {"vnd.docker.reference.type": "attestation-manifest"}
    nested = layout.descriptor(
        "application/vnd.oci.image.index.v1+json", json.dumps(inner).encode()
    )
    layout.write_index([nested, attestation])
    result = scan_image(tmp_path)
    assert len(result.images) == 1 and len(result.secrets) == 1


def test_binary_and_third_party_files_are_skipped_and_counted(tmp_path: Path) -> None:
    vendored_key = (
        "-----BEGIN PRIVATE KEY-----\n" + "MIIE" + "A" * 300 + "\n-----END PRIVATE KEY-----\n"
    )
    _layout(
        tmp_path,
        [
            Layer()
            .file("usr/lib/libfoo.so", b"\x7fELF\x00\x00" + bytes(range(256)) * 4)
            .file("usr/local/lib/python3.12/site-packages/lib/tests/key.pem", vendored_key)
            .file("usr/share/doc/pkg/README", f"HF_TOKEN={HF_TOKEN}\n")
            .file("app/config.yaml", "replicas: 2\n")
        ],
    )
    result = scan_image(tmp_path)
    assert result.secrets == []
    assert result.files_scanned == 1
    assert result.files_skipped == {"binary": 1, "third-party sample or documentation": 2}


def test_tar_slip_entries_are_reported_and_still_scanned(tmp_path: Path) -> None:
    _layout(tmp_path, [Layer().file("../../etc/cron.d/job", APP_ENV)])
    result = scan_image(tmp_path)
    assert any("tar slip" in w and "../../etc/cron.d/job" in w for w in result.warnings)
    (secret,) = result.secrets
    assert secret.match.path == "../../etc/cron.d/job"


def test_altered_blob_is_an_error_but_findings_are_kept(tmp_path: Path) -> None:
    digests = _layout(tmp_path, [Layer().file("app/.env", APP_ENV)], compression=None)
    blob = tmp_path / "blobs" / "sha256" / digests[0].split(":")[1]
    blob.write_bytes(blob.read_bytes() + b"\0" * 1024)
    result = scan_image(tmp_path)
    assert not result.complete
    assert "altered or truncated" in result.errors[0]
    assert len(result.secrets) == 1


def test_decompression_bomb_is_stopped(tmp_path: Path) -> None:
    _layout(tmp_path, [Layer().file("zeros.bin", bytes(8 << 20)).file("app/.env", APP_ENV)])
    limits = ImageLimits(max_ratio=50, ratio_grace_bytes=1 << 20)
    result = scan_image(tmp_path, limits)
    assert not result.complete
    assert "inflates more than 50:1" in result.errors[0]


def test_layer_size_and_entry_limits(tmp_path: Path) -> None:
    _layout(
        tmp_path, [Layer().file("a.txt", "x" * 200_000).file("b.txt", "y\n").file("c.txt", "z\n")]
    )
    too_big = scan_image(tmp_path, ImageLimits(max_layer_bytes=100_000))
    assert "larger than 100000 bytes" in too_big.errors[0]
    too_many = scan_image(tmp_path, ImageLimits(max_members=2))
    assert "more than 2 entries" in too_many.errors[0]
    small_files = scan_image(tmp_path, ImageLimits(max_file_bytes=1000))
    assert small_files.complete and small_files.files_skipped["over the file size limit"] == 1


def test_digests_that_leave_the_layout_are_refused(tmp_path: Path) -> None:
    layout = OciLayout(tmp_path)
    layout.write_index(
        [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:../../../../etc/passwd",
                "size": 1,
            }
        ]
    )
    with pytest.raises(ImageFormatError, match="invalid digest"):
        scan_image(tmp_path)


def test_blob_symlinked_out_of_the_layout_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text("{}")
    root = tmp_path / "oci"
    layout = OciLayout(root)
    fake = "sha256:" + "a" * 64
    (root / "blobs" / "sha256" / ("a" * 64)).symlink_to(outside)
    layout.write_index(
        [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": fake}]
    )
    with pytest.raises(ImageFormatError, match="leaves the image layout"):
        scan_image(root)


def test_inputs_that_are_not_images(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImageFormatError, match="not an image archive"):
        scan_image(tmp_path / "empty")
    junk = tmp_path / "junk.tar"
    junk.write_bytes(gzip.compress(b"not a tar at all" * 100))
    with pytest.raises(ImageFormatError, match="not a readable tar archive"):
        scan_image(junk)
    layout = OciLayout(tmp_path / "bad-json")
    (layout.root / "index.json").write_text("{broken")
    with pytest.raises(ImageFormatError, match=r"index\.json is not valid JSON"):
        scan_image(layout.root)


def test_digest_helper_matches_what_the_scanner_reports(tmp_path: Path) -> None:
    layer = Layer().file("app/.env", APP_ENV)
    digests = _layout(tmp_path, [layer], compression=None)
    assert digests[0] == sha256(layer.tar())
