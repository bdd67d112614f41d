"""The parse cache (`scan --cache-dir DIR`): one file's `FileResult` kept under a key of
everything that decides it, so a re-scan of an unchanged file skips parsing and the secret
scan.

The key digests the file's bytes with the path it is reported under, the handler's inputs
(Kustomize namespace, size limit, whether a render judged it), the cache format,
c4guard's version and the digest of c4guard's own code (a change of parser between two
builds of one version is a new key), and an identifier of the redaction key (fingerprints
of secrets depend on it). Any change of a byte is a new key; nothing is ever invalidated
in place.

An entry is `<sha256 of the payload>\\n<payload>`, the payload JSON (`resultcodec`): an entry
that is truncated, altered, of another format or undecodable is ignored and the file parsed
again. Entries are written to a temporary file and renamed, mode 0600 in directories of mode
0700: they hold what the files hold (a Secret's data, say), so the cache directory deserves
the care of the tree it caches. A cache directory is trusted like the tree itself: whoever
can write to it can decide what a later scan sees.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import c4guard
from c4guard.errors import UsageError
from c4guard.secrets.redaction import redaction_key
from c4guard.sources.result import FileResult
from c4guard.sources.resultcodec import InvalidEntry, Uncacheable, decode_result, encode_result

CACHE_FORMAT = 1
FOLDER = f"parse-v{CACHE_FORMAT}"
MAX_ENTRY_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ParseCache:
    """A cache directory and the digest of what every key there shares (see the module)."""

    root: Path
    context: str

    @classmethod
    def open(cls, directory: Path) -> ParseCache:
        """The cache in `directory`, created if needed; a `UsageError` if it cannot be."""
        root = directory / FOLDER
        try:
            root.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--cache-dir {directory}: {exc.strerror or exc}") from exc
        if not os.access(root, os.W_OK | os.X_OK):
            raise UsageError(f"--cache-dir {directory}: not writable")
        return cls(root, _context_digest())

    def key(self, identity: tuple[object, ...], data: bytes) -> str:
        """The key of a file with these bytes, read with these handler inputs."""
        digest = hashlib.sha256(self.context.encode())
        digest.update(json.dumps(identity, ensure_ascii=True).encode())
        digest.update(b"\0")
        digest.update(data)
        return digest.hexdigest()

    def load(self, key: str) -> FileResult | None:
        """The cached result for `key`, or None when there is none or it is not sound."""
        value = self.load_value(key)
        try:
            return None if value is None else decode_result(value)
        except InvalidEntry:
            return None

    def store(self, key: str, result: FileResult) -> None:
        """Keep `result` under `key`; a result the codec cannot reproduce exactly is not
        kept (the file is parsed again next time)."""
        try:
            self.store_value(key, encode_result(result))
        except Uncacheable:
            return

    def derived_key(self, kind: str, parts: list[object]) -> str:
        """The key of something other than a parse result (`kind`: "helm", "kustomize")."""
        digest = hashlib.sha256(self.context.encode() + b"\0" + kind.encode() + b"\0")
        digest.update(json.dumps(parts, ensure_ascii=True).encode())
        return digest.hexdigest()

    def load_value(self, key: str) -> Any:
        """The JSON value kept under `key`, or None when there is none or it is not sound."""
        try:
            fd = os.open(self._path(key), os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as handle:
                raw = handle.read(MAX_ENTRY_BYTES + 1)
        except OSError:
            return None
        header, _, payload = raw.partition(b"\n")
        if len(raw) > MAX_ENTRY_BYTES or not hmac.compare_digest(
            header, hashlib.sha256(payload).hexdigest().encode()
        ):
            return None
        try:
            entry = json.loads(payload)
            if entry["key"] != key or entry["format"] != CACHE_FORMAT:
                return None
            return entry["value"]
        except (ValueError, KeyError, TypeError):
            return None

    def store_value(self, key: str, value: Any) -> None:
        """Keep a JSON value under `key`, atomically; a failed write leaves no entry."""
        payload = json.dumps(
            {"format": CACHE_FORMAT, "key": key, "value": value},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8", "surrogatepass")
        path = self._path(key)
        try:
            path.parent.mkdir(mode=0o700, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
            os.replace(temporary, path)
        except OSError:
            Path(temporary).unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"


@functools.cache
def code_digest() -> str:
    """The SHA-256 of c4guard's own Python sources, in path order."""
    package = Path(c4guard.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _context_digest() -> str:
    key_id = hmac.new(redaction_key(), b"c4guard parse cache", hashlib.sha256).hexdigest()
    shared = [CACHE_FORMAT, c4guard.__version__, code_digest(), key_id[:32]]
    return hashlib.sha256(json.dumps(shared).encode()).hexdigest()
