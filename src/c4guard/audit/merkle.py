"""RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing and proofs.

Trees are read through a `NodeReader`: `node(level, index)` is the hash of the perfect
subtree of height `level` covering leaves `[index << level, (index + 1) << level)`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from c4guard.errors import InvalidInput

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeReader = Callable[[int, int], bytes]


class ProofError(InvalidInput, ValueError):
    """A proof that does not verify."""


def leaf_hash(data: bytes) -> bytes:
    """MTH of a single entry: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The roots of the perfect subtrees of a growing tree, largest first."""

    __slots__ = ("_stack", "size")

    def __init__(self) -> None:
        self._stack: list[bytes] = []
        self.size = 0

    @classmethod
    def at(cls, size: int, node: NodeReader) -> Frontier:
        """The frontier of the first `size` leaves of a stored tree."""
        frontier = cls()
        frontier._stack = [node(level, index) for level, index in perfect_subtrees(0, size)]
        frontier.size = size
        return frontier

    def append(self, leaf: bytes) -> list[bytes]:
        """Add a leaf hash. Returns it followed by the roots of the perfect subtrees it
        completes, at levels 1, 2, ... (the hashes a store keeps beside the entry)."""
        completed = [leaf]
        current = leaf
        size = self.size
        while size & 1:
            current = node_hash(self._stack.pop(), current)
            completed.append(current)
            size >>= 1
        self._stack.append(current)
        self.size += 1
        return completed

    def root(self) -> bytes:
        """The tree head hash of the leaves appended so far."""
        if not self._stack:
            return EMPTY_ROOT
        root = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            root = node_hash(left, root)
        return root


class MemoryTree:
    """Every perfect-subtree hash of a tree, held in memory (32 bytes a node), to serve
    many proofs at once."""

    def __init__(self) -> None:
        self._frontier = Frontier()
        self._levels: list[bytearray] = []

    @property
    def size(self) -> int:
        return self._frontier.size

    def append(self, leaf: bytes) -> None:
        for level, hash_ in enumerate(self._frontier.append(leaf)):
            if level == len(self._levels):
                self._levels.append(bytearray())
            self._levels[level] += hash_

    def root(self) -> bytes:
        return self._frontier.root()

    def node(self, level: int, index: int) -> bytes:
        """A NodeReader over the appended leaves."""
        hash_ = bytes(self._levels[level][index * HASH_SIZE : (index + 1) * HASH_SIZE])
        if len(hash_) != HASH_SIZE:
            raise IndexError(f"no subtree ({level}, {index}) in a tree of size {self.size}")
        return hash_


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """Split leaves [start, end) into aligned perfect subtrees, left to right, as
    (level, index) pairs."""
    parts = []
    while start < end:
        level = (start & -start).bit_length() - 1 if start else (end - start).bit_length()
        while 1 << level > end - start:
            level -= 1
        parts.append((level, start >> level))
        start += 1 << level
    return parts


def subtree_hash(start: int, end: int, node: NodeReader) -> bytes:
    """MTH(D[start:end]) for the ranges RFC 9162 proofs use (`start` a multiple of a
    power of two at least `end - start`), and for every prefix [0, end)."""
    if start >= end:
        return EMPTY_ROOT
    hashes = [node(level, index) for level, index in perfect_subtrees(start, end)]
    root = hashes[-1]
    for left in reversed(hashes[:-1]):
        root = node_hash(left, root)
    return root


def _split(size: int) -> int:
    """The largest power of two smaller than `size` (size >= 2)."""
    return 1 << ((size - 1).bit_length() - 1)


def inclusion_proof(index: int, size: int, node: NodeReader) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 section 2.1.3.1."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    return _path(index, 0, size, node)


def _path(index: int, start: int, end: int, node: NodeReader) -> list[bytes]:
    if end - start == 1:
        return []
    k = _split(end - start)
    if index < k:
        return [*_path(index, start, start + k, node), subtree_hash(start + k, end, node)]
    return [*_path(index - k, start + k, end, node), subtree_hash(start, start + k, node)]


def consistency_proof(old_size: int, new_size: int, node: NodeReader) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 section 2.1.4.1 (empty when either tree
    is empty or both are the same)."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    return _subproof(old_size, 0, new_size, True, node)


def _subproof(m: int, start: int, end: int, whole: bool, node: NodeReader) -> list[bytes]:
    if m == end - start:
        return [] if whole else [subtree_hash(start, end, node)]
    k = _split(end - start)
    if m <= k:
        return [*_subproof(m, start, start + k, whole, node), subtree_hash(start + k, end, node)]
    return [*_subproof(m - k, start + k, end, False, node), subtree_hash(start, start + k, node)]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 section 2.1.3.2. Raises ProofError unless `leaf` is at `index` in the tree
    of `size` leaves whose head is `root`."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes(proof)
    fn, sn = index, size - 1
    result = leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn:
        raise ProofError("inclusion proof is too short")
    if result != root:
        raise ProofError("inclusion proof does not lead to the tree head")


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 section 2.1.4.2. Raises ProofError unless the tree of `old_size` leaves
    with head `old_root` is a prefix of the tree of `new_size` leaves with head `new_root`."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"tree size went from {old_size} to {new_size}")
    _check_hashes(proof)
    if old_size in (0, new_size):
        if proof:
            raise ProofError("consistency proof must be empty")
        if old_size == new_size and old_root != new_root:
            raise ProofError(f"two different tree heads for size {old_size}")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old_result = new_result = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            old_result = node_hash(sibling, old_result)
            new_result = node_hash(sibling, new_result)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            new_result = node_hash(new_result, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn:
        raise ProofError("consistency proof is too short")
    if old_result != old_root:
        raise ProofError("consistency proof does not lead to the old tree head")
    if new_result != new_root:
        raise ProofError("consistency proof does not lead to the new tree head")


def _check_hashes(proof: Sequence[bytes]) -> None:
    if any(len(h) != HASH_SIZE for h in proof):
        raise ProofError(f"proof holds a hash that is not {HASH_SIZE} bytes")
