"""A test helper for every output format: no secret may appear in what c4guard prints.

    from c4guard.secrets.testing import assert_no_full_secrets
    assert_no_full_secrets(rendered_report, [m.secret for m in matches])

It fails when the text holds a secret whole, or any stretch of it longer than what
redaction shows, in the encodings a report may apply (JSON, HTML/XML, URL, base64). Its
message names the leak by the redacted form, so a failing test does not print the secret.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from urllib.parse import quote

from c4guard.secrets.redaction import redact, shown_prefix

MIN_LEAK_CHARS = 8


def _encodings(secret: str) -> dict[str, str]:
    return {
        "raw": secret,
        "JSON-escaped": json.dumps(secret)[1:-1],
        "HTML-escaped": html.escape(secret),
        "URL-encoded": quote(secret, safe=""),
        "base64": base64.b64encode(secret.encode("utf-8")).decode("ascii"),
    }


def _leak_window(secret: str) -> int:
    """Stretches longer than the redaction's own prefix, and at least 8 characters (shorter
    ones turn up in any text by chance), or the whole secret when it is shorter."""
    return min(len(secret), max(MIN_LEAK_CHARS, len(shown_prefix(secret)) + 1))


def find_leak(text: str, secret: str) -> str | None:
    """How `secret` leaks into `text` ("raw", "JSON-escaped"…), or None."""
    for encoding, form in _encodings(secret).items():
        if encoding == "base64":
            if form in text:  # partial base64 is not aligned: only the whole counts
                return encoding
            continue
        size = _leak_window(form)
        if any(form[i : i + size] in text for i in range(len(form) - size + 1)):
            return encoding
    return None


def assert_no_full_secrets(text: str, secrets: Iterable[str]) -> None:
    """Fail when any of `secrets` (or a long stretch of one) appears in `text`."""
    leaks = [
        f"{redact(secret)} ({encoding})"
        for secret in secrets
        if (encoding := find_leak(text, secret)) is not None
    ]
    if leaks:
        raise AssertionError("secret material in output: " + ", ".join(leaks))
