"""The `c4guard` command line (DESIGN.md, "Command-line contract").

Exit codes (`c4guard.errors`): 0 the level is met at `--fail-on` and every input was read;
1 a requirement within the level is at or worse than `--fail-on`, or an input could not be
read; 2 usage or configuration error, or a scan that read nothing it understood.

The commands live in one module per face (`scan`, `live`, `gate`, `supplychain`, `audit`);
the faces' own packages never import the command line. A `C4GuardError` that leaves a
command becomes its exit code here, and only here.
"""

from __future__ import annotations

from typing import Any

import click

from c4guard import __version__
from c4guard.cli.audit import audit
from c4guard.cli.common import FORMATS, exit_code
from c4guard.cli.gate import gate
from c4guard.cli.live import cluster, host
from c4guard.cli.scan import controls, explain, scan
from c4guard.cli.supplychain import attest, verify
from c4guard.errors import C4GuardError

__all__ = ["FORMATS", "exit_code", "main"]


class C4GuardGroup(click.Group):
    """The top-level group: turns a `C4GuardError` into `c4guard: <message>` on standard
    error and the error's exit code."""

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


for _command in (scan, controls, explain, verify, attest, audit, gate, host, cluster):
    main.add_command(_command)
