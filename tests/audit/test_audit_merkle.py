"""Merkle hashing and proofs against RFC 9162's definitions, hand-computed trees, and the
Certificate Transparency reference test vectors."""

from __future__ import annotations

import hashlib

import pytest

from c4guard.audit import merkle
from c4guard.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# The eight leaves of the CT reference tests, with their published roots and proofs.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
CT_ROOTS = [
    bytes.fromhex(h)
    for h in [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
]
H = {
    "96a2": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f08": "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47": "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    "bc1a": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca85": "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37e": "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6e34": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac5": "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "0ebc": "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
}
CT_INCLUSION = [  # (index, size, proof)
    (0, 8, ["96a2", "5f08", "6b47"]),
    (5, 8, ["bc1a", "ca85", "d37e"]),
    (2, 3, ["fac5"]),
    (1, 5, ["6e34", "5f08", "bc1a"]),
]
CT_CONSISTENCY = [  # (old size, new size, proof)
    (1, 8, ["96a2", "5f08", "6b47"]),
    (6, 8, ["0ebc", "ca85", "d37e"]),
    (2, 5, ["5f08", "bc1a"]),
]


def hashes(names: list[str]) -> list[bytes]:
    return [bytes.fromhex(H[name]) for name in names]


def tree_of(leaves: list[bytes]) -> MemoryTree:
    tree = MemoryTree()
    for data in leaves:
        tree.append(leaf_hash(data))
    return tree


# -- RFC 9162 section 2.1 written out as literally as possible, as an independent oracle --
def rfc_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return hashlib.sha256(b"\x00" + d[0]).digest()
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + rfc_mth(d[:k]) + rfc_mth(d[k:])).digest()


def rfc_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    if m < k:
        return [*rfc_path(m, d[:k]), rfc_mth(d[k:])]
    return [*rfc_path(m - k, d[k:]), rfc_mth(d[:k])]


def rfc_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [rfc_mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*rfc_subproof(m, d[:k], b), rfc_mth(d[k:])]
    return [*rfc_subproof(m - k, d[k:], False), rfc_mth(d[:k])]


def test_empty_tree_hash_is_sha256_of_nothing():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert MemoryTree().root() == EMPTY_ROOT


def test_roots_match_the_ct_reference_vectors():
    tree = MemoryTree()
    for data, root in zip(CT_LEAVES, CT_ROOTS, strict=True):
        tree.append(leaf_hash(data))
        assert tree.root() == root


@pytest.mark.parametrize(("index", "size", "names"), CT_INCLUSION)
def test_inclusion_proofs_match_the_ct_reference_vectors(index, size, names):
    tree = tree_of(CT_LEAVES[:size])
    assert inclusion_proof(index, size, tree.node) == hashes(names)
    verify_inclusion(leaf_hash(CT_LEAVES[index]), index, size, hashes(names), CT_ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "names"), CT_CONSISTENCY)
def test_consistency_proofs_match_the_ct_reference_vectors(old, new, names):
    tree = tree_of(CT_LEAVES[:new])
    assert consistency_proof(old, new, tree.node) == hashes(names)
    verify_consistency(old, new, CT_ROOTS[old - 1], CT_ROOTS[new - 1], hashes(names))


def test_rfc_example_tree_of_seven_leaves_by_hand():
    """The 7-leaf tree drawn in RFC 9162 section 2.1.5, every node computed by hand with
    the RFC's labels: a..f are leaves d0..d5, j is leaf d6; g=(a,b) h=(c,d) i=(e,f);
    k=(g,h) l=(i,j); hash=(k,l)."""
    d = [f"d{n}".encode() for n in range(7)]
    a, b, c, d_, e, f, j = (leaf_hash(x) for x in d)
    g, h, i = node_hash(a, b), node_hash(c, d_), node_hash(e, f)
    k, l_ = node_hash(g, h), node_hash(i, j)
    root = node_hash(k, l_)
    tree = tree_of(d)
    assert tree.root() == root
    # The audit paths the RFC lists for d0, d3, d4 and d6.
    assert inclusion_proof(0, 7, tree.node) == [b, h, l_]
    assert inclusion_proof(3, 7, tree.node) == [c, g, l_]
    assert inclusion_proof(4, 7, tree.node) == [f, j, k]
    assert inclusion_proof(6, 7, tree.node) == [i, k]
    # The consistency proofs it lists from hash0 (3 leaves), hash1 (4) and hash2 (6).
    assert consistency_proof(3, 7, tree.node) == [c, d_, g, l_]
    assert consistency_proof(4, 7, tree.node) == [l_]
    assert consistency_proof(6, 7, tree.node) == [i, j, k]
    verify_consistency(3, 7, node_hash(g, c), root, [c, d_, g, l_])
    verify_consistency(4, 7, k, root, [l_])
    verify_consistency(6, 7, node_hash(k, i), root, [i, j, k])
    verify_inclusion(j, 6, 7, [i, k], root)


def test_every_proof_up_to_33_leaves_matches_the_rfc_definitions():
    leaves = [f"entry {n}".encode() for n in range(33)]
    tree = MemoryTree()
    for size in range(1, 34):
        tree.append(leaf_hash(leaves[size - 1]))
        d = leaves[:size]
        root = rfc_mth(d)
        assert tree.root() == root
        assert merkle.subtree_hash(0, size, tree.node) == root
        for m in range(size):
            proof = inclusion_proof(m, size, tree.node)
            assert proof == rfc_path(m, d)
            verify_inclusion(leaf_hash(d[m]), m, size, proof, root)
        for m in range(1, size):
            proof = consistency_proof(m, size, tree.node)
            assert proof == rfc_subproof(m, d, True)
            verify_consistency(m, size, rfc_mth(d[:m]), root, proof)


def _mutations(proof: list[bytes]):
    for n in range(len(proof)):
        flipped = bytearray(proof[n])
        flipped[0] ^= 1
        yield [*proof[:n], bytes(flipped), *proof[n + 1 :]]
    if proof:
        yield proof[:-1]
        yield proof[1:]
    yield [*proof, proof[0] if proof else EMPTY_ROOT]
    if len(proof) > 1:
        yield [proof[1], proof[0], *proof[2:]]


def test_altered_inclusion_proofs_fail():
    leaves = [f"entry {n}".encode() for n in range(13)]
    tree = tree_of(leaves)
    root = tree.root()
    for m in range(13):
        leaf = leaf_hash(leaves[m])
        proof = inclusion_proof(m, 13, tree.node)
        for bad in _mutations(proof):
            with pytest.raises(ProofError):
                verify_inclusion(leaf, m, 13, bad, root)
        # (The size is not varied: RFC 9162 proofs bind it only through the signed head.)
        for index in [m - 1, m + 1, 13, -1]:
            with pytest.raises(ProofError):
                verify_inclusion(leaf, index, 13, proof, root)
        with pytest.raises(ProofError):
            verify_inclusion(leaf_hash(b"other"), m, 13, proof, root)


def test_altered_consistency_proofs_fail():
    leaves = [f"entry {n}".encode() for n in range(13)]
    tree = tree_of(leaves)
    root = tree.root()
    for m in range(1, 13):
        old_root = merkle.subtree_hash(0, m, tree.node)
        proof = consistency_proof(m, 13, tree.node)
        for bad in _mutations(proof):
            with pytest.raises(ProofError):
                verify_consistency(m, 13, old_root, root, bad)
        with pytest.raises(ProofError):
            verify_consistency(m, 13, leaf_hash(b"fork"), root, proof)
        with pytest.raises(ProofError):
            verify_consistency(m, 13, old_root, leaf_hash(b"fork"), proof)


def test_consistency_edge_cases():
    tree = tree_of([b"x", b"y"])
    root = tree.root()
    verify_consistency(0, 2, EMPTY_ROOT, root, [])
    verify_consistency(2, 2, root, root, [])
    with pytest.raises(ProofError):
        verify_consistency(2, 2, root, EMPTY_ROOT, [])
    with pytest.raises(ProofError):
        verify_consistency(3, 2, root, root, [])
    with pytest.raises(ProofError):
        verify_consistency(1, 2, leaf_hash(b"x"), root, [])
    with pytest.raises(ProofError, match="32 bytes"):
        verify_consistency(1, 2, leaf_hash(b"x"), root, [b"short"])
    with pytest.raises(ValueError):
        consistency_proof(3, 2, tree.node)
    with pytest.raises(ValueError):
        inclusion_proof(2, 2, tree.node)


def test_frontier_append_returns_the_subtrees_each_leaf_completes():
    frontier = merkle.Frontier()
    leaves = [leaf_hash(bytes([n])) for n in range(8)]
    completed = [frontier.append(leaf) for leaf in leaves]
    assert [len(c) for c in completed] == [1, 2, 1, 3, 1, 2, 1, 4]
    assert completed[7][3] == frontier.root() == rfc_mth([bytes([n]) for n in range(8)])
