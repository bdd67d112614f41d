"""`c4guard audit`: keys, checkpoints, listing, proofs, verification and export."""

from __future__ import annotations

import base64
import json
import sys
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from c4guard.audit.checkpoint import CheckpointError
from c4guard.audit.events import Entry, EventError, decode_entry
from c4guard.audit.export import verify_export, write_export
from c4guard.audit.keys import (
    KeyFileError,
    default_key_name,
    default_signing_key,
    load_signer,
    load_verifiers,
    public_key_path,
    write_key_pair,
)
from c4guard.audit.merkle import leaf_hash
from c4guard.audit.note import NoteError, Signer, Verifier
from c4guard.audit.store import AuditError
from c4guard.audit.trail import Trail, open_trail
from c4guard.audit.verify import VerifyReport, verify_trail
from c4guard.errors import EXIT_FINDINGS, EXIT_OK, ConfigError, InvalidInput, UsageError

BRIEF_CHARS = 100


class TrailBroken(InvalidInput):
    """The trail opened but an entry or checkpoint in it is broken: exit 1, like a failed
    verification."""

    exit_code = EXIT_FINDINGS


db_option = click.option(
    "--db",
    "location",
    envvar="C4GUARD_AUDIT_DB",
    metavar="PATH|URL",
    help="SQLite file or postgresql:// URL [env C4GUARD_AUDIT_DB; default: audit.db in the"
    " state directory].",
)
key_file = click.Path(dir_okay=False, path_type=Path)


@contextmanager
def _opened(location: str | None, create: bool = False) -> Iterator[Trail]:
    trail = open_trail(location, create=create)  # AuditError: exit 2
    try:
        with trail:
            yield trail
    except (AuditError, EventError, CheckpointError) as exc:
        raise TrailBroken(str(exc)) from exc


def _verifiers(keys: tuple[Path, ...]) -> list[Verifier]:
    if not keys:
        default = public_key_path(default_signing_key())
        keys = (default,) if default.exists() else ()
    return load_verifiers(list(keys))  # KeyFileError: exit 2


@click.group("audit")
def audit() -> None:
    """The tamper-evident audit trail of assessments, verdicts and gate decisions."""


@audit.command()
@click.option(
    "--name",
    default=default_key_name,
    show_default="<host>/c4guard-audit",
    help="Key name, shown on every signature.",
)
@click.option(
    "--out",
    type=key_file,
    default=None,
    help="Private key file (default: audit-signing.key in the state directory);"
    " the public key goes beside it with .pub.",
)
def keygen(name: str, out: Path | None) -> None:
    """Create an Ed25519 checkpoint signing key (written 0600) and its public key."""
    private = out or default_signing_key()
    try:
        public = write_key_pair(Signer.generate(name), private)
    except NoteError as exc:
        raise UsageError(str(exc)) from exc
    click.echo(f"signing key: {private}")
    click.echo(f"public key:  {public}")
    click.echo(public.read_text().strip())


@audit.command()
@db_option
@click.option("--origin", help="The log's name in its checkpoints (default: generated).")
def init(location: str | None, origin: str | None) -> None:
    """Create the trail's tables and triggers (as the database owner, for PostgreSQL)."""
    with open_trail(location, create=True, origin=origin) as trail:
        click.echo(f"audit trail {trail.description}: log {trail.origin}, {trail.size()} entries")


def _brief(payload: dict[str, Any]) -> str:
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= BRIEF_CHARS else text[: BRIEF_CHARS - 1] + "…"


@audit.command("log")
@db_option
@click.option(
    "--limit",
    "-n",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Show the latest N entries.",
)
@click.option("--kind", help="Only entries of this kind (reads the whole log).")
@click.option("--json", "as_json", is_flag=True, help="One canonical JSON entry per line.")
def log_command(location: str | None, limit: int, kind: str | None, as_json: bool) -> None:
    """List the latest entries, oldest first."""
    with _opened(location) as trail:
        size = trail.size()
        start = 0 if kind else max(0, size - limit)
        latest: deque[tuple[Entry, bytes]] = deque(maxlen=limit)
        for _, data in trail.entries(start, size):
            entry = decode_entry(data)
            if not kind or entry.kind == kind:
                latest.append((entry, data))
        for entry, data in latest:
            if as_json:
                click.echo(data.decode())
            else:
                click.echo(
                    f"{entry.index:>8}  {entry.time}  {entry.kind:<17} {entry.actor}  "
                    f"{_brief(entry.payload)}"
                )


@audit.command()
@db_option
@click.argument("index", type=click.IntRange(min=0))
def show(location: str | None, index: int) -> None:
    """Show entry INDEX in full, with its leaf hash."""
    with _opened(location) as trail:
        data = trail.entry_data(index)
        click.echo(json.dumps(json.loads(data), indent=2, ensure_ascii=False))
        click.echo(f"entry {index} of {trail.size()}, leaf hash {leaf_hash(data).hex()}")


def _print_report(report: VerifyReport, what: str) -> None:
    for problem in report.problems:
        click.echo(f"FAIL  {problem}")
    if report.problems_left_out:
        click.echo(f"FAIL  … and {report.problems_left_out} more problems")
    for note in report.notes:
        click.echo(f"note  {note}")
    verdict = "OK" if report.ok else "TAMPERED OR DAMAGED"
    click.echo(
        f"{verdict}: {what}: {report.entries} entries, root {report.root.hex()},"
        f" {report.checkpoints_verified} signed checkpoints verified"
    )


@audit.command()
@db_option
@click.option(
    "--key",
    "keys",
    type=key_file,
    multiple=True,
    help="Trusted public key file (repeatable; default: the one keygen wrote).",
)
@click.option(
    "--offline", type=click.File("r"), help="Verify an export file instead of a database."
)
@click.option(
    "--against",
    type=click.File("r"),
    help="A signed checkpoint kept elsewhere (a witness's copy) the log must extend.",
)
def verify(location: str | None, keys: tuple[Path, ...], offline: Any, against: Any) -> None:
    """Recompute the tree from every entry and check every signed checkpoint. Exit 1 on
    any sign of tampering."""
    verifiers = _verifiers(keys)
    if offline is not None:
        if against is not None:
            raise UsageError("--offline and --against do not combine")
        report = verify_export(offline, verifiers)
        _print_report(report, f"export {offline.name}")
    else:
        with _opened(location) as trail:
            report = verify_trail(trail, verifiers, against.read() if against else None)
            _print_report(report, trail.description)
    sys.exit(EXIT_OK if report.ok else EXIT_FINDINGS)


@audit.command()
@db_option
@click.argument("index", type=click.IntRange(min=0))
def prove(location: str | None, index: int) -> None:
    """Print the inclusion proof of entry INDEX in the latest checkpoint, as JSON."""
    with _opened(location) as trail:
        proof = trail.inclusion_proof(index)
        click.echo(
            json.dumps(
                {
                    "origin": trail.origin,
                    "index": proof.index,
                    "tree_size": proof.tree_size,
                    "leaf_hash": base64.b64encode(proof.leaf_hash).decode(),
                    "proof": [base64.b64encode(h).decode() for h in proof.hashes],
                    "checkpoint": proof.checkpoint,
                },
                indent=2,
            )
        )


@audit.command()
@db_option
@click.option(
    "--key", type=key_file, default=None, help="Signing key file (default: the one keygen wrote)."
)
def checkpoint(location: str | None, key: Path | None) -> None:
    """Sign the current tree head and store it; print the signed checkpoint."""
    try:
        signer = load_signer(key or default_signing_key())
    except KeyFileError as exc:
        raise ConfigError(f"{exc} (create one with `c4guard audit keygen`)") from exc
    with _opened(location) as trail:
        click.echo(trail.checkpoint(signer), nl=False)


@audit.command()
@db_option
@click.option(
    "--out", "-o", type=click.File("w"), default="-", help="Output file (default: stdout)."
)
def export(location: str | None, out: Any) -> None:
    """Write the log up to its latest checkpoint as JSON Lines with proofs, for
    `c4guard audit verify --offline`."""
    with _opened(location) as trail:
        head = write_export(trail, out)
    click.echo(f"exported {head.size} entries of {head.origin}", err=True)
