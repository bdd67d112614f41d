"""The generic rule: a secret-named setting (`password`, `secret`, `token`, `api_key`…)
holding a literal value, in assignments, name/value pairs and command-line flags.

Its precision comes from the value filters: references and templates (`${VAR}`,
`{{ .Values.x }}`, `var.x`, `secretKeyRef`), placeholders and test values, password hashes,
paths, plain words, and a minimum length and entropy (lower for passwords, which people
choose, than for tokens, which machines generate). In source code only string literals count.
The patterns run on the lowered text, so they are written in lower case.
"""

from __future__ import annotations

import re

from c4guard.secrets.formats import decode_base64_text
from c4guard.secrets.rule import GENERIC, TOKEN_CHARS, Context, Rule
from c4guard.secrets.values import (
    has_token_shape,
    is_dummy,
    is_password_hash,
    is_reference,
    is_uuid,
)

KEYWORDS = ("pass", "pwd", "secret", "token", "key", "credential")
_NAME = (
    r"pass(?:wd|word|phrase)?|pwd|secret|token|apikey|credentials?"
    r"|(?:api|access|secret|private|auth|signing|encryption|master)[_-]?key"
)
# A value: double-quoted, single-quoted, double-quoted inside a JSON string (notebooks,
# embedded code), or bare (configuration syntax only; in source code a bare value is an
# expression).
_VALUE = (
    r"(?:\"(?P<dq>[^\"\\\r\n]{1,256})\"|'(?P<sq>[^'\\\r\n]{1,256})'"
    r"|\\\"(?P<eq>[^\"\\\r\n]{1,256})\\\"|(?P<bare>[^\s\"'`,;()\[\]{}<>\\]{1,256}))"
)
_VALUE_GROUPS = ("dq", "sq", "eq", "bare")
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_MAX_KEY_CHARS = 64

# Names that end like a secret but are not one: tokenizer special tokens, pagination,
# request and CSRF tokens, public keys, feature switches (`no_password`). Matched on the
# name in snake case (`nextPageToken` -> `next_page_token`).
_NOT_SECRET_NAME = re.compile(
    r"(?:^|[_.-])(?:pad|eos|bos|unk|sep|cls|mask|start|starting|end|special|csrf|xsrf|next"
    r"|page|pagination|continuation|marker|cancel|cancellation|sync|lock|idempotency|client"
    r"|request|change|update|verification|export|import|upload|resume|forward|backward"
    r"|previous|prev|input|output|bearer|max|num|total|count)[_-]?tokens?$"
    r"|(?:^|[_.-])(?:public|pub)[_-]?key$|^(?:no|disable|enable|use|require)[_-]"
)
# Keys that are public by design: hosted-search keys made for browsers (Algolia/DocSearch
# search-only keys) and analytics beacon tokens (Cloudflare Web Analytics, Plausible).
_PUBLIC_KEY_NAME = re.compile(r"search[_-]?(?:only[_-]?)?(?:api[_-]?)?key$")
_PUBLIC_KEY_CONTEXT = re.compile(r"algolia|docsearch|beacon|web[_-]?analytics|plausible")
_PUBLIC_CONTEXT_CHARS = 300
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_PASSWORD_NAME = re.compile(r"(?i)(?:pass(?:wd|word|phrase)?|pwd)$")
_BASE64_VALUE = re.compile(r"^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")

PASSWORD_MIN_CHARS, PASSWORD_MIN_ENTROPY = 8, 2.5
TOKEN_MIN_CHARS, TOKEN_MIN_ENTROPY = 16, 3.2


def _name_span(match: re.Match[str], ctx: Context) -> tuple[int, int]:
    """Where the setting's name is: the `key` group, or the keyword extended backwards
    over name characters."""
    if "key" in match.re.groupindex:
        return match.span("key")
    start, end = match.span("kw")
    while start > 0 and end - start < _MAX_KEY_CHARS and ctx.text[start - 1] in _KEY_CHARS:
        start -= 1
    return start, end


def _snake_case(name: str) -> str:
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def _is_bare(match: re.Match[str]) -> bool:
    return "bare" in match.re.groupindex and match.group("bare") is not None


def _not_a_setting(ctx: Context, name_start: int) -> bool:
    """The name is a variable being expanded (`${DB_PASSWORD:?required}`, `%{token}`) or a
    segment of an identifier (`arn:…:secret:name`, `AWS::ApiGateway::ApiKey`)."""
    return name_start > 0 and ctx.text[name_start - 1] in "{$%:"


def _is_other_word(name: str) -> bool:
    """`pass` alone (a test outcome, a comment) or a word that merely ends in it (`bypass`)."""
    if not name.lower().endswith("pass"):
        return False
    return len(name) == 4 or name[-5].islower()


def _literal_secret(value: str, is_password: bool) -> bool:
    if (
        is_reference(value)
        or is_dummy(value)
        or is_password_hash(value)
        or is_uuid(value)
        or value.isdigit()
        or any(c.isspace() for c in value)  # prose: "The password for the admin user."
    ):
        return False
    if is_password:
        return has_token_shape(value, PASSWORD_MIN_CHARS, PASSWORD_MIN_ENTROPY)
    return has_token_shape(value, TOKEN_MIN_CHARS, TOKEN_MIN_ENTROPY) and _two_classes(value)


def _two_classes(value: str) -> bool:
    classes = (
        any(c.islower() for c in value),
        any(c.isupper() for c in value),
        any(c.isdigit() for c in value),
        any(not c.isalnum() for c in value),
    )
    return sum(classes) >= 2


def _decoded(value: str) -> str | None:
    """The text a base64 value stands for (Kubernetes Secret `data`), when it is one."""
    if not _BASE64_VALUE.match(value):
        return None
    decoded = decode_base64_text(value)
    if decoded is None or not decoded.strip().isprintable():
        return None
    return decoded.strip()


def _not_a_secret_name(name: str) -> bool:
    return bool(_NOT_SECRET_NAME.search(_snake_case(name))) or _is_other_word(name)


def public_by_design(name: str, ctx: Context, offset: int) -> bool:
    """A search-only or analytics key: made to be shipped to browsers, not a secret."""
    if _PUBLIC_KEY_NAME.search(_snake_case(name)):
        return True
    window = ctx.lowered[max(0, offset - _PUBLIC_CONTEXT_CHARS) : offset + 80]
    return _PUBLIC_KEY_CONTEXT.search(window) is not None


def not_production_text(ctx: Context) -> bool:
    """Bundled build output (where assignments are code fragments) and test sources (whose
    literals are fixtures): the generic and connection-string rules do not apply there."""
    return ctx.is_bundle or ctx.is_test_file


def confirm(match: re.Match[str], secret: str, ctx: Context) -> bool:
    start, end = _name_span(match, ctx)
    name = ctx.text[start:end]
    if _not_a_secret_name(name) or _not_a_setting(ctx, start) or ctx.is_sealed_secret:
        return False
    if not_production_text(ctx) or public_by_design(name, ctx, start):
        return False
    if _is_bare(match) and ctx.is_code:
        return False
    is_password = bool(_PASSWORD_NAME.search(name))
    # Base64 (Kubernetes Secret `data`) is judged by what it decodes to as well.
    decoded = _decoded(secret)
    return _literal_secret(secret, is_password) and (
        decoded is None or _literal_secret(decoded, is_password)
    )


def _rule(
    title: str,
    pattern: str,
    keywords: tuple[str, ...] = KEYWORDS,
    groups: tuple[str, ...] = _VALUE_GROUPS,
    not_after: frozenset[str] = frozenset(),
) -> Rule:
    return Rule(
        "generic-secret",
        title,
        re.compile(pattern),
        keywords,
        confirm,
        priority=GENERIC,
        secret_groups=groups,
        on_lowered=True,
        not_after=not_after,
    )


GENERIC_RULES = (
    _rule(
        "Secret-named setting with a literal value",
        rf"(?P<kw>{_NAME})[\"']?\]?[ \t]*(?:=>|:=|[:=])[ \t]*{_VALUE}",
    ),
    _rule(
        "Secret-named environment variable with a literal value",
        rf"name[\"']?[ \t]*[:=][ \t]*[\"']?(?P<key>[a-z0-9_.-]{{0,40}}?(?:{_NAME}))[\"']?"
        rf"[ \t]*,?[ \t]*\r?\n?[ \t]*-?[ \t]*[\"']?value[\"']?[ \t]*[:=][ \t]*{_VALUE}",
    ),
    _rule(
        "Secret-named XML element with a literal value",
        rf"<(?P<key>[a-z0-9_.-]{{0,40}}?(?:{_NAME}))>[ \t]*(?P<bare>[^<>\s]{{1,256}})[ \t]*</",
    ),
    _rule(
        "Credential in an Authorization header",
        r"(?P<key>authorization)[\"']?[ \t]*[:=,][ \t]*[\"']?(?:bearer|token|basic)[ \t]+"
        r"(?P<credential>[a-z0-9._~+/=-]{8,512})",
        ("authorization",),
        ("credential",),
    ),
    _rule(
        "Password in a .netrc entry",
        r"machine[ \t]+\S+\s+(?:login[ \t]+\S+\s+)?(?P<key>password)[ \t]+(?P<bare>\S{1,256})",
        ("machine",),
    ),
    _rule(
        "Secret passed as a command-line flag",
        r"--(?P<key>(?:[a-z]+-){0,3}(?:password|passwd|secret|token|api-key"
        rf"|apikey|access-key|secret-key|client-secret))(?:=|[ \t]+){_VALUE}",
        not_after=TOKEN_CHARS,
    ),
)
