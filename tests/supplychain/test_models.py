"""Model directories signed with OpenSSF model signing (`model-signing`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from model_signing import hashing, signing

from c4guard.cli import main
from c4guard.supplychain.policy import load_policy
from c4guard.supplychain.verifier import verify_artifact
from tests.supplychain.publish import make_key
from tests.supplychain.testdata import staging_trusted_root


def sign_model(model: Path, private_key: Path) -> Path:
    signature = model / "model.sig"
    (
        signing.Config()
        .use_elliptic_key_signer(private_key=private_key)
        .set_hashing_config(hashing.Config().set_ignored_paths(paths=["model.sig"]))
        .sign(model, signature)
    )
    return signature


@pytest.fixture
def model(tmp_path: Path) -> Path:
    folder = tmp_path / "models" / "tiny-llm"
    (folder / "tokenizer").mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 8}')
    (folder / "model.safetensors").write_bytes(bytes(range(256)) * 64)
    (folder / "tokenizer" / "vocab.txt").write_text("a\nb\nc\n")
    return folder


def model_policy(folder: Path, public_key: Path) -> Path:
    path = folder / "policy.yaml"
    path.write_text(f"""\
version: 1
signers:
  ml-release: {{key: "{public_key}"}}
artifacts:
  - match: "*/models/*"
    signers: [ml-release]
    model: {{signature: model.sig}}
""")
    return path


def test_signed_model_verifies(tmp_path, model):
    key = make_key(tmp_path, "model")
    sign_model(model, key.private)

    result = CliRunner().invoke(
        main, ["verify", str(model), "-p", str(model_policy(tmp_path, key.public))]
    )

    assert result.exit_code == 0, result.output
    assert "ok   model" in result.output


def test_changing_one_file_fails(tmp_path, model):
    key = make_key(tmp_path, "model")
    sign_model(model, key.private)
    (model / "tokenizer" / "vocab.txt").write_text("a\nb\nX\n")

    verdict = verify_artifact(str(model), load_policy(model_policy(tmp_path, key.public)))

    assert verdict.decision == "deny"
    check = verdict.checks[0]
    assert check.code == "model-modified"
    assert "vocab.txt" in check.message


def test_model_signed_by_another_key_fails(tmp_path, model):
    trusted, other = make_key(tmp_path, "model"), make_key(tmp_path, "other")
    sign_model(model, other.private)

    verdict = verify_artifact(str(model), load_policy(model_policy(tmp_path, trusted.public)))

    assert verdict.decision == "deny"
    assert verdict.checks[0].code == "untrusted-key"


def test_unsigned_model_fails(tmp_path, model):
    key = make_key(tmp_path, "model")

    verdict = verify_artifact(str(model), load_policy(model_policy(tmp_path, key.public)))

    assert verdict.decision == "deny"
    assert verdict.checks[0].code == "missing-signature"


def test_keyless_signer_refuses_a_key_signed_model(tmp_path, model):
    key = make_key(tmp_path, "model")
    sign_model(model, key.private)
    policy = tmp_path / "keyless.yaml"
    policy.write_text(f"""\
version: 1
signers:
  ci: {{keyless: {{identity: "a@tny.town", issuer: "https://github.com/login/oauth",
                  trusted_root: "{staging_trusted_root()}"}}}}
artifacts: [{{match: "*/models/*", signers: [ci], model: {{}}}}]
""")

    verdict = verify_artifact(str(model), load_policy(policy))

    assert verdict.decision == "deny"
    assert verdict.checks[0].code == "invalid-signature"
