"""Limits that keep an image scan bounded whatever the input."""

from __future__ import annotations

from dataclasses import dataclass

from c4guard.secrets.files import MAX_FILE_BYTES

GIB = 1 << 30
MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """Defaults fit real ML images (CUDA and framework layers of several GiB) and stop
    decompression bombs: gzip cannot exceed about 1032:1, zstd can reach far more."""

    max_layer_bytes: int = 16 * GIB  # uncompressed, per layer
    max_image_bytes: int = 64 * GIB  # uncompressed, all layers of the archive together
    max_ratio: float = 250.0  # uncompressed : compressed, checked past the grace below
    ratio_grace_bytes: int = 16 * MIB
    max_members: int = 2_000_000  # tar entries per layer
    max_file_bytes: int = MAX_FILE_BYTES  # larger files in a layer are counted, not read
    max_json_bytes: int = 4 * MIB  # index, manifests, configs
    max_manifests: int = 64
    max_layers: int = 512
    max_index_depth: int = 4
