"""Does a variable's name say it holds a secret? The name heuristic that build files
(Dockerfile ARG/ENV, compose environment, CI variables) are judged by.

Modelled on BuildKit's `SecretsUsedInArgOrEnv` rule: a name is split into words
(`HF_TOKEN` -> hf, token; `openaiApiKey` -> openai, api, key) and holds a secret when one
word is a secret word, unless a word says it is a location or an identifier of the secret
(`TOKEN_FILE`, `KEY_ID`, `PUBLIC_KEY`) rather than the secret itself.
"""

from __future__ import annotations

import itertools
import re

SECRET_WORDS = frozenset(
    {
        "apikey",
        "auth",
        "credential",
        "credentials",
        "key",
        "password",
        "pass",
        "passwd",
        "pword",
        "secret",
        "token",
        "privatekey",
        "accesskey",
        "passphrase",
        "dsn",
    }
)
NOT_SECRET_WORDS = frozenset(
    {
        "file",
        "path",
        "dir",
        "directory",
        "name",
        "url",
        "uri",
        "host",
        "port",
        "endpoint",
        "id",
        "type",
        "length",
        "size",
        "public",
        "pub",
        "gpg",
        "fingerprint",
        "enabled",
        "enable",
        "required",
        "mode",
        "method",
        "header",
        "prefix",
        "expiry",
        "ttl",
        "timeout",
        "algorithm",
        "issuer",
        "audience",
        "server",
        "provider",
        "policy",
        "version",
        "location",
        "ref",
        "kind",
        "env",
        "cache",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def name_words(name: str) -> list[str]:
    """`HF_TOKEN` -> [hf, token]; `openaiApiKey` -> [openai, api, key]."""
    return [w.lower() for part in _SPLIT.split(name) for w in _CAMEL.split(part) if w]


def is_secret_name(name: str) -> bool:
    """True for names such as HF_TOKEN, OPENAI_API_KEY, DB_PASSWORD, aws_secret_access_key."""
    found = name_words(name)
    if not found or NOT_SECRET_WORDS.intersection(found):
        return False
    joined = {a + b for a, b in itertools.pairwise(found)}
    return bool(SECRET_WORDS.intersection(found) or SECRET_WORDS.intersection(joined))
