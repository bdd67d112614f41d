"""Text made from untrusted values at a bounded cost.

A scanned value may be large and nested (a list of lists from an input): `str()` of it
costs its full size, and shell-like splitting (`shlex`) is a character-by-character
Python loop. These helpers cap both, so no check spends more than a bounded time on one
value, whatever the input.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterator
from typing import Any

MAX_RENDERED_CHARS = 64 * 1024
MAX_SHLEX_CHARS = 64 * 1024
MAX_REMEMBERED_CHARS = 4096  # split_words remembers the words of 512 texts up to this size
_CUT = "…"


def render(value: Any, limit: int = MAX_RENDERED_CHARS) -> str:
    """`str(value)` for a scalar; a nested value rendered piece by piece (Python's list
    and dict notation) and cut at `limit` characters."""
    if not _nested(value):
        return str(value)
    parts: list[str] = []
    size = 0
    stack = [_pieces(value)]
    while stack and size <= limit:
        piece = next(stack[-1], None)
        if piece is None:
            stack.pop()
        elif isinstance(piece, str):
            parts.append(piece)
            size += len(piece)
        else:
            stack.append(_pieces(piece))
    text = "".join(parts)
    return text if size <= limit else text[:limit] + _CUT


def _nested(value: Any) -> bool:
    return isinstance(value, dict | list | tuple)


def _pieces(value: Any) -> Iterator[Any]:
    """The text of a collection in pieces; a nested item comes as itself, to be expanded
    by the caller (so nothing is rendered past the limit)."""
    opening, closing = ("{", "}") if isinstance(value, dict) else ("[", "]")
    yield opening
    items = value.items() if isinstance(value, dict) else ((None, item) for item in value)
    for index, (key, item) in enumerate(items):
        if index:
            yield ", "
        if isinstance(value, dict):
            yield f"{key!r}: "
        yield item if _nested(item) else repr(item)
    yield closing


def split_words(text: str) -> list[str]:
    """Shell-like words (quotes removed); a whitespace split when the quotes do not
    balance or the text is longer than `shlex` may spend time on."""
    if len(text) > MAX_SHLEX_CHARS or _PLAIN_WORDS.fullmatch(text):
        return text.split()
    if len(text) > MAX_REMEMBERED_CHARS:
        return list(_shell_words.__wrapped__(text))
    return list(_shell_words(text))


# Text whose shell words are its whitespace-separated parts: no quote, no escape, and no
# whitespace that `str.split` splits on and `shlex` does not (ASCII only).
_PLAIN_WORDS = re.compile(r"[^\"'\\\x0b\x0c\x1c-\x1f\x80-\U0010ffff]*")


@functools.lru_cache(maxsize=512)
def _shell_words(text: str) -> tuple[str, ...]:
    """`shlex.split` (a Python loop per character), remembered: the same commands recur in
    every render variant and copy of a workload."""
    try:
        return tuple(shlex.split(text, posix=True))
    except ValueError:
        return tuple(text.split())
