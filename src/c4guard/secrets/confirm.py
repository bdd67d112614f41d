"""Confirmations of the specific rules: checksums, structure and nearby context."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from c4guard.secrets import formats
from c4guard.secrets.rule import Context
from c4guard.secrets.values import has_token_shape, is_dummy, is_reference, word_set

_AWS_KEY_ID = re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Za-z0-9])")
_AWS_SECRET_NAME = re.compile(r"(?i)secret[_-]?access[_-]?key|aws[_-]?secret|secret[_-]?key")
AWS_PAIR_WINDOW = 400
AWS_SECRET_CHARS = 40


def mixed_case(match: re.Match[str], secret: str, ctx: Context) -> bool:
    return any(c.isupper() for c in secret) and any(c.islower() for c in secret)


def aws_secret_key(match: re.Match[str], secret: str, ctx: Context) -> bool:
    """A 40-character base64 value is an AWS secret key when it is assigned to a
    secret-key name, or when an access key ID is within a few lines."""
    if len(secret) != AWS_SECRET_CHARS or "=" in secret:
        return False
    if not (mixed_case(match, secret, ctx) and any(c.isdigit() for c in secret)):
        return False
    if _AWS_SECRET_NAME.search(ctx.line_before(match.start())):
        return True
    window = ctx.text[max(0, match.start() - AWS_PAIR_WINDOW) : match.end() + AWS_PAIR_WINDOW]
    return bool(_AWS_KEY_ID.search(window))


def checksum(match: re.Match[str], secret: str, ctx: Context) -> bool:
    return formats.has_valid_checksum(secret)


def private_key(match: re.Match[str], secret: str, ctx: Context) -> bool:
    return formats.is_private_key_block(match.group("kind"), secret)


def service_account(match: re.Match[str], secret: str, ctx: Context) -> bool:
    return ctx.is_service_account_json and private_key(match, secret, ctx)


_WHITESPACE = re.compile(r"\s+")


def encoded_private_key(match: re.Match[str], secret: str, ctx: Context) -> bool:
    return formats.encoded_private_key_body(_WHITESPACE.sub("", secret)) is not None


def encoded_key_body(secret: str) -> str:
    """Normalise base64 of a PEM key (wrapped over lines or not) to the key's own body, so
    all its spellings share a fingerprint."""
    joined = _WHITESPACE.sub("", secret)
    body = formats.encoded_private_key_body(joined)
    return joined if body is None else formats.pem_body_base64(body)


_SAS_VERSION = re.compile(r"[?&]sv=\d{4}-\d{2}-\d{2}")


def sas_token(match: re.Match[str], secret: str, ctx: Context) -> bool:
    return bool(_SAS_VERSION.search(ctx.line_of(match.start())))


def jwt(match: re.Match[str], secret: str, ctx: Context) -> bool:
    return formats.is_signed_jwt(secret)


def literal_password(value: str) -> bool:
    """A password that is written out: not a reference, not a dummy, not a number."""
    return not (is_reference(value) or is_dummy(value) or value.isdigit())


def password_value(match: re.Match[str], secret: str, ctx: Context) -> bool:
    return not (ctx.is_bundle or ctx.is_test_file) and literal_password(secret)


DATABASE_SCHEMES = word_set(
    """postgres postgresql mysql mariadb mongodb redis rediss amqp amqps mssql sqlserver oracle
    cockroachdb clickhouse nats kafka mqtt mqtts neo4j bolt cassandra couchdb memcached
    elasticsearch opensearch ldap ldaps ftp ftps sftp smtp smtps snowflake trino presto vertica
    db2 influxdb questdb timescaledb"""
)
ENTROPY_GATED_SCHEMES = frozenset({"http", "https", "git", "ssh", "svn", "ws", "wss"})
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+.-")
_MAX_SCHEME_CHARS = 32


def url_scheme(lowered: str, colon: int) -> str:
    """The URL scheme ending at `colon` (the offset of `://`), read backwards."""
    start = colon
    while start > 0 and colon - start < _MAX_SCHEME_CHARS and lowered[start - 1] in _SCHEME_CHARS:
        start -= 1
    return lowered[start:colon]


def url_password(match: re.Match[str], secret: str, ctx: Context) -> bool:
    """`scheme://user:password@host`: any literal password for database and broker
    schemes; for web and VCS URLs only a token-like one (docs are full of `user:pass@`)."""
    if ctx.is_bundle or ctx.is_test_file:
        return False
    scheme = url_scheme(ctx.lowered, match.start())
    base = scheme.split("+", 1)[0]
    if secret == ctx.group(match, "user") or not literal_password(secret):
        return False
    if base in ENTROPY_GATED_SCHEMES:
        return has_token_shape(secret, 8, 3.0)
    return base in DATABASE_SCHEMES


def docker_auth(match: re.Match[str], secret: str, ctx: Context) -> bool:
    password = formats.docker_auth_password(secret)
    return password is not None and literal_password(password)


def encoded_docker_config(match: re.Match[str], secret: str, ctx: Context) -> bool:
    return any(literal_password(p) for p in formats.encoded_docker_config_passwords(secret))


def npmrc_token(match: re.Match[str], secret: str, ctx: Context) -> bool:
    """`_authToken=` scoped to a registry (`//host/:_authToken=`) or in an .npmrc/.yarnrc."""
    in_rc_file = PurePosixPath(ctx.path).name.lstrip(".").startswith(("npmrc", "yarnrc"))
    scoped = match.group("scope") is not None
    return (in_rc_file or scoped) and not (is_reference(secret) or is_dummy(secret))
