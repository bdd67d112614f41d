"""Trusted signers and signature checks: public keys (ECDSA P-256, Ed25519, RSA) through
securesystemslib, Sigstore keyless identities through sigstore-python, offline."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from securesystemslib.signer import CryptoSigner, Signature, SSlibKey
from sigstore.errors import VerificationError
from sigstore.models import Bundle, TrustedRoot
from sigstore.verify import Verifier
from sigstore.verify.policy import Identity

from c4guard.errors import ConfigError
from c4guard.supplychain.policy import Keyless, TrustPolicy

RSA_SCHEME = "rsa-pkcs1v15-sha256"  # what cosign signs with for RSA keys


class SignerError(ConfigError):
    """A key or trusted root that cannot be used."""


@dataclass(frozen=True)
class Verification:
    """The policy signers whose signature verified, or a failure `code` and why none did."""

    signers: frozenset[str]
    code: str | None
    message: str

    def accepted_by(self, allowed: list[str]) -> tuple[str | None, str | None, str]:
        """(signer, failure code, message) for a rule that accepts the `allowed` signers."""
        good = sorted(self.signers & set(allowed))
        if good:
            return good[0], None, self.message
        if self.signers:
            return (
                None,
                "untrusted-key",
                (
                    f"untrusted key: signed by '{sorted(self.signers)[0]}'"
                    ", which this rule does not accept"
                ),
            )
        return None, self.code, self.message


UNSIGNED = Verification(frozenset(), "unsigned", "no signature")


def key_id(public_key: object) -> str:
    """A key's id: the SHA-256 of its DER SubjectPublicKeyInfo (as cosign and Sigstore show)."""
    der = public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def sslib_key(public_key: object) -> SSlibKey:
    """The securesystemslib view of a public key, with c4guard's key id and cosign's scheme."""
    if not isinstance(
        public_key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey
    ):
        raise SignerError(f"unsupported key type {type(public_key).__name__}")
    if isinstance(public_key, ec.EllipticCurvePublicKey) and not isinstance(
        public_key.curve, ec.SECP256R1
    ):
        raise SignerError(f"unsupported curve {public_key.curve.name}; use P-256")
    scheme = RSA_SCHEME if isinstance(public_key, rsa.RSAPublicKey) else None
    return SSlibKey.from_crypto(public_key, keyid=key_id(public_key), scheme=scheme)


def load_public_key(path: Path) -> SSlibKey:
    """A PEM public key file (SubjectPublicKeyInfo) as a verification key."""
    try:
        pem = path.read_bytes()
        return sslib_key(serialization.load_pem_public_key(pem))
    except OSError as exc:
        raise SignerError(f"{path}: cannot read public key: {exc.strerror}") from exc
    except ValueError as exc:
        raise SignerError(f"{path}: not a PEM public key: {exc}") from exc


def load_signer(path: Path, password: bytes | None = None) -> CryptoSigner:
    """A PEM private key file (PKCS#8 or traditional) as a signer."""
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password)
    except OSError as exc:
        raise SignerError(f"{path}: cannot read private key: {exc.strerror}") from exc
    except (ValueError, TypeError) as exc:
        raise SignerError(f"{path}: not a usable PEM private key: {exc}") from exc
    return CryptoSigner(private, sslib_key(private.public_key()))


@dataclass(frozen=True)
class KeylessIdentity:
    """A Sigstore identity and the offline verifier for its trusted root."""

    name: str
    identity: Keyless
    verifier: Verifier

    def verify(self, bundle: Bundle, artifact: bytes | None) -> tuple[str, bytes] | str:
        """The DSSE (type, payload) of a bundle, or `artifact` as signed; else why not."""
        policy = Identity(identity=self.identity.identity, issuer=self.identity.issuer)
        try:
            policy.verify(bundle.signing_certificate)
        except VerificationError as exc:
            return f"untrusted identity: {exc}"
        try:
            if artifact is None:
                return self.verifier.verify_dsse(bundle, policy)
            self.verifier.verify_artifact(artifact, bundle, policy)
            return "", artifact
        except VerificationError as exc:
            return f"invalid signature: the bundle does not verify against the trusted root: {exc}"


class TrustedSigners:
    """The signers a trust policy names, loaded once."""

    def __init__(self, policy: TrustPolicy) -> None:
        self.keys: dict[str, SSlibKey] = {}
        self.keyless: dict[str, KeylessIdentity] = {}
        for name, signer in policy.signers.items():
            if signer.key is not None:
                self.keys[name] = load_public_key(signer.key)
            else:
                assert signer.keyless is not None
                self.keyless[name] = KeylessIdentity(
                    name, signer.keyless, Verifier(trusted_root=_trusted_root(signer.keyless))
                )

    def verify_signatures(
        self, data: bytes, signatures: tuple[tuple[str, bytes], ...]
    ) -> Verification:
        """Check (keyid, signature) pairs over `data` against every trusted key."""
        good = {
            name
            for name, key in self.keys.items()
            for _, sig in signatures
            if _key_verifies(key, data, sig)
        }
        if good:
            first = sorted(good)[0]
            return Verification(
                frozenset(good), None, f"signed by '{first}' (key {self.keys[first].keyid})"
            )
        return self._explain_failure(signatures)

    def verify_bundle(
        self, bundle: Bundle, artifact: bytes | None
    ) -> tuple[Verification, str, bytes]:
        """Verify a Sigstore bundle with every keyless identity, offline.

        Returns the verification and, when verified, the signed payload type and payload."""
        problems, good, payload = [], set(), ("", b"")
        for name, ident in self.keyless.items():
            result = ident.verify(bundle, artifact)
            if isinstance(result, str):
                problems.append((name, result))
            else:
                good.add(name)
                payload = result
        if good:
            first = self.keyless[sorted(good)[0]].identity
            return (
                Verification(
                    frozenset(good), None, f"signed by {first.identity} (issuer {first.issuer})"
                ),
                *payload,
            )
        if not problems:
            return (
                Verification(
                    frozenset(),
                    "untrusted-identity",
                    "Sigstore bundle, but the policy has no keyless signer",
                ),
                "",
                b"",
            )
        name, why = problems[0]
        code = "untrusted-identity" if why.startswith("untrusted") else "invalid-signature"
        return Verification(frozenset(), code, f"{why} (signer '{name}')"), "", b""

    def _explain_failure(self, signatures: tuple[tuple[str, bytes], ...]) -> Verification:
        """Why no trusted key verified: no signature, tampering, or an untrusted key."""
        if not signatures:
            return UNSIGNED
        ids = {keyid for keyid, _ in signatures if keyid}
        by_id = {k.keyid: n for n, k in self.keys.items()}
        trusted = sorted(by_id[i] for i in ids if i in by_id)
        if trusted:
            return Verification(
                frozenset(),
                "tampered-payload",
                "tampered payload: the "
                f"signature of trusted key '{trusted[0]}' does not match the "
                "signed content",
            )
        if ids:
            return Verification(
                frozenset(),
                "untrusted-key",
                f"untrusted key: signed by key {sorted(ids)[0]}, which the policy does not trust",
            )
        return Verification(
            frozenset(),
            "untrusted-key",
            "untrusted key or tampered payload: the signature verifies with no trusted key",
        )


def _trusted_root(keyless: Keyless) -> TrustedRoot:
    try:
        return TrustedRoot.from_file(str(keyless.trusted_root))
    except (OSError, ValueError) as exc:
        raise SignerError(
            f"{keyless.trusted_root}: not a usable Sigstore trusted root: {exc}"
        ) from exc


def _key_verifies(key: SSlibKey, data: bytes, sig: bytes) -> bool:
    """Whether `key` made `sig`; a signature's declared key id is only a hint, not checked."""
    try:
        key.verify_signature(Signature(key.keyid, sig.hex()), data)
        return True
    except Exception:  # securesystemslib raises several kinds for a bad signature
        return False


def parse_bundle(raw: bytes) -> Bundle:
    """A Sigstore bundle; `InvalidBundle` names what is wrong (e.g. no inclusion proof)."""
    return Bundle.from_json(raw)
