"""Judging a candidate value: entropy, placeholders, references and dummy values.

These filters are what keeps the generic assignment rule precise; the token rules use the
placeholder filter too, so that `hf_xxxx…` or `AKIA…EXAMPLE` in documentation is not a finding.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter

# Public example credentials from vendor documentation and emulators, as SHA-256 of the
# value (AWS documentation keys, the Azurite emulator account key, the jwt.io sample
# token, the Stripe documentation test key, the Kubernetes documentation Secret values),
# so the source holds no credential-shaped text.
PUBLIC_EXAMPLES = frozenset(
    {
        "1a5d44a2dca19669d72edf4c4f1c27c4c1ca4b4408fbb17f6ce4ad452d78ddb3",
        "78314b11be2e581549ac1c4f616563fad3fdf0c3b71678f6e2299182080e0598",
        "0011cc25eb4320717494d2703e8cba85743e71b500283c21c8b88147992f9059",
        "7f75367e7881255134e1375e723d1dea8ad5f6a4fdb79d938df1f1754a830606",
        "2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326",
        "13fe7a38a57c46053ee3a4716358619ff37ebc5674976f1a09fc189be5a3e5dd",
        "28d296be3bf525f09d97eb59dee8b3fd1d69b85b6bc085752c653a51ccdd0a53",
    }
)

# Words that mark filler. Long ones count anywhere; the short ones only in values up to
# `_SHORT_WORD_MAX_CHARS`, since in a long blob (a key body, a certificate) four or five
# letters spell a word by chance.
_LONG_PLACEHOLDER_WORDS = re.compile(
    r"example|sample|placeholder|changeme|change[_-]me|replace[_-]?(?:me|with|this)"
    r"|redacted|insert[_-]?(?:your|here)|secret[_-]?here",
    re.IGNORECASE,
)
_SHORT_PLACEHOLDER_WORDS = re.compile(
    r"your[_-]|your(?:own|api|key|token|secret|pass|user|access|client)|dummy|fake|mock|todo"
    r"|fixme",
    re.IGNORECASE,
)
_SHORT_WORD_MAX_CHARS = 128
# Filler that marks an elided or masked value even inside a long blob.
_PLACEHOLDER_MARKS = re.compile(r"x{4,}|X{4,}|\*{3,}|\.{3}|…|•{3,}|<[^<>]*>|\[[a-z _-]*\]")
_SEQUENCES = (
    "abcdefgh",
    "12345678",
    "qwertyui",
    "asdfghjk",
    "01234567",
    "98765432",
    "a1b2c3",
    "1a2b3c",
    "abcd1234",
    "1234abcd",
)

# Template and reference syntax: the value names a secret held elsewhere.
_REFERENCE = re.compile(
    r"\$\{|\$\(|\{\{|\}\}|\{%|%\(|%[sdv]\b|#\{|<%|@\{|\[\[|\$[A-Za-z_]|^!|^[&*][A-Za-z_]|"
    r"\{(?:[A-Za-z_][^{}]{0,80}|\d+(?::[^{}]*)?)\}|"
    r"^(?:ENC\[|vault:|ref\+|op://|sm://|arn:|urn:|env:|file:|secret:|awssm|gcpsm|azkv)"
    r"|projects/[^/]+/secrets/|keyvault|secretkeyref|valuefrom|process\.env|os\.environ"
    r"|os\.getenv|getenv\(|system\.getenv",
    re.IGNORECASE,
)
_PASSWORD_HASH = re.compile(
    r"^(?:\$(?:2[abxy]?|argon2(?:id|i|d)|[156]|y|gy|7|scrypt|pbkdf2[\w-]*)\$"
    r"|\{(?:SSHA|SHA|SSHA256|SSHA512|CRYPT|PBKDF2[\w-]*)\}|pbkdf2_sha\d+\$|sha\d+\$)"
)
_DOTTED_IDENTIFIER = re.compile(r"^[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+(?:\(\))?$")
_CALL = re.compile(r"^[A-Za-z_][\w.]*\(")
_PATH = re.compile(
    r"^(?:/|\./|\.\./|~/|[A-Za-z]:\\)|\.(?:pem|key|crt|cer|p12|pfx|jks|json|ya?ml|txt|env|pub)$",
    re.IGNORECASE,
)
_WORDS_ONLY = re.compile(r"^[a-z]+(?:[-_. /][a-z]+)*$", re.IGNORECASE)


def word_set(words: str) -> frozenset[str]:
    """A set written as a whitespace-separated list."""
    return frozenset(words.split())


_DUMMY_VALUES = word_set(
    """
    password passwd pass passphrase secret secrets token apikey api_key key value none null
    nil true false yes no undefined empty default string str bytes required optional n/a na
    tbd unset unknown admin root user username guest foo bar baz qux qwerty letmein hunter2
    welcome welcome1 abc123 123456 1234567 12345678 123456789 password1 password123
    secret123 mysecret mypassword mytoken supersecret topsecret s3cr3t p@ssw0rd passw0rd tiger
    """
)


def shannon_entropy(value: str) -> float:
    """Bits of entropy per character of the value's own character distribution."""
    if not value:
        return 0.0
    length = len(value)
    return -sum(n / length * math.log2(n / length) for n in Counter(value).values())


def is_public_example(value: str) -> bool:
    """A credential published by its vendor as an example (see PUBLIC_EXAMPLES)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest() in PUBLIC_EXAMPLES


def is_placeholder(value: str) -> bool:
    """Documentation filler: `example`, `xxxx`, `<your-token>`, `***`, sequences, or a value
    with almost no variety of characters."""
    if (
        _PLACEHOLDER_MARKS.search(value)
        or _LONG_PLACEHOLDER_WORDS.search(value)
        or is_public_example(value)
    ):
        return True
    if len(value) <= _SHORT_WORD_MAX_CHARS and _SHORT_PLACEHOLDER_WORDS.search(value):
        return True
    lowered = value.lower()
    if any(seq in lowered for seq in _SEQUENCES):
        return True
    return len(set(value)) < min(6, max(2, len(value) // 3))


def is_reference(value: str) -> bool:
    """A template, variable, secret-manager reference, code expression or file path."""
    return bool(
        _REFERENCE.search(value)
        or _DOTTED_IDENTIFIER.match(value)
        or _CALL.match(value)
        or _PATH.search(value)
        or "://" in value
    )


def is_dummy(value: str) -> bool:
    """An obvious test or default value: `password`, `changeme`, anything saying `test`."""
    lowered = value.lower()
    return lowered in _DUMMY_VALUES or "test" in lowered or is_placeholder(value)


def has_token_shape(value: str, min_length: int, min_entropy: float) -> bool:
    """Long enough, varied enough, and not a run of plain words."""
    return (
        len(value) >= min_length
        and shannon_entropy(value) >= min_entropy
        and not _WORDS_ONLY.match(value)
    )


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def is_uuid(value: str) -> bool:
    """Identifiers, request and idempotency tokens: UUID-shaped values are rarely secrets."""
    return bool(_UUID.match(value))


def is_password_hash(value: str) -> bool:
    """A crypt/bcrypt/argon2/PBKDF2/LDAP password hash: verifies a password, is not one."""
    return bool(_PASSWORD_HASH.match(value))
