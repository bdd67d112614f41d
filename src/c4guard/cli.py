"""The `c4guard` command line."""

from __future__ import annotations

import click

from c4guard import __version__
from c4guard.audit.cli import audit


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="c4guard")
def main() -> None:
    """Verify AI infrastructure against OWASP AISVS chapter C4."""


main.add_command(audit)
