"""The proof and checkpoint verifiers against real Rekor data: the inclusion proofs and
signed-note checkpoints in the Sigstore bundles of shared/testdata/sigstore."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from c4guard.audit.checkpoint import CheckpointError, open_checkpoint, read_checkpoint
from c4guard.audit.merkle import ProofError, leaf_hash, verify_inclusion
from c4guard.audit.note import NoteError, Verifier, open_note, parse_note
from tests.audit.audit_testing import sigstore_dir

STAGING_ROOT = "staging-tuf/targets/ed6a9cf4e7c2e3297a4b5974fce0d17132f03c63512029d7aa3a402b43acab49.trusted_root.json"  # noqa: E501


def rekor_entries() -> list[tuple[str, dict]]:
    directory = sigstore_dir()
    found = []
    for path in sorted(directory.glob("*.sigstore*")):
        try:
            bundle = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        for entry in bundle.get("verificationMaterial", {}).get("tlogEntries", []):
            if "inclusionProof" in entry:
                found.append((path.name, entry))
    return found


def proof_parts(entry: dict) -> tuple[bytes, int, int, list[bytes], bytes]:
    proof = entry["inclusionProof"]
    return (
        leaf_hash(base64.b64decode(entry["canonicalizedBody"])),
        int(proof["logIndex"]),
        int(proof["treeSize"]),
        [base64.b64decode(h) for h in proof["hashes"]],
        base64.b64decode(proof["rootHash"]),
    )


@pytest.fixture(scope="module")
def entries() -> list[tuple[str, dict]]:
    found = rekor_entries()
    assert len(found) >= 9, "the Sigstore test bundles carry at least nine inclusion proofs"
    return found


def test_real_rekor_inclusion_proofs_verify(entries):
    for name, entry in entries:
        leaf, index, size, hashes, root = proof_parts(entry)
        try:
            verify_inclusion(leaf, index, size, hashes, root)
        except ProofError as exc:
            pytest.fail(f"{name}: {exc}")


def test_altered_rekor_inclusion_proofs_fail(entries):
    for _, entry in entries:
        leaf, index, size, hashes, root = proof_parts(entry)
        flipped_root = bytes([root[0] ^ 0x80]) + root[1:]
        other_leaf = leaf_hash(base64.b64decode(entry["canonicalizedBody"]) + b" ")
        altered = [
            (other_leaf, index, size, hashes, root),
            (leaf, index + 1, size, hashes, root),
            (leaf, index, size, hashes, flipped_root),
            (leaf, index, size, hashes[:-1], root),
            (leaf, index, size, [*hashes, hashes[0]], root),
            (leaf, index, size, [hashes[1], hashes[0], *hashes[2:]], root),
        ]
        for n in range(len(hashes)):
            bad = bytearray(hashes[n])
            bad[-1] ^= 1
            altered.append((leaf, index, size, [*hashes[:n], bytes(bad), *hashes[n + 1 :]], root))
        for case in altered:
            with pytest.raises(ProofError):
                verify_inclusion(*case)


def test_rekor_checkpoints_carry_the_proofs_tree_head(entries):
    with_checkpoint = [(n, e) for n, e in entries if "checkpoint" in e["inclusionProof"]]
    assert len(with_checkpoint) >= 7
    for _, entry in with_checkpoint:
        checkpoint = read_checkpoint(entry["inclusionProof"]["checkpoint"]["envelope"])
        _, _, size, _, root = proof_parts(entry)
        assert (checkpoint.size, checkpoint.root) == (size, root)


def staging_log_key(base_url: str) -> bytes:
    trusted = json.loads((sigstore_dir() / STAGING_ROOT).read_text())
    for log in trusted["tlogs"]:
        if log["baseUrl"] == base_url:
            return base64.b64decode(log["publicKey"]["rawBytes"])
    raise AssertionError(f"{base_url} not in the staging trusted root")


def rekor_v2_envelope() -> str:
    bundle = json.loads((sigstore_dir() / "staging-rekor-v2.txt.sigstore.json").read_text())
    proof = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
    return proof["checkpoint"]["envelope"]


def test_rekor_v2_ed25519_checkpoint_verifies_as_a_c2sp_signed_note():
    """Rekor v2 signs checkpoints as C2SP Ed25519 notes: the same key id and signature
    scheme c4guard uses, checked with the log key from Sigstore's staging trusted root."""
    der = staging_log_key("https://log2025-alpha1.rekor.sigstage.dev")
    verifier = Verifier("log2025-alpha1.rekor.sigstage.dev", der[-32:])
    envelope = rekor_v2_envelope()
    checkpoint = open_checkpoint(envelope, [verifier], "log2025-alpha1.rekor.sigstage.dev")
    assert checkpoint.size == 646
    # Altered checkpoints fail: another size, another root, another signature byte.
    text, signature_block = envelope.split("\n\n", 1)
    for altered in [
        envelope.replace("\n646\n", "\n647\n"),
        envelope.replace("kNum4Jmd", "kNum4Jme"),
        text + "\n\n" + signature_block.replace("8w1amQA0", "8w1amQA1"),
    ]:
        with pytest.raises((CheckpointError, NoteError)):
            open_checkpoint(altered, [verifier])
    with pytest.raises(CheckpointError, match="not signed by a trusted key"):
        open_checkpoint(envelope, [Verifier("someone.else", der[-32:])])


def test_rekor_v1_ecdsa_checkpoint_text_is_what_the_log_signed():
    """Rekor v1 signs notes with ECDSA P-256 (key id: SHA-256 of the DER key). c4guard
    signs with Ed25519 only, but its note parser must hand back exactly the signed text."""
    der = staging_log_key("https://rekor.sigstage.dev")
    public = load_der_public_key(der)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    bundle = json.loads((sigstore_dir() / "bundle_v3.txt.sigstore").read_text())
    envelope = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"][
        "envelope"
    ]
    note = parse_note(envelope)
    (signature,) = note.signatures
    assert signature.key_id == hashlib.sha256(der).digest()[:4]
    public.verify(signature.signature, note.text.encode(), ec.ECDSA(ec.hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public.verify(
            signature.signature,
            note.text.replace("25901138", "25901139").encode(),
            ec.ECDSA(ec.hashes.SHA256()),
        )
    # An Ed25519 verifier of the same name does not accept the ECDSA signature.
    with pytest.raises(NoteError):
        open_note(envelope, [Verifier("rekor.sigstage.dev", bytes(32))])
