"""The gate's PKI: a CA and a serving certificate for the webhook Service's DNS names,
kept while valid and renewed when near expiry (`c4guard gate certs`).

The CA stays stable across renewals (the API server's `caBundle` keeps trusting the new
serving certificate); it is replaced only when it expires itself or cannot be read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

Action = Literal["kept", "renewed", "created"]
FILES = {"ca_cert": "ca.crt", "ca_key": "ca.key", "cert": "tls.crt", "key": "tls.key"}


@dataclass(frozen=True, slots=True)
class CertRequest:
    """What the serving certificate must cover and how long certificates live."""

    service: str
    namespace: str
    extra_dns: tuple[str, ...] = ()
    days: int = 365
    ca_days: int = 3650
    renew_before_days: int = 30

    def dns_names(self) -> list[str]:
        """The names the API server may use for the Service, then the extra ones."""
        base = f"{self.service}.{self.namespace}"
        names = [self.service, base, f"{base}.svc", f"{base}.svc.cluster.local"]
        return names + [n for n in self.extra_dns if n not in names]


@dataclass(frozen=True, slots=True)
class Bundle:
    """PEM bytes of the CA and the serving certificate with their keys."""

    ca_cert: bytes
    ca_key: bytes
    cert: bytes
    key: bytes


def ensure(
    existing: Bundle | None, request: CertRequest, now: dt.datetime | None = None
) -> tuple[Bundle, Action, str]:
    """The bundle to use now: `existing` when its CA and serving certificate are valid for
    longer than the renewal margin and cover the names; else a renewed serving certificate
    from the same CA; else a new CA. Also says what was done and why."""
    now = now or dt.datetime.now(dt.UTC)
    margin = dt.timedelta(days=request.renew_before_days)
    ca = _load_ca(existing)
    if ca is None or ca[0].not_valid_after_utc - margin <= now:
        why = "no usable CA" if ca is None else "the CA expires within the renewal margin"
        ca_cert, ca_key = _new_ca(request, now)
        return _issue(ca_cert, ca_key, request, now), "created", why
    ca_cert, ca_key = ca
    problem = _serving_problem(existing, ca_cert, request, now + margin)
    if problem:
        return _issue(ca_cert, ca_key, request, now), "renewed", problem
    assert existing is not None
    expires = _cert(existing.cert).not_valid_after_utc.date().isoformat()  # type: ignore[union-attr]
    return existing, "kept", f"valid until {expires}"


def not_after(pem: bytes) -> dt.datetime:
    """The expiry of a PEM certificate."""
    return x509.load_pem_x509_certificate(pem).not_valid_after_utc


def _load_ca(bundle: Bundle | None) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    if bundle is None:
        return None
    cert = _cert(bundle.ca_cert)
    try:
        key = serialization.load_pem_private_key(bundle.ca_key, password=None)
    except (ValueError, TypeError):
        return None
    if cert is None or not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    if cert.public_key() != key.public_key():
        return None
    return cert, key


def _serving_problem(
    bundle: Bundle | None, ca: x509.Certificate, request: CertRequest, deadline: dt.datetime
) -> str:
    """Why the serving certificate must be renewed, or '' when it is fine."""
    cert = _cert(bundle.cert) if bundle else None
    if cert is None or bundle is None or not _key_matches(cert, bundle.key):
        return "no usable serving certificate and key"
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, ValueError, TypeError):
        return "the serving certificate is not signed by the CA"
    if cert.not_valid_after_utc <= deadline:
        return "the serving certificate expires within the renewal margin"
    try:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        covered = set(names.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        covered = set()
    missing = [n for n in request.dns_names() if n not in covered]
    return f"the serving certificate does not cover {', '.join(missing)}" if missing else ""


def _cert(pem: bytes) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError:
        return None


def _key_matches(cert: x509.Certificate, pem: bytes) -> bool:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        return False
    return cert.public_key() == key.public_key()


def _new_ca(
    request: CertRequest, now: dt.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(f"c4guard gate CA ({request.namespace})")
    cert = (
        _builder(name, name, key.public_key(), now, request.ca_days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _issue(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    request: CertRequest,
    now: dt.datetime,
) -> Bundle:
    key = ec.generate_private_key(ec.SECP256R1())
    names = request.dns_names()
    days = min(request.days, (ca_cert.not_valid_after_utc - now).days)
    cert = (
        _builder(_name(names[2]), ca_cert.subject, key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return Bundle(_pem(ca_cert), _key_pem(ca_key), _pem(cert), _key_pem(key))


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: object, now: dt.datetime, days: int
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
    )


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
