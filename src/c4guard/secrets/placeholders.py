"""One placeholder rule for every check (issue 15, class 3).

A placeholder is a value that stands in for a secret without being one: template and
reference syntax that a tool fills in later (`${VAR}`, `$(VAR)`, `{{ .Values.x }}`,
`%{ x }`, `<your-token>`), filler words (`dummy`, `changeme`, `example`, `placeholder`,
`your-…`, `FILLED BY THE OPERATOR`), masks (`xxxx`, `***`, `…`), keyboard and counting
sequences (`12345`, `abcdef`, `qwerty`), values with almost no variety of characters, and
credentials their vendors publish as examples. The secret scanner, the literal-secret checks
of Kubernetes, Terraform, compose and CI all ask `is_placeholder`, so a value is judged the
same way wherever it is written.
"""

from __future__ import annotations

import hashlib
import re

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

# Syntax a templating tool or shell replaces before the value is used.
TEMPLATE = re.compile(
    r"\$\{[^{}]*\}|\$\([^()]*\)|\{\{.*?\}\}|%\{[^{}]*\}|\$[A-Za-z_][A-Za-z0-9_]*\b"
    r"|^<[^<>]+>$|<(?:your|my|the|insert|enter|replace|add|put)[^<>]*>",
    re.IGNORECASE,
)
# Words that mark filler. Long ones count anywhere; the short ones only in values up to
# `SHORT_WORD_MAX_CHARS`, since in a long blob (a key body, a certificate) four or five
# letters spell a word by chance.
LONG_WORDS = re.compile(
    r"example|sample|placeholder|changeme|change[_-]me|replace[_-]?(?:me|with|this)"
    r"|redacted|insert[_-]?(?:your|here)|secret[_-]?here|filled[_ -]by",
    re.IGNORECASE,
)
SHORT_WORDS = re.compile(
    r"your[_-]|your(?:own|api|key|token|secret|pass|user|access|client)|dummy|fake|mock|todo"
    r"|fixme",
    re.IGNORECASE,
)
SHORT_WORD_MAX_CHARS = 128
# Filler that marks an elided or masked value even inside a long blob.
MASKS = re.compile(r"x{4,}|X{4,}|\*{3,}|\.{3}|…|•{3,}|<[^<>]*>|\[[a-z _-]*\]")
SEQUENCES = (
    "abcdefgh",
    "12345",
    "qwerty",
    "asdfghjk",
    "01234567",
    "98765432",
    "a1b2c3",
    "1a2b3c",
    "abcd1234",
    "1234abcd",
)


def is_public_example(value: str) -> bool:
    """A credential published by its vendor as an example (see PUBLIC_EXAMPLES)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest() in PUBLIC_EXAMPLES


def is_template(value: str) -> bool:
    """Template or variable syntax a tool fills in: `${VAR}`, `{{ x }}`, `<your-key>`."""
    return TEMPLATE.search(value) is not None


def is_placeholder(value: str) -> bool:
    """A value that stands in for a secret (see the module's docstring)."""
    text = value.strip()
    if not text:
        return True
    if MASKS.search(text) or LONG_WORDS.search(text) or is_template(text):
        return True
    if is_public_example(text):
        return True
    if len(text) <= SHORT_WORD_MAX_CHARS and SHORT_WORDS.search(text):
        return True
    lowered = text.lower()
    if any(sequence in lowered for sequence in SEQUENCES):
        return True
    return len(set(text)) < min(6, max(2, len(text) // 3))


# In a name or reference (an image, a namespace) the words that mark filler are fewer:
# `google-samples` and `registry.example.com` name real or documented things.
REFERENCE_WORDS = re.compile(
    r"filled[_ -]by|your[_-]|changeme|change[_-]me|placeholder|replace[_-]?me|dummy|\bfake\b"
    r"|\btodo\b",
    re.IGNORECASE,
)


def is_placeholder_reference(value: str) -> bool:
    """A name or reference that a tool or person fills in later: template syntax, spaces,
    or filler words (`FILLED BY THE OPERATOR`, `your-image`, `app:dummy`)."""
    text = value.strip()
    return (
        not text
        or is_template(text)
        or any(c.isspace() for c in text)
        or REFERENCE_WORDS.search(text) is not None
    )
