"""`scan_image`: secrets in a `docker save` tarball or an OCI image layout (directory or
tar), read in place and streamed - nothing is extracted to disk."""

from __future__ import annotations

import tarfile
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from c4guard.secrets.image.archive import (
    Archive,
    DirectoryArchive,
    ImageFormatError,
    TarArchive,
    printable,
    read_json,
)
from c4guard.secrets.image.filesystem import ImageSecret, layer_secrets
from c4guard.secrets.image.layer import LayerScan, scan_layer
from c4guard.secrets.image.limits import ImageLimits
from c4guard.secrets.image.manifest import ImageRef, find_images
from c4guard.secrets.scanner import scan_text


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """One image of the archive, as its config describes it."""

    name: str
    config_digest: str
    user: str  # config `User`; empty means root
    env_names: tuple[str, ...]
    layers: tuple[str, ...]  # layer digests, bottom first


@dataclass(slots=True)
class ImageScan:
    """The result of scanning one image archive. `errors` lists what could not be read
    (a layer over a limit, a digest mismatch): a scan with errors is incomplete."""

    source: str
    format: str
    images: list[ImageInfo] = field(default_factory=list)
    secrets: list[ImageSecret] = field(default_factory=list)
    files_scanned: int = 0
    files_skipped: Counter[str] = field(default_factory=Counter)
    uncompressed_bytes: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.errors


def _open_archive(path: Path, stack: ExitStack) -> Archive:
    if path.is_dir():
        return DirectoryArchive(path)
    try:
        return TarArchive(stack.enter_context(tarfile.open(path, mode="r:*")))
    except (OSError, tarfile.TarError) as err:
        raise ImageFormatError(f"{path}: not a readable tar archive ({err})") from err


def scan_image(path: str | Path, limits: ImageLimits | None = None) -> ImageScan:
    """Scan every image in the archive at `path`: each layer's text files (secrets in files
    a later layer deleted included), and the config's `Env`, labels, command and history.
    Raises ImageFormatError when `path` is not an image archive at all."""
    limits = limits or ImageLimits()
    path = Path(path)
    with ExitStack() as stack:
        archive = _open_archive(path, stack)
        image_format, images = find_images(archive, limits)
        result = ImageScan(str(path), image_format)
        layers: dict[str, LayerScan] = {}
        for image in images:
            _scan_one(archive, image, limits, layers, result)
    return result


def _scan_one(
    archive: Archive,
    image: ImageRef,
    limits: ImageLimits,
    layers: dict[str, LayerScan],
    result: ImageScan,
) -> None:
    try:
        config = read_json(archive, image.config_name, limits.max_json_bytes)
    except ImageFormatError as err:
        result.errors.append(f"{image.name}: config {err}")
        config = {}
    config = config if isinstance(config, dict) else {}
    settings = _mapping_at(config, "config")
    result.images.append(
        ImageInfo(
            image.name,
            image.config_digest,
            str(settings.get("User") or ""),
            tuple(_env_names(settings)),
            tuple(layer.digest for layer in image.layers),
        )
    )
    scanned = [
        _layer(archive, ref.name, ref.digest, limits, layers, result) for ref in image.layers
    ]
    result.secrets.extend(layer_secrets(image.name, scanned))
    result.secrets.extend(_config_secrets(image.name, config, settings))


def _layer(
    archive: Archive,
    name: str,
    digest: str,
    limits: ImageLimits,
    layers: dict[str, LayerScan],
    result: ImageScan,
) -> LayerScan:
    """Scan a layer once per archive, however many images share it."""
    if digest not in layers:
        budget = min(limits.max_layer_bytes, limits.max_image_bytes - result.uncompressed_bytes)
        scan = scan_layer(archive, name, digest, limits, budget)
        layers[digest] = scan
        result.uncompressed_bytes += scan.uncompressed_bytes
        result.files_scanned += scan.files_scanned
        result.files_skipped.update(scan.skipped)
        result.warnings.extend(scan.warnings)
        if scan.error:
            result.errors.append(scan.error)
    return layers[digest]


def _mapping_at(block: dict[str, Any], key: str) -> dict[str, Any]:
    value = block.get(key)
    return value if isinstance(value, dict) else {}


def _list_at(block: dict[str, Any], key: str) -> list[Any]:
    """The list under `key`, else an empty one (a config is untrusted: `"Env": 5`)."""
    value = block.get(key)
    return value if isinstance(value, list) else []


def _env_names(settings: dict[str, Any]) -> Iterator[str]:
    for entry in _list_at(settings, "Env"):
        if isinstance(entry, str):
            yield printable(entry.split("=", 1)[0])


def _config_texts(config: dict[str, Any], settings: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, text) for every config value that can hold a secret."""
    for i, entry in enumerate(_list_at(settings, "Env")):
        yield f"config.Env[{i}]", str(entry)
    labels = settings.get("Labels") or {}
    if isinstance(labels, dict):
        for key, value in labels.items():
            yield f"config.Labels[{printable(str(key))}]", f"{key}={value}"
    for name in ("Entrypoint", "Cmd"):
        command = settings.get(name)
        if isinstance(command, list):
            yield f"config.{name}", " ".join(str(part) for part in command)
    for i, step in enumerate(_list_at(config, "history")):
        if isinstance(step, dict) and step.get("created_by"):
            yield f"history[{i}].created_by", str(step["created_by"])


def _config_secrets(
    image: str, config: dict[str, object], settings: dict[str, object]
) -> list[ImageSecret]:
    return [
        ImageSecret(match, image, None, None)
        for where, text in _config_texts(config, settings)
        for match in scan_text(text, where)
    ]
