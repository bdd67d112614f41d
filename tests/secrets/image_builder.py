"""Container images built by the tests themselves: layers written with tarfile, stored as
an OCI image layout (directory or tar) or as a `docker save` archive."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER_TYPES = {
    None: "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Layer:
    """Entries of one layer tar, in order: files, directories, symlinks, whiteouts."""

    entries: list[tarfile.TarInfo | tuple[tarfile.TarInfo, bytes]] = field(default_factory=list)

    def file(self, path: str, content: bytes | str) -> Layer:
        data = content.encode() if isinstance(content, str) else content
        info = tarfile.TarInfo(path)
        info.size = len(data)
        info.mode = 0o644
        self.entries.append((info, data))
        return self

    def directory(self, path: str) -> Layer:
        info = tarfile.TarInfo(path)
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        self.entries.append(info)
        return self

    def symlink(self, path: str, target: str) -> Layer:
        info = tarfile.TarInfo(path)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        self.entries.append(info)
        return self

    def whiteout(self, path: str) -> Layer:
        parent, _, name = path.rpartition("/")
        return self.file(f"{parent}/.wh.{name}" if parent else f".wh.{name}", b"")

    def opaque(self, directory: str) -> Layer:
        return self.file(f"{directory}/.wh..wh..opq", b"")

    def tar(self) -> bytes:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for entry in self.entries:
                if isinstance(entry, tuple):
                    tar.addfile(entry[0], io.BytesIO(entry[1]))
                else:
                    tar.addfile(entry)
        return buffer.getvalue()


def compress(data: bytes, compression: str | None) -> bytes:
    if compression == "gzip":
        return gzip.compress(data, mtime=0)
    if compression == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return data


def image_config(
    diff_ids: list[str],
    env: list[str] | None = None,
    history: list[str] | None = None,
    user: str = "",
    labels: dict[str, str] | None = None,
) -> dict[str, object]:
    return {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": env or ["PATH=/usr/bin"], "User": user, "Labels": labels or {}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": step} for step in (history or [])],
    }


class OciLayout:
    """An OCI image layout being written into `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        self.manifests: list[dict[str, object]] = []

    def blob(self, data: bytes) -> str:
        digest = sha256(data)
        (self.root / "blobs" / "sha256" / digest.split(":")[1]).write_bytes(data)
        return digest

    def descriptor(self, media_type: str, data: bytes) -> dict[str, object]:
        return {"mediaType": media_type, "digest": self.blob(data), "size": len(data)}

    def image(
        self,
        layers: list[Layer],
        compression: str | None = "gzip",
        name: str = "registry.example/ml/serving:1.0",
        **config: object,
    ) -> list[str]:
        """Add an image; returns its layer digests (of the stored, compressed blobs)."""
        tars = [layer.tar() for layer in layers]
        layer_descriptors = [
            self.descriptor(LAYER_TYPES[compression], compress(t, compression)) for t in tars
        ]
        config_bytes = json.dumps(image_config([sha256(t) for t in tars], **config)).encode()  # type: ignore[arg-type]
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": self.descriptor(OCI_CONFIG, config_bytes),
            "layers": layer_descriptors,
        }
        descriptor = self.descriptor(OCI_MANIFEST, json.dumps(manifest).encode())
        descriptor["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.manifests.append(descriptor)
        return [str(d["digest"]) for d in layer_descriptors]

    def write_index(self, manifests: list[dict[str, object]] | None = None) -> None:
        index = {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": manifests or self.manifests,
        }
        (self.root / "index.json").write_text(json.dumps(index))


def tar_directory(root: Path, archive: Path) -> Path:
    """The layout as one tar (what `skopeo copy oci-archive:` or `docker save` writes)."""
    with tarfile.open(archive, "w") as tar:
        for path in sorted(root.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(root)), recursive=False)
    return archive


def legacy_docker_archive(archive: Path, layers: list[Layer], **config: object) -> list[str]:
    """A pre-OCI `docker save` tarball: `<id>/layer.tar`, `<config digest>.json`,
    `manifest.json`. The last layer is stored as a symlink to the first when they are the
    same, as docker does. Returns the layers' diff IDs."""
    tars = [layer.tar() for layer in layers]
    diff_ids = [sha256(t) for t in tars]
    config_bytes = json.dumps(image_config(diff_ids, **config)).encode()  # type: ignore[arg-type]
    config_name = sha256(config_bytes).split(":")[1] + ".json"
    names = [f"{d.split(':')[1][:12]}{i}/layer.tar" for i, d in enumerate(diff_ids)]
    manifest = [{"Config": config_name, "RepoTags": ["ml/legacy:1"], "Layers": names}]
    with tarfile.open(archive, "w") as tar:
        for i, (name, data) in enumerate(zip(names, tars, strict=True)):
            if i > 0 and data == tars[0]:
                link = tarfile.TarInfo(name)
                link.type = tarfile.SYMTYPE
                link.linkname = f"../{names[0]}"
                tar.addfile(link)
            else:
                _add_bytes(tar, name, data)
        _add_bytes(tar, config_name, config_bytes)
        _add_bytes(tar, "manifest.json", json.dumps(manifest).encode())
    return diff_ids


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
