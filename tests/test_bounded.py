"""Text from untrusted values at a bounded cost: rendering, shell words, shell patterns."""

from __future__ import annotations

import time

from c4guard.bounded import MAX_RENDERED_CHARS, MAX_SHLEX_CHARS, render, split_words
from c4guard.shellscan import pipes_download_to_shell


def test_render_is_str_for_small_values_and_cut_for_large_ones() -> None:
    small = ["a", 1, {"k": [True, None]}, []]
    assert render(small) == str(small)
    assert render("x" * 10) == "x" * 10
    shared = ["w" * 100] * 1000
    huge = [shared] * 1000  # 100 MB as str(); the same list a thousand times
    text = render(huge)
    assert len(text) == MAX_RENDERED_CHARS + 1 and text.endswith("…")


def test_split_words_uses_shell_quoting_and_a_plain_split_past_the_limit() -> None:
    assert split_words("python -c 'print(1)' --flag") == ["python", "-c", "print(1)", "--flag"]
    assert split_words("a 'unbalanced") == ["a", "'unbalanced"]
    long = "x 'y z' " * (MAX_SHLEX_CHARS // 4)
    assert split_words(long)[:3] == ["x", "'y", "z'"]


def test_pipe_to_shell_detection_is_linear_in_the_line_length() -> None:
    assert pipes_download_to_shell("curl -fsSL https://get.example/i.sh | sudo bash") == (
        "https://get.example/i.sh"
    )
    assert pipes_download_to_shell("curl x || sh") is None
    assert pipes_download_to_shell('sh -c "$(wget -qO- https://e.example/x)"') == (
        "https://e.example/x"
    )
    started = time.process_time()
    assert pipes_download_to_shell("curl " * 100_000) is None  # 500 KB: minutes before
    assert time.process_time() - started < 5
