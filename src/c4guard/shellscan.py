"""Reading shell text (Dockerfile RUN, CI scripts) for what it does, without running it.

Commands are matched by pattern on logical lines (backslash continuations joined); the
patterns look for the command words, not for any argument's meaning, so they are
conservative heuristics and say so in the findings they lead to.
"""

from __future__ import annotations

import re
from itertools import pairwise
from urllib.parse import urlsplit

_DOWNLOADER = r"(?:curl|wget|iwr|invoke-webrequest|fetch)\b"
_INTERPRETER = (
    r"(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+(?:\S+=\S*\s+)*)?(?:/usr/bin/|/bin/)?"
    r"(?:ba|z|k|da|a|c|tc|fi)?sh\b|(?:sudo\s+)?(?:python[0-9.]*|perl|ruby|node|iex)\b"
)
# `curl … | sh` is found stage by stage (a regex spanning the stages retries from every
# downloader word to the end of the line: quadratic on a long line of them).
_DOWNLOADER_WORD = re.compile(rf"\b{_DOWNLOADER}", re.IGNORECASE)
_STARTS_WITH_INTERPRETER = re.compile(rf"\s*(?:{_INTERPRETER})", re.IGNORECASE)
_COMMAND_SEPARATOR = re.compile(r"[;&\n]")
# `sh -c "$(curl …)"`, `source <(curl …)`
_SHELL_OF_DOWNLOAD = re.compile(
    rf"\b(?:ba|z)?sh\s+(?:-\S+\s+)*[\"']?\$\(\s*{_DOWNLOADER}"
    rf"|(?:\bsource|\.|\b(?:ba|z)?sh)\s+<\(\s*{_DOWNLOADER}",
    re.IGNORECASE,
)
_PACKAGE_INSTALL = re.compile(
    r"\b(?:apt-get|apt|aptitude|yum|dnf|microdnf|zypper|apk|pacman|tdnf)\b[^;&|\n]*"
    r"\b(?:install|add|-S)\b(?P<packages>[^;&|\n]*)",
    re.IGNORECASE,
)
# openssh (Alpine, Arch) and ssh (Debian's metapackage) include the server; openssh-client not.
SSH_SERVER_PACKAGES = re.compile(r"(?<![\w.-])(?:openssh-server|openssh|dropbear|ssh)(?![\w.-])")


_URL = re.compile(r"https?://[^\s|;&)\"']+")
_PLAIN_WORD = re.compile(r"^[\w./=+-]{1,24}$")


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(offset of the first physical line, joined text) for each logical line."""
    result: list[tuple[int, str]] = []
    parts: list[str] = []
    start = 0
    for offset, line in enumerate(text.splitlines()):
        if not parts:
            start = offset
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            continue
        parts.append(line)
        result.append((start, " ".join(p.strip() for p in parts)))
        parts = []
    if parts:
        result.append((start, " ".join(p.strip() for p in parts)))
    return result


def pipes_download_to_shell(text: str) -> str | None:
    """What is piped into a shell unverified (`curl … | sh`): the URL without credentials
    or query, else the downloader; None when nothing is."""
    for _offset, line in logical_lines(text):
        command = _download_into_shell(line)
        if command:
            url = _URL.search(line)
            return safe_url(url[0]) if url else command
    return None


def _download_into_shell(line: str) -> str | None:
    """The downloader (or shell) word of a download run by a shell on `line`, if any."""
    for command in _COMMAND_SEPARATOR.split(line):
        stages = command.split("|")
        for stage, following in pairwise(stages):
            found = _DOWNLOADER_WORD.search(stage)
            if found and _STARTS_WITH_INTERPRETER.match(following):
                return found[0]
    match = _SHELL_OF_DOWNLOAD.search(line)
    return match[0].split()[0] if match else None


def safe_url(url: str) -> str:
    """A URL as findings may show it: no user info, query or fragment (they carry tokens)."""
    parts = urlsplit(url.strip("\"'()"))
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return shorten(f"{parts.scheme}://{host}{port}{parts.path}", 100)


def command_label(text: str) -> str:
    """A short name for a script: its first words that are plain words (flags, names,
    paths), so that a literal credential later on the line never reaches a report."""
    first = text.strip().splitlines()[0] if text.strip() else ""
    label = []
    for word in first.split()[:4]:
        if not _PLAIN_WORD.match(word):
            break
        label.append(word)
    ellipsis = "…" if len(label) < len(first.split()) else ""
    return " ".join(label) + ellipsis if label else "script"


def shorten(text: str, limit: int = 120) -> str:
    """One line of at most `limit` characters, for messages."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def installs_ssh_server(text: str) -> str | None:
    """The SSH server package a package-manager command installs, if any."""
    for _offset, line in logical_lines(text):
        for match in _PACKAGE_INSTALL.finditer(line):
            found = SSH_SERVER_PACKAGES.search(match["packages"])
            if found:
                return found[0]
    return None
