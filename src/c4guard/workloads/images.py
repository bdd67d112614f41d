"""Container image references: parsing, normalisation and the glob dialects that admission
controllers match them with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

DOCKER_HUB = "docker.io"
DIGEST = re.compile(r"^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed reference: registry, repository, tag, digest."""

    written: str
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        """Referenced by an immutable digest."""
        return self.digest is not None and bool(DIGEST.match(self.digest))

    @property
    def normalized(self) -> str:
        """The form admission controllers see: registry/repository[:tag][@digest], with
        Docker Hub's defaults made explicit (`nginx` is `docker.io/library/nginx:latest`)."""
        text = f"{self.registry}/{self.repository}"
        if self.tag or not self.digest:
            text += f":{self.tag or 'latest'}"
        return text + (f"@{self.digest}" if self.digest else "")

    @property
    def variants(self) -> tuple[str, ...]:
        """The reference as written and normalised (policies match either)."""
        base = self.normalized
        hub = (
            base.replace("docker.io/", "index.docker.io/", 1)
            if self.registry == DOCKER_HUB
            else base
        )
        return tuple(dict.fromkeys((self.written, base, hub)))


def parse_image(reference: str) -> ImageRef:
    """Parse an image reference the way the container runtime resolves it."""
    written = reference.strip()
    rest, _, digest = written.partition("@")
    name, tag = rest, None
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    if colon > slash:
        name, tag = rest[:colon], rest[colon + 1 :]
    first, _, remainder = name.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, remainder
    else:
        registry, repository = DOCKER_HUB, name
    if registry in ("index.docker.io", "registry-1.docker.io"):
        registry = DOCKER_HUB
    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    return ImageRef(written, registry, repository, tag or None, digest or None)


@cache
def _wildcard(pattern: str) -> re.Pattern[str]:
    """Kyverno/Gatekeeper wildcards: `*` matches any run of characters, `?` one."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z"
    )


@cache
def _sigstore_glob(pattern: str) -> re.Pattern[str]:
    """policy-controller globs: `*` stays within a path segment, `**` crosses them."""
    parts = re.split(r"(\*\*|\*)", pattern)
    regex = "".join(".*" if p == "**" else "[^/]*" if p == "*" else re.escape(p) for p in parts)
    return re.compile(regex + r"(?::[^/]*)?(?:@.*)?\Z")


def wildcard_match(pattern: str, image: ImageRef) -> bool:
    return any(_wildcard(pattern).match(v) for v in image.variants)


def sigstore_match(pattern: str, image: ImageRef) -> bool:
    candidates = (
        *image.variants,
        f"{image.registry}/{image.repository}",
        f"index.docker.io/{image.repository}" if image.registry == DOCKER_HUB else "",
    )
    return any(c and _sigstore_glob(pattern).match(c) for c in candidates)
