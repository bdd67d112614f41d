"""The errors c4guard raises and the exit codes of its commands (DESIGN.md, "Command-line
contract").

Every error c4guard raises derives from `C4GuardError`: a message and, where known, the file
and line it is about. Under it:

- `InvalidInput`: something c4guard reads (a file, a registry answer, an admission review,
  an audit record) is malformed, too large or unreadable; a scan records it and goes on.
- `UsageError`: the command line asks for something c4guard cannot do.
- `ConfigError`: a configuration, policy or key file cannot be used.
- `ServiceError`: a system c4guard talks to (a registry, a database, a cluster, the GPU
  driver) cannot be used.

An error that reaches the command line becomes `exit_code` (2 unless a class says
otherwise) with `c4guard: <render()>` on standard error, in one place (`c4guard.cli`).
"""

from __future__ import annotations

EXIT_OK = 0  # the level is met, the decision is allow
EXIT_FINDINGS = 1  # a requirement within the level fails, an input was unreadable, deny
EXIT_USAGE = 2  # usage, configuration or environment error; a scan that read nothing


class C4GuardError(Exception):
    """An error c4guard reports: a message, and the file and line it is about when known."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None):
        self.message = message
        self.file = file
        self.line = line
        super().__init__(self.located())

    def located(self) -> str:
        """`file:line: message` (`file: message` without a line; the message alone without
        a file)."""
        if self.file is None:
            return self.message
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"

    def render(self) -> str:
        """The text the command line prints after `c4guard: `."""
        return str(self)


class InvalidInput(C4GuardError):
    """Something c4guard reads is malformed, too large or unreadable."""


class UsageError(C4GuardError):
    """The command line asks for something c4guard cannot do."""


class ConfigError(C4GuardError):
    """A configuration, policy or key file cannot be used; every message names file, line
    and key."""

    def __init__(
        self, messages: list[str] | str, *, file: str | None = None, line: int | None = None
    ):
        parts = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(parts), file=file, line=line)
        self.messages = [self.located()] if file is not None else parts

    def render(self) -> str:
        return "configuration error:\n  " + "\n  ".join(self.messages)


class ServiceError(C4GuardError):
    """A system c4guard talks to (registry, database, cluster, driver) cannot be used."""
