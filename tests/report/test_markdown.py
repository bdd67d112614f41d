"""Markdown for a PR comment: verdict first, top failures, the rest collapsed."""

from __future__ import annotations

from pathlib import Path

import pytest

from c4guard.report.markdown import MAX_CHARS
from tests.report.conftest import report


def test_summary_top_failures_and_collapsed_details(governed: Path) -> None:
    text = report(str(governed), "--format", "markdown").stdout
    assert text.startswith("## ❌ c4guard: OWASP AISVS C4 — level 3 not met")
    assert "### Top failures" in text
    top = text.split("### Top failures", 1)[1].split("<details>", 1)[0]
    assert top.index("| critical |") < top.index("| high |")
    assert "<details><summary>Requirements (35)</summary>" in text
    assert "Input errors (1)" in text
    assert "**expired**" in text and "**invalid**" in text and "has no reason" in text


def test_hostile_text_is_escaped(governed: Path) -> None:
    text = report(str(governed), "--format", "markdown").stdout
    assert "<img" not in text and "<script>" not in text and "<b>app" not in text
    row = next(line for line in text.splitlines() if "&lt;img" in line)
    assert row.count(" | ") == 5  # the pipe in the name does not open a column


@pytest.mark.slow
def test_fits_a_pr_comment(write, tmp_path: Path) -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: pod-{n}, namespace: ns}}\nspec:\n"
        "  containers: [{{name: app, image: x, securityContext: {{privileged: true}}}}]\n"
    )
    write("pods.yaml", "---\n".join(pod.format(n=n) for n in range(1500)))
    text = report(str(tmp_path), "--format", "markdown").stdout
    assert len(text) <= MAX_CHARS and "more (see the JSON report)" in text
