"""Layers composed into the image filesystem: which secret files a later layer deleted
(whiteout), hid (opaque directory) or replaced. Such a secret is still in the image - any
`docker save` or registry pull hands out the layer - so it stays a finding, marked as not
visible in the final filesystem, with the layer that removed it."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, replace

from c4guard.secrets.image.layer import LayerScan
from c4guard.secrets.scanner import SecretMatch


@dataclass(frozen=True, slots=True)
class ImageSecret:
    """A secret in an image: in a layer file (`layer_digest`, path and line in the match),
    or in the image config (`layer_digest` None, path like `config.Env[2]`)."""

    match: SecretMatch
    image: str
    layer_digest: str | None
    layer_index: int | None
    in_final_filesystem: bool = True
    removed_by: str | None = None  # digest of the layer that deleted or replaced the file

    @property
    def location(self) -> str:
        where = f"{self.layer_digest}/" if self.layer_digest else ""
        return f"{where}{self.match.path}:{self.match.line}"

    def to_dict(self) -> dict[str, object]:
        """Everything but the secret, for reports."""
        return {
            **self.match.to_dict(),
            "image": self.image,
            "layer_digest": self.layer_digest,
            "layer_index": self.layer_index,
            "in_final_filesystem": self.in_final_filesystem,
            "removed_by": self.removed_by,
        }


def _ancestors(path: str) -> Iterator[str]:
    """`a/b/c` -> `a/b`, `a`, `` (the root)."""
    while path:
        path = posixpath.dirname(path)
        yield path


def _hidden_by(layer: LayerScan, path: str) -> bool:
    if path in layer.entries or path in layer.whiteouts:
        return True
    return any(
        parent in layer.whiteouts
        or parent in layer.opaque_dirs
        or layer.entries.get(parent) is False  # a file now stands where the directory was
        for parent in _ancestors(path)
    )


def layer_secrets(image: str, layers: list[LayerScan]) -> list[ImageSecret]:
    """Every secret of every layer, each marked visible or not in the final filesystem."""
    visible: dict[str, list[ImageSecret]] = {}
    removed: list[ImageSecret] = []
    for index, layer in enumerate(layers):
        for path in [p for p in visible if _hidden_by(layer, p)]:
            removed.extend(
                replace(s, in_final_filesystem=False, removed_by=layer.digest)
                for s in visible.pop(path)
            )
        for path, match in layer.found:
            visible.setdefault(path, []).append(ImageSecret(match, image, layer.digest, index))
    found = removed + [s for group in visible.values() for s in group]
    return sorted(found, key=lambda s: (s.layer_index or 0, s.match.path, s.match.line))
