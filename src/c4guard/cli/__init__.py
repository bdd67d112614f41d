"""The `c4guard` command line (DESIGN.md, "Command-line contract").

Exit codes (`c4guard.errors`): 0 the level is met at `--fail-on` and every input was read;
1 a requirement within the level is at or worse than `--fail-on`, or an input could not be
read; 2 usage or configuration error, or a scan that read nothing it understood.

The commands live in one module per face (`scan`, `catalog`, `live`, `gate`,
`supplychain`, `audit`); the faces' own packages never import the command line. A command's
module is imported when that command runs (or `--help` lists it), so `c4guard --version`
and `c4guard controls` load neither the checks nor a face. A `C4GuardError` that leaves a
command becomes its exit code here, and only here.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from c4guard import __version__
from c4guard.errors import C4GuardError

__all__ = ["FORMATS", "exit_code", "main"]

# command name -> the module (under c4guard.cli) that defines it
COMMANDS = {
    "scan": "scan",
    "controls": "catalog",
    "explain": "catalog",
    "verify": "supplychain",
    "attest": "supplychain",
    "audit": "audit",
    "gate": "gate",
    "host": "live",
    "cluster": "live",
}


class C4GuardGroup(click.Group):
    """The top-level group: loads a command's module when the command is asked for, and
    turns a `C4GuardError` into `c4guard: <message>` on standard error and the error's exit
    code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        command = getattr(importlib.import_module(f"{__name__}.{module}"), cmd_name)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except C4GuardError as exc:
            click.echo(f"c4guard: {exc.render()}", err=True)
            ctx.exit(exc.exit_code)


@click.group(
    cls=C4GuardGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="c4guard")
def main() -> None:
    """Verify AI infrastructure against OWASP AISVS chapter C4."""


def __getattr__(name: str) -> Any:
    """`FORMATS` and `exit_code` come from `c4guard.cli.common`, loaded on first use."""
    if name in ("FORMATS", "exit_code"):
        return getattr(importlib.import_module(f"{__name__}.common"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
