"""Kubernetes Secret `data:` values, decoded before they are scanned (issue 15, class 16).

Base64 hides what a Secret holds from every rule but the few that know its base64 prefix:
a service-account JSON, a connection string, a key with a blank line before its BEGIN line.
The values under `data:` of a `kind: Secret` document, on one line or wrapped over a block
scalar, are decoded here so that the scanner judges the text they stand for, at the value's
line. Decoding is bounded: at most `MAX_VALUES` values of at most `MAX_VALUE_CHARS` each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from c4guard.secrets.formats import decode_base64_text
from c4guard.secrets.scanner import SecretMatch, scan_text

MAX_VALUES = 1000
MAX_VALUE_CHARS = 1 << 20
_SECRET_KIND = re.compile(r"^kind:\s*[\"']?Secret[\"']?\s*$", re.MULTILINE)
_DATA = re.compile(r"^(?P<indent>[ \t]*)data:\s*(?:#.*)?$")
_ENTRY = re.compile(
    r"^(?P<indent>[ \t]+)[\"']?[A-Za-z0-9_.-]+[\"']?:[ \t]*"
    r"(?:(?P<block>[|>][-+]?)|[\"']?(?P<value>[A-Za-z0-9+/=]+)[\"']?)?[ \t]*(?:#.*)?$"
)
_BASE64_LINE = re.compile(r"^[ \t]*(?P<chunk>[A-Za-z0-9+/=]+)[ \t]*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _block(lines: list[str], start: int, parent: int) -> tuple[str, int]:
    """The base64 chunks of a block scalar that starts after line `start`."""
    chunks, index = [], start + 1
    while index < len(lines):
        line = lines[index]
        if line.strip() and _indent(line) <= parent:
            break
        chunk = _BASE64_LINE.match(line)
        if line.strip() and chunk is None:
            break
        if chunk is not None:
            chunks.append(chunk.group("chunk"))
        index += 1
    return "".join(chunks), index


def _data_values(lines: list[str], start: int, indent: int) -> Iterator[tuple[int, str]]:
    """(1-based line, base64 value) of each entry under the `data:` line `start`."""
    index = start + 1
    while index < len(lines):
        line = lines[index]
        if line.strip() and _indent(line) <= indent:
            return
        entry = _ENTRY.match(line)
        if entry is not None and entry.group("block"):
            value, after = _block(lines, index, _indent(line))
            yield index + 2, value
            index = after
            continue
        if entry is not None and entry.group("value"):
            yield index + 1, entry.group("value")
        index += 1


def decoded_secret_data(text: str) -> Iterator[tuple[int, str]]:
    """(line, decoded text) of each base64 value under `data:` of a Kubernetes Secret."""
    if _SECRET_KIND.search(text) is None:
        return
    lines = text.splitlines()
    count = 0
    for number, line in enumerate(lines):
        data = _DATA.match(line)
        if data is None:
            continue
        for value_line, value in _data_values(lines, number, len(data.group("indent"))):
            count += 1
            if count > MAX_VALUES:
                return
            if len(value) > MAX_VALUE_CHARS:
                continue
            decoded = decode_base64_text(value)
            if decoded is not None and decoded.strip():
                yield value_line, decoded


def unique(matches: Iterable[SecretMatch]) -> list[SecretMatch]:
    """One match per secret: the same value found twice in a file (a bundle repeating a
    string, a Secret value found both encoded and decoded) is one finding, the first one
    given (matches in the text come before those in decoded values)."""
    seen: set[str] = set()
    kept = []
    for match in matches:
        if match.fingerprint not in seen:
            seen.add(match.fingerprint)
            kept.append(match)
    return sorted(kept, key=lambda m: (m.line, m.column))


def scan_with_secret_data(text: str, path: str) -> list[SecretMatch]:
    """The secrets of a text and of the decoded `data:` values of its Kubernetes Secrets
    (those reported at the value's line)."""
    found = scan_text(text, path)
    for line, decoded in decoded_secret_data(text):
        found.extend(replace(m, line=line, column=1) for m in scan_text(decoded, path))
    return unique(found)
