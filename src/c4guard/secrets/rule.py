"""What a detection rule is, and what it sees of the text it runs on."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath

from c4guard.secrets.values import word_set

# Source-code files: an assignment there only counts when its value is a string literal.
CODE_SUFFIXES = word_set(
    ".py .pyi .ipynb .js .jsx .mjs .cjs .ts .tsx .go .java .kt .kts .scala .rb .rs .c .h .cc"
    " .cpp .hpp .cs .php .swift .m .mm .lua .pl .r .jl .dart .groovy .gradle"
)

# Overlapping matches: the higher priority wins (a service-account JSON over the PEM key
# inside it, any specific token over the generic assignment that holds it).
GENERIC = 0
SPECIFIC = 10
STRUCTURED_KEY = 15
SERVICE_ACCOUNT = 20

WORD_CHARS = frozenset(string.ascii_letters + string.digits + "_")
TOKEN_CHARS = WORD_CHARS | {"-"}
BASE64_CHARS = frozenset(string.ascii_letters + string.digits + "+/")


_SERVICE_ACCOUNT_TYPE = re.compile(r'"type"\s*:\s*"service_account"')
# Bundled or minified JavaScript: a build output, where `password=` and `://a:b@` are code.
BUNDLE_SUFFIXES = word_set(".js .mjs .cjs")
BUNDLE_LINE_CHARS = 1000
# Test sources: literals there are fixtures, not production secrets.
_TEST_FILE = re.compile(
    r"(?:^|/)(?:test_[^/]+\.py|[^/]+_test\.(?:py|go)|[^/]+\.(?:test|spec)\.[jt]sx?|conftest\.py)$"
)


@dataclass(frozen=True)
class Context:
    """The text a rule runs on. `lowered` is the text in lower case with the same offsets:
    case-insensitive rules search it, because Python's regex engine is many times slower
    with IGNORECASE. Facts about the whole text are computed once (cached properties), so
    that confirming many matches stays linear."""

    text: str
    path: str
    lowered: str

    @cached_property
    def is_code(self) -> bool:
        return PurePosixPath(self.path).suffix.lower() in CODE_SUFFIXES

    @cached_property
    def is_bundle(self) -> bool:
        """Minified or bundled JavaScript (`.min.js`, or a line over 1000 characters)."""
        name = PurePosixPath(self.path).name.lower()
        if PurePosixPath(name).suffix not in BUNDLE_SUFFIXES:
            return False
        if ".min." in name or ".bundle." in name:
            return True
        return any(len(line) > BUNDLE_LINE_CHARS for line in self.text.splitlines())

    @cached_property
    def is_test_file(self) -> bool:
        """A test source (`test_*.py`, `*_test.go`, `*.spec.ts`): its literals are fixtures."""
        return _TEST_FILE.search(self.path.replace("\\", "/")) is not None

    @cached_property
    def is_sealed_secret(self) -> bool:
        """A Bitnami SealedSecret: ciphertext only the cluster can decrypt, made to be committed."""
        return "kind: sealedsecret" in self.lowered

    @cached_property
    def is_service_account_json(self) -> bool:
        return _SERVICE_ACCOUNT_TYPE.search(self.text) is not None

    def group(self, match: re.Match[str], name: str) -> str | None:
        """A group of a match, read from the original text (the match may be on `lowered`)."""
        start, end = match.span(name)
        return None if start < 0 else self.text[start:end]

    def line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1

    def line_of(self, offset: int) -> str:
        """The whole line holding `offset`."""
        end = self.text.find("\n", offset)
        return self.text[self.line_start(offset) : end if end >= 0 else len(self.text)]

    def line_before(self, offset: int) -> str:
        """The part of the line before `offset`."""
        return self.text[self.line_start(offset) : offset]


# A rule's own confirmation: (the match, the secret as matched, the context) -> keep?
Confirm = Callable[[re.Match[str], str, Context], bool]


def always(match: re.Match[str], secret: str, ctx: Context) -> bool:
    return True


@dataclass(frozen=True, slots=True)
class Rule:
    """One credential format. The rule runs only when one of its `keywords` occurs in the
    lowered text, reports the first of `secret_groups` that matched, and keeps a match
    that passes the common filters (entropy, placeholders) and `confirm`."""

    id: str
    title: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...]
    confirm: Confirm = always
    min_entropy: float = 0.0
    key_material: bool = False
    priority: int = SPECIFIC
    secret_groups: tuple[str, ...] = ("secret",)
    # Search `Context.lowered` (the pattern is then written in lower case).
    on_lowered: bool = False
    # Characters that must not come right before the match: a left boundary checked in code,
    # because a leading look-behind stops the regex engine's fast literal search.
    not_after: frozenset[str] = frozenset()
    # Maps the matched text to the canonical secret, so that one secret keeps one
    # fingerprint whatever its encoding (key bodies become their bare base64).
    normalize: Callable[[str], str] | None = None

    def secret_span(self, match: re.Match[str]) -> tuple[int, int] | None:
        for name in self.secret_groups:
            if name in match.re.groupindex and match.group(name) is not None:
                return match.span(name)
        return None


def prefixed(
    rule_id: str,
    title: str,
    token: str,
    keywords: tuple[str, ...],
    entropy: float = 3.5,
    confirm: Confirm = always,
) -> Rule:
    """A token recognisable by its own prefix, delimited on both sides."""
    return Rule(
        rule_id,
        title,
        re.compile(rf"(?P<secret>{token})(?![A-Za-z0-9_-])"),
        keywords,
        confirm,
        min_entropy=entropy,
        not_after=TOKEN_CHARS,
    )
