"""Signed notes, checkpoints and key files."""

from __future__ import annotations

import base64
import stat

import pytest

from c4guard.audit.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    sign_checkpoint,
)
from c4guard.audit.keys import KeyFileError, load_signer, load_verifiers, write_key_pair
from c4guard.audit.note import NoteError, Signer, Verifier, open_note, parse_note, sign_note

# The example key and note of Go's golang.org/x/mod/sumdb/note documentation.
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2"
    "pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_go_note_example_round_trips():
    signer = Signer.from_text(GO_SIGNER)
    verifier = Verifier.from_text(GO_VERIFIER)
    assert signer.verifier() == verifier
    assert signer.to_text() == GO_SIGNER and verifier.to_text() == GO_VERIFIER
    assert sign_note(GO_TEXT, [signer]) == GO_NOTE
    note, verified = open_note(GO_NOTE, [verifier])
    assert note.text == GO_TEXT and verified == [verifier]


def test_tampered_notes_fail():
    verifier = Verifier.from_text(GO_VERIFIER)
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), [verifier])
    with pytest.raises(NoteError, match="not signed by a trusted key"):
        open_note(GO_NOTE, [Signer.generate("PeterNeumann").verifier()])
    for malformed in [GO_TEXT, GO_TEXT + "\n", GO_TEXT + "\nno dash line\n", "x\n\n\u2014 a !!\n"]:
        with pytest.raises(NoteError):
            parse_note(malformed)


def test_unknown_signatures_are_ignored_but_one_trusted_one_is_needed():
    ours, witness = Signer.generate("log/key"), Signer.generate("witness")
    message = sign_note("hello\n", [witness, ours])
    note, verified = open_note(message, [ours.verifier()])
    assert len(note.signatures) == 2 and verified == [ours.verifier()]


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "tab\tname"])
def test_bad_key_names_are_refused(name):
    with pytest.raises(NoteError):
        Signer.generate(name)


def test_key_text_with_a_wrong_id_or_algorithm_is_refused():
    name, _, key = GO_VERIFIER.split("+", 2)
    with pytest.raises(NoteError, match="key id"):
        Verifier.from_text(f"{name}+00000000+{key}")
    raw = bytearray(base64.b64decode(key))
    raw[0] = 0x02
    with pytest.raises(NoteError, match="Ed25519"):
        Verifier.from_text(f"{name}+c74f20a3+{base64.b64encode(raw).decode()}")


def test_checkpoint_format_round_trips():
    checkpoint = Checkpoint("example.com/log", 42, bytes(range(32)), ("ext line",))
    text = checkpoint.to_text()
    assert text == "example.com/log\n42\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\next line\n"
    assert Checkpoint.from_text(text) == checkpoint


@pytest.mark.parametrize(
    "text",
    [
        "origin\n042\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "origin\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "origin\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd\n",
        "origin\n1\nnot base64!\n",
        "\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "origin\n1\n",
        "origin\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    ],
)
def test_malformed_checkpoints_are_refused(text):
    with pytest.raises(CheckpointError):
        Checkpoint.from_text(text)


def test_checkpoint_of_another_log_is_refused():
    signer = Signer.generate("k")
    message = sign_checkpoint(Checkpoint("log-a", 1, bytes(32)), signer)
    assert open_checkpoint(message, [signer.verifier()], "log-a").size == 1
    with pytest.raises(CheckpointError, match="log-a"):
        open_checkpoint(message, [signer.verifier()], "log-b")


def test_key_files(tmp_path):
    signer = Signer.generate("host/c4guard-audit")
    private = tmp_path / "keys" / "audit.key"
    public = write_key_pair(signer, private)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert load_signer(private) == signer
    assert load_verifiers([public]) == [signer.verifier()]
    with pytest.raises(KeyFileError, match="not overwriting"):
        write_key_pair(Signer.generate("other"), private)
    private.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_signer(private)
    public.write_text("# trusted keys\n\n" + public.read_text() + "garbage\n")
    with pytest.raises(KeyFileError, match=r"audit.key.pub:4"):
        load_verifiers([public])
    with pytest.raises(KeyFileError, match="cannot read"):
        load_verifiers([tmp_path / "missing.pub"])
