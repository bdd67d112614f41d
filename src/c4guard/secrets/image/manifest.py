"""Finding the images in an archive: OCI image layouts (`oci-layout`, `index.json`) and
`docker save` tarballs (`manifest.json`), down to each image's config and ordered layers."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from c4guard.secrets.image.archive import Archive, ImageFormatError, printable, read_json
from c4guard.secrets.image.limits import ImageLimits

_DIGEST = re.compile(r"^(?P<algorithm>sha256|sha512):(?P<hex>[a-f0-9]{64}|[a-f0-9]{128})$")
_BLOB_PATH = re.compile(r"^blobs/(?P<algorithm>sha256|sha512)/(?P<hex>[a-f0-9]{64,128})$")
_INDEX_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    }
)
_NAME_ANNOTATIONS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")
_ATTESTATION = ("vnd.docker.reference.type", "attestation-manifest")


@dataclass(frozen=True, slots=True)
class LayerRef:
    name: str  # file of the blob inside the archive
    digest: str  # what the blob must hash to, and how the layer is reported


@dataclass(frozen=True, slots=True)
class ImageRef:
    name: str
    config_name: str
    config_digest: str
    layers: tuple[LayerRef, ...]


def blob_name(digest: object) -> str:
    """`sha256:<hex>` -> `blobs/sha256/<hex>`, refusing anything else (no path tricks)."""
    match = _DIGEST.match(digest) if isinstance(digest, str) else None
    if match is None:
        raise ImageFormatError(f"invalid digest {printable(str(digest))}")
    return f"blobs/{match['algorithm']}/{match['hex']}"


def _mapping(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ImageFormatError(f"{what} is not a JSON object")
    return value


def _list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise ImageFormatError(f"{what} is not a JSON list")
    return value


def find_images(archive: Archive, limits: ImageLimits) -> tuple[str, list[ImageRef]]:
    """The archive's format and its images."""
    if archive.exists("oci-layout") and archive.exists("index.json"):
        index = _mapping(read_json(archive, "index.json", limits.max_json_bytes), "index.json")
        return "oci-layout", _capped(list(_from_index(archive, index, limits, 0)), limits)
    if archive.exists("manifest.json"):
        return "docker-archive", _capped(list(_from_docker_manifest(archive, limits)), limits)
    raise ImageFormatError(
        "not an image archive: neither oci-layout with index.json (OCI image layout) "
        "nor manifest.json (docker save) found"
    )


def _capped(images: list[ImageRef], limits: ImageLimits) -> list[ImageRef]:
    if len(images) > limits.max_manifests:
        raise ImageFormatError(f"more than {limits.max_manifests} images in the archive")
    return images


def _from_index(
    archive: Archive, index: dict[str, object], limits: ImageLimits, depth: int
) -> Iterator[ImageRef]:
    if depth > limits.max_index_depth:
        raise ImageFormatError(f"image indexes nested deeper than {limits.max_index_depth}")
    for entry in _list(index.get("manifests", []), "index manifests"):
        descriptor = _mapping(entry, "manifest descriptor")
        annotations = _mapping(descriptor.get("annotations") or {}, "annotations")
        if annotations.get(_ATTESTATION[0]) == _ATTESTATION[1]:
            continue  # build attestations: in-toto JSON, not a filesystem
        digest = str(descriptor.get("digest"))
        document = _mapping(
            read_json(archive, blob_name(digest), limits.max_json_bytes), f"manifest {digest}"
        )
        if descriptor.get("mediaType") in _INDEX_TYPES or "manifests" in document:
            yield from _from_index(archive, document, limits, depth + 1)
        else:
            name = next(
                (str(annotations[a]) for a in _NAME_ANNOTATIONS if a in annotations), digest
            )
            yield _from_oci_manifest(document, name, limits)


def _from_oci_manifest(manifest: dict[str, object], name: str, limits: ImageLimits) -> ImageRef:
    config = _mapping(manifest.get("config"), f"config descriptor of {name}")
    layers = _list(manifest.get("layers", []), f"layers of {name}")
    _check_layer_count(layers, name, limits)
    config_digest = str(config.get("digest"))
    return ImageRef(
        name,
        blob_name(config_digest),
        config_digest,
        tuple(_oci_layer(layer) for layer in layers),
    )


def _oci_layer(descriptor: object) -> LayerRef:
    digest = str(_mapping(descriptor, "layer descriptor").get("digest"))
    return LayerRef(blob_name(digest), digest)


def _check_layer_count(layers: Sequence[object], name: str, limits: ImageLimits) -> None:
    if len(layers) > limits.max_layers:
        raise ImageFormatError(f"{name} has more than {limits.max_layers} layers")


def _from_docker_manifest(archive: Archive, limits: ImageLimits) -> Iterator[ImageRef]:
    entries = _list(read_json(archive, "manifest.json", limits.max_json_bytes), "manifest.json")
    for number, raw in enumerate(entries):
        entry = _mapping(raw, f"manifest.json entry {number}")
        config_name = str(entry.get("Config"))
        tags = _list(entry.get("RepoTags") or [], "RepoTags")
        name = str(tags[0]) if tags else config_name
        layer_names = [str(n) for n in _list(entry.get("Layers", []), f"Layers of {name}")]
        _check_layer_count(layer_names, name, limits)
        config = _mapping(read_json(archive, config_name, limits.max_json_bytes), config_name)
        rootfs = _mapping(config.get("rootfs") or {}, f"rootfs of {name}")
        diff_ids = [str(d) for d in _list(rootfs.get("diff_ids") or [], "diff_ids")]
        yield ImageRef(
            name,
            config_name,
            _digest_of_path(config_name) or _legacy_config_digest(config_name),
            tuple(
                LayerRef(path, _digest_of_path(path) or _diff_id(diff_ids, i, path))
                for i, path in enumerate(layer_names)
            ),
        )


def _digest_of_path(path: str) -> str | None:
    match = _BLOB_PATH.match(path)
    return f"{match['algorithm']}:{match['hex']}" if match else None


def _legacy_config_digest(name: str) -> str:
    """Legacy `docker save` names the config `<hex digest>.json`."""
    stem = name.removesuffix(".json")
    return f"sha256:{stem}" if _DIGEST.match(f"sha256:{stem}") else printable(name)


def _diff_id(diff_ids: list[str], position: int, path: str) -> str:
    """A legacy `<id>/layer.tar` is the uncompressed layer, so its digest is the diff ID."""
    if position >= len(diff_ids) or not _DIGEST.match(diff_ids[position]):
        raise ImageFormatError(f"no valid rootfs.diff_ids entry for layer {printable(path)}")
    return diff_ids[position]
