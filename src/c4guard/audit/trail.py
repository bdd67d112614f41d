"""The audit trail: append events, sign checkpoints, serve proofs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from c4guard.audit import merkle
from c4guard.audit.checkpoint import Checkpoint, read_checkpoint, sign_checkpoint
from c4guard.audit.events import Entry, Event, decode_entry, encode_entry
from c4guard.audit.merkle import HASH_SIZE, Frontier, perfect_subtrees
from c4guard.audit.note import Signer
from c4guard.audit.store import AuditError, Store
from c4guard.paths import state_dir

DEFAULT_DB_NAME = "audit.db"


@dataclass(frozen=True)
class AppendReceipt:
    """Where an event landed: its index, leaf hash (hex) and recorded time."""

    origin: str
    index: int
    leaf_hash: str
    time: str

    @property
    def tree_size(self) -> int:
        """The smallest tree size whose checkpoints cover this entry."""
        return self.index + 1


@dataclass(frozen=True)
class InclusionProof:
    index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]
    checkpoint: str


def default_location() -> str:
    """The default trail: a SQLite file in the state directory."""
    return str(state_dir() / DEFAULT_DB_NAME)


def is_postgres(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def open_store(location: str | None, read_only: bool = False) -> Store:
    """The store behind a location: a `postgresql://` URL, or a SQLite file path
    (`read_only`: an existing file, opened read-only)."""
    location = location or default_location()
    if is_postgres(location):
        from c4guard.audit.store_postgres import PostgresStore

        return PostgresStore(location)
    from c4guard.audit.store_sqlite import SQLiteStore

    return SQLiteStore(Path(location).expanduser(), read_only)


def open_trail(
    location: str | None = None,
    *,
    create: bool = True,
    origin: str | None = None,
    read_only: bool = False,
) -> Trail:
    """Open (and by default create) the trail at `location`: None for the default SQLite
    file, a path for another SQLite file, or a `postgresql://` URL. `read_only` (for the
    commands that only read): nothing is created, a missing trail is an AuditError."""
    store = open_store(location, read_only)
    try:
        return Trail(store, store.initialise(origin, create and not read_only))
    except BaseException:
        store.close()
        raise


class Trail:
    """One log. Appends from any number of processes get one order; an instance is used
    by one thread at a time (see GroupCommitter for many threads)."""

    def __init__(self, store: Store, origin: str) -> None:
        self.store = store
        self.origin = origin

    def __enter__(self) -> Trail:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    @property
    def description(self) -> str:
        return self.store.description

    # -- writing ----------------------------------------------------------------------
    def append(self, kind: str, payload: dict[str, Any], actor: str) -> AppendReceipt:
        """Record one event; durable when this returns."""
        return self.append_many([Event(kind, payload, actor)])[0]

    def append_many(self, events: Sequence[Event]) -> list[AppendReceipt]:
        """Record events in one transaction (group commit): all or none, in this order,
        durable when this returns."""
        if not events:
            return []
        with self.store.locked() as now:
            size = self.store.size()
            frontier = Frontier.at(size, self._reader(size))
            rows = []
            for offset, event in enumerate(events):
                data = encode_entry(size + offset, now, event)
                hashes = frontier.append(merkle.leaf_hash(data))
                rows.append((size + offset, data, b"".join(hashes)))
            self.store.insert_entries(rows)
        return [
            AppendReceipt(self.origin, idx, hashes[:HASH_SIZE].hex(), now)
            for idx, _, hashes in rows
        ]

    def checkpoint(self, signer: Signer) -> str:
        """Sign and store the current tree head; returns the signed note. Returns the
        latest stored checkpoint when no entry came since.

        Signs only a log that extends the previous checkpoint: the stored tree must still
        lead to its head, and every entry since must match its recorded hashes."""
        with self.store.locked():
            size = self.store.size()
            latest = self.store.latest_checkpoint()
            if latest is not None and latest[0] == size:
                return latest[1]
            root = self._extension_root(read_checkpoint(latest[1]) if latest else None, size)
            note = sign_checkpoint(Checkpoint(self.origin, size, root), signer)
            self.store.insert_checkpoint(size, note)
        return note

    def _extension_root(self, previous: Checkpoint | None, size: int) -> bytes:
        """The head at `size`, recomputed from the entries since `previous`."""
        reader = self._reader(size)
        start = previous.size if previous else 0
        if previous and merkle.subtree_hash(0, start, reader) != previous.root:
            raise AuditError(
                f"the log no longer leads to the checkpoint at size {start}: not signing"
                " (run `c4guard audit verify`)"
            )
        frontier = Frontier.at(start, reader)
        for idx, data, stored in self.store.entries(start, size):
            if idx != frontier.size or b"".join(frontier.append(merkle.leaf_hash(data))) != stored:
                raise AuditError(
                    f"entry {idx} does not match its recorded hashes: not signing"
                    " (run `c4guard audit verify`)"
                )
        if frontier.size != size:
            raise AuditError(f"entry {frontier.size} is missing: not signing")
        return frontier.root()

    # -- reading ----------------------------------------------------------------------
    def size(self) -> int:
        return self.store.size()

    def entry_data(self, index: int) -> bytes:
        """The canonical bytes of entry `index`."""
        data = self.store.entry(index)
        if data is None:
            raise AuditError(f"no entry {index} (the trail has {self.size()})")
        return data

    def entry(self, index: int) -> Entry:
        return decode_entry(self.entry_data(index))

    def entries(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """(index, canonical entry bytes), in order."""
        end = self.size() if end is None else end
        for idx, data, _ in self.store.entries(start, end):
            yield idx, data

    def latest_checkpoint(self) -> Checkpoint | None:
        latest = self.store.latest_checkpoint()
        return read_checkpoint(latest[1]) if latest else None

    def root(self, size: int) -> bytes:
        """The tree head hash at `size`, from the stored subtree hashes."""
        return merkle.subtree_hash(0, size, self._reader(size))

    def inclusion_proof(self, index: int) -> InclusionProof:
        """Proof that entry `index` is in the tree of the latest checkpoint."""
        latest = self.store.latest_checkpoint()
        if latest is None or latest[0] <= index:
            raise AuditError(
                f"no checkpoint covers entry {index} yet: run `c4guard audit checkpoint`"
            )
        size, note = latest
        reader = self._reader(size)
        return InclusionProof(
            index, size, reader(0, index), merkle.inclusion_proof(index, size, reader), note
        )

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        return merkle.consistency_proof(old_size, new_size, self._reader(new_size))

    def _reader(self, size: int) -> merkle.NodeReader:
        """Reads perfect-subtree hashes of the first `size` leaves from the store, each row
        once; the rows a tree head needs are fetched together."""
        cache = self.store.hashes([((i + 1) << lvl) - 1 for lvl, i in perfect_subtrees(0, size)])

        def node(level: int, index: int) -> bytes:
            last = ((index + 1) << level) - 1
            if last >= size:
                raise AuditError(f"subtree ({level}, {index}) is beyond tree size {size}")
            if last not in cache:
                cache.update(self.store.hashes([last]))
            blob = cache.get(last, b"")
            hash_ = blob[level * HASH_SIZE : (level + 1) * HASH_SIZE]
            if len(hash_) != HASH_SIZE:
                raise AuditError(f"stored hashes of entry {last} are missing or damaged")
            return hash_

        return node
