"""Judging a candidate value: entropy, references and dummy values; placeholders are one
rule for every check (`placeholders.py`).

These filters are what keeps the generic assignment rule precise; the token rules use the
placeholder filter too, so that `hf_xxxx…` or `AKIA…EXAMPLE` in documentation is not a finding.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from c4guard.secrets.placeholders import is_placeholder, is_public_example

__all__ = ["is_placeholder", "is_public_example"]

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
