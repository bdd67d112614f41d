"""Structural checks that confirm a token is what its shape suggests.

A checksum or a decodable structure turns a pattern match into near certainty: GitHub and
npm tokens carry a CRC32 of their body, JWTs decode to a JSON header naming an algorithm,
private keys decode to DER (or the OpenSSH/PGP framing), Docker `auth` values decode to
`user:password`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib

BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CHECKSUM_CHARS = 6
OPENSSH_MAGIC = b"openssh-key-v1\x00"
DER_SEQUENCE = 0x30
MIN_KEY_BYTES = 64
# Ed25519 and X25519 keys in PKCS#8 are 48 bytes of DER: under MIN_KEY_BYTES, such a short
# body counts when it is exactly one DER SEQUENCE holding a version 0 or 1 first.
MIN_SHORT_DER_KEY_BYTES = 48
_PKCS8_VERSIONS = (b"\x02\x01\x00", b"\x02\x01\x01")
# A PEM/OpenSSH/PGP private key block; `secret` is its body (headers and base64).
# The body stops at the first `-----` and is never re-scanned (possessive), so a text
# full of BEGIN lines without END costs one pass, not one pass per BEGIN.
PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?P<kind>(?:[A-Z0-9]+ ){0,3})PRIVATE KEY(?: BLOCK)?-----"
    r"(?P<secret>(?:[A-Za-z0-9+/=\s\\:,.()\"'_]|-(?!----)){64,65536}+)"
    r"-----END (?P=kind)PRIVATE KEY(?: BLOCK)?-----"
)
# One registry entry of a Docker config: `"auth": "base64(user:password)"`.
DOCKER_AUTH = re.compile(r"\"auth\"\s*:\s*\"(?P<secret>[A-Za-z0-9+/]{8,}={0,2})\"")
_PEM_HEADER_LINE = re.compile(r"^[A-Za-z-]+:.*$", re.MULTILINE)
_PGP_CHECKSUM_LINE = re.compile(r"^=[A-Za-z0-9+/]{4}\s*$", re.MULTILINE)
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")


def base62_encode(number: int, width: int = CHECKSUM_CHARS) -> str:
    """`number` in base 62 (digits, upper case, lower case), left-padded with zeros."""
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = BASE62_ALPHABET[rest] + digits
    return digits.rjust(width, "0")


def crc32_base62(body: str) -> str:
    """The six-character checksum GitHub and npm append to a token body."""
    return base62_encode(zlib.crc32(body.encode("ascii")))


def has_valid_checksum(token: str) -> bool:
    """GitHub `gh?_…` and npm `npm_…` tokens: prefix, 30 random characters, then the
    CRC32 of those 30 characters in base 62."""
    prefix, _, rest = token.partition("_")
    if not prefix or len(rest) <= CHECKSUM_CHARS or not rest.isascii():
        return False
    return crc32_base62(rest[:-CHECKSUM_CHARS]) == rest[-CHECKSUM_CHARS:]


def b64url_json(segment: str) -> object:
    """Decode a base64url JSON segment; None when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError):
        return None


def is_signed_jwt(token: str) -> bool:
    """Header names a signing algorithm, payload is a JSON object, signature present.
    Supabase-style `anon` keys are public by design and not reported."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[2]:
        return False
    header, payload = b64url_json(parts[0]), b64url_json(parts[1])
    if not isinstance(header, dict) or not isinstance(payload, dict):
        return False
    algorithm = header.get("alg")
    if not isinstance(algorithm, str) or algorithm.lower() == "none":
        return False
    return payload.get("role") != "anon"


def pem_body_base64(body: str) -> str:
    """The base64 characters of a PEM body: headers, PGP checksum, escapes and blanks removed."""
    body = body.replace("\\n", "\n").replace("\\r", "")
    body = _PEM_HEADER_LINE.sub("", body)
    body = _PGP_CHECKSUM_LINE.sub("", body)
    return _NOT_BASE64.sub("", body)


def decodes_as_key(kind: str, body: str, encrypted_headers: bool) -> bool:
    """The body of a `-----BEGIN <kind>PRIVATE KEY-----` block is plausibly a key: DER for
    PKCS#1/PKCS#8/SEC1, the OpenSSH magic for OpenSSH, any base64 for PGP and for
    legacy encrypted PEM (whose body is ciphertext)."""
    data = pem_body_base64(body)
    try:
        raw = base64.b64decode(data + "=" * (-len(data) % 4))
    except binascii.Error:
        return False
    if len(raw) < MIN_KEY_BYTES:
        return _is_short_der_key(raw)
    if "OPENSSH" in kind:
        return raw.startswith(OPENSSH_MAGIC)
    if "PGP" in kind or encrypted_headers:
        return True
    return raw[0] == DER_SEQUENCE


def _is_short_der_key(raw: bytes) -> bool:
    """A short DER private key (PKCS#8 Ed25519/X25519): one SEQUENCE whose length covers
    the rest exactly, starting with the version INTEGER."""
    return (
        len(raw) >= MIN_SHORT_DER_KEY_BYTES
        and raw[0] == DER_SEQUENCE
        and raw[1] == len(raw) - 2
        and raw[2:5] in _PKCS8_VERSIONS
    )


def decode_base64_text(value: str) -> str | None:
    """Standard base64 decoded to text, None when it is not base64 of UTF-8."""
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def is_private_key_block(kind: str, body: str) -> bool:
    """A `-----BEGIN <kind>PRIVATE KEY-----` body that decodes as a key."""
    return decodes_as_key(kind, body, "Proc-Type:" in body)


def encoded_private_key_body(value: str) -> str | None:
    """For base64 of a PEM private key (kubeconfig `client-key-data`, Secret `tls.key`),
    the key body; None when the value is not that."""
    decoded = decode_base64_text(value)
    block = None if decoded is None else PEM_PRIVATE_KEY.search(decoded)
    if block is None or not is_private_key_block(block.group("kind"), block.group("secret")):
        return None
    return block.group("secret")


def docker_auth_password(value: str) -> str | None:
    """The password in a Docker config `auth` value (base64 of `user:password`)."""
    decoded = decode_base64_text(value)
    if decoded is None or not decoded.isprintable():
        return None
    user, separator, password = decoded.partition(":")
    return password if user and separator and password else None


def encoded_docker_config_passwords(value: str) -> list[str]:
    """The passwords in a base64 Docker config (`.dockerconfigjson` Secret data)."""
    decoded = decode_base64_text(value)
    if decoded is None:
        return []
    found = (docker_auth_password(m.group("secret")) for m in DOCKER_AUTH.finditer(decoded))
    return [password for password in found if password]
