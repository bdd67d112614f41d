"""Model directories signed with OpenSSF model signing (`model-signing`): key-based (ECDSA)
or Sigstore keyless, verified offline against the policy's trusted root."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from model_signing import verifying
from sigstore.models import ClientTrustConfig

from c4guard.supplychain.policy import Keyless, Signer

SIGNING_CONFIG = {
    "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
    "caUrls": [],
    "oidcUrls": [],
    "rekorTlogUrls": [],
    "tsaUrls": [],
}

MODEL_ERRORS = (("Signature mismatch", "model-modified"), ("Key mismatch", "untrusted-key"))


def verify_model(
    model_dir: Path, signature: Path, signers: dict[str, Signer]
) -> tuple[str | None, str | None, str]:
    """(signer name, failure code, message): which allowed signer signed the model as it is
    on disk now, or why none did."""
    if not signature.is_file():
        return None, "missing-signature", f"no model signature at {signature}"
    failures: list[tuple[str, str]] = []
    for name, signer in signers.items():
        try:
            _verify_with(model_dir, signature, signer)
        except ValueError as exc:  # model_signing's error for a key or manifest mismatch
            text = str(exc)
            code = next(
                (c for prefix, c in MODEL_ERRORS if text.startswith(prefix)), "invalid-signature"
            )
            failures.append((code, f"{text} (signer '{name}')"))
        except Exception as exc:  # signature, certificate or format errors from the library
            failures.append(
                ("invalid-signature", f"signature does not verify for signer '{name}': {exc}")
            )
        else:
            return name, None, f"model files match the signature of '{name}'"
    code, message = (
        next((f for f in failures if f[0] == "model-modified"), failures[0])
        if failures
        else ("unsigned", "no signer allowed")
    )
    return None, code, message


def _verify_with(model_dir: Path, signature: Path, signer: Signer) -> None:
    config = verifying.Config()
    if signer.key is not None:
        config.use_elliptic_key_verifier(public_key=signer.key).verify(model_dir, signature)
        return
    assert signer.keyless is not None
    with tempfile.TemporaryDirectory() as tmp:
        trust_config = _trust_config(signer.keyless, Path(tmp))
        config.use_sigstore_verifier(
            identity=signer.keyless.identity,
            oidc_issuer=signer.keyless.issuer,
            trust_config=trust_config,
        ).verify(model_dir, signature)


def _trust_config(keyless: Keyless, folder: Path) -> Path:
    """A Sigstore client trust config holding the policy's trusted root (no services)."""
    root = json.loads(keyless.trusted_root.read_text())
    path = folder / "trust_config.json"
    path.write_text(
        json.dumps(
            {
                "mediaType": ClientTrustConfig.ClientTrustConfigType.CONFIG_0_1,
                "trustedRoot": root,
                "signingConfig": SIGNING_CONFIG,
            }
        )
    )
    return path
