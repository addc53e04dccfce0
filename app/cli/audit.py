"""`flask --app app audit seal | verify`: the hash chain of the audit trail."""

from __future__ import annotations

import sys

import click

from app.services import audit


@click.group("audit", help="The append-only, hash-chained audit trail.")
def command() -> None:
    pass


@command.command("seal")
def seal_cmd() -> None:
    """Chain every row not yet sealed (the scheduler does this every 10 s) and print the head."""
    sealed = audit.seal()
    report = audit.verify()
    click.echo(f"sealed {sealed} row(s); head {report.head_seq}:{report.head_hash}")


def _anchor(value: str | None) -> tuple[int, str] | None:
    if not value:
        return None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise click.BadParameter("expected SEQ:HASH as printed by `audit seal` or `audit verify`")
    return int(seq), digest.lower()


@command.command("verify")
@click.option("--anchor", help="SEQ:HASH recorded earlier (backup manifest, log): also catches a cut tail")
def verify_cmd(anchor: str | None) -> None:
    """Recompute the chain; exit 1 and name the first broken link if any row was changed or removed."""
    report = audit.verify(_anchor(anchor))
    if report.broken is not None:
        b = report.broken
        where = f"seq {b.seq}" + (f" (audit_event id {b.id})" if b.id is not None else "")
        click.echo(f"BROKEN at {where}: {b.reason}; {report.sealed} row(s) before it are intact", err=True)
        sys.exit(1)
    click.echo(
        f"OK: {report.sealed} sealed row(s) intact, {report.unsealed} not yet sealed; "
        f"head {report.head_seq}:{report.head_hash}"
    )
