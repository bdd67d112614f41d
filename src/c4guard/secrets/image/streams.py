"""Streaming readers for layer blobs: digest while reading, decompress, enforce limits."""

from __future__ import annotations

import gzip
import hashlib
from typing import IO, Protocol, cast

import zstandard

from c4guard.errors import InvalidInput

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1 << 20


class LimitExceeded(InvalidInput):
    """A size or decompression-ratio limit stopped the read."""


class DigestReader:
    """Reads a blob once, hashing and counting every byte that passes."""

    def __init__(self, raw: IO[bytes], algorithm: str = "sha256") -> None:
        self._raw = raw
        self._hash = hashlib.new(algorithm)
        self._pending = b""
        self.algorithm = algorithm
        self.bytes_read = 0

    def peek(self, size: int) -> bytes:
        """The next `size` bytes, without consuming them."""
        while len(self._pending) < size:
            chunk = self._take(size - len(self._pending))
            if not chunk:
                break
            self._pending += chunk
        return self._pending[:size]

    def _take(self, size: int) -> bytes:
        chunk = self._raw.read(size)
        self._hash.update(chunk)
        self.bytes_read += len(chunk)
        return chunk

    def read(self, size: int = -1) -> bytes:
        if not self._pending:
            return self._take(size)
        cut = len(self._pending) if size < 0 else min(size, len(self._pending))
        head, self._pending = self._pending[:cut], self._pending[cut:]
        return head

    def drain(self) -> None:
        """Read to the end, so that the digest covers the whole blob."""
        while self.read(CHUNK):
            pass

    @property
    def digest(self) -> str:
        return f"{self.algorithm}:{self._hash.hexdigest()}"


def _as_file(blob: DigestReader) -> IO[bytes]:
    """The reader as the file object gzip and zstandard read from (they call only read())."""
    return cast("IO[bytes]", blob)


class Readable(Protocol):
    """What the layer readers need of a stream."""

    def read(self, size: int = -1, /) -> bytes: ...


def decompressed(blob: DigestReader) -> Readable:
    """The layer tar inside a blob: gzip and zstd recognised by their magic bytes."""
    magic = blob.peek(len(ZSTD_MAGIC))
    if magic.startswith(GZIP_MAGIC):
        return gzip.GzipFile(fileobj=_as_file(blob), mode="rb")
    if magic.startswith(ZSTD_MAGIC):
        return zstandard.ZstdDecompressor().stream_reader(
            _as_file(blob), read_across_frames=True, closefd=False
        )
    return blob


class LimitedReader:
    """Counts decompressed bytes and stops a layer that is too large, or that inflates
    too much compared with the compressed bytes read (a decompression bomb)."""

    def __init__(
        self,
        stream: Readable,
        blob: DigestReader,
        max_bytes: int,
        max_ratio: float,
        ratio_grace_bytes: int,
    ) -> None:
        self._stream = stream
        self._blob = blob
        self._max_bytes = max_bytes
        self._max_ratio = max_ratio
        self._grace = ratio_grace_bytes
        self.bytes_out = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size if size >= 0 else CHUNK)
        self.bytes_out += len(data)
        if self.bytes_out > self._max_bytes:
            raise LimitExceeded(f"layer is larger than {self._max_bytes} bytes uncompressed")
        if self.bytes_out > self._grace and self.bytes_out > self._max_ratio * max(
            1, self._blob.bytes_read
        ):
            raise LimitExceeded(
                f"layer inflates more than {self._max_ratio:g}:1 (decompression bomb?)"
            )
        return data
