"""`flask --app app backup create | verify PATH | restore PATH` (procedure and schedule: README)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app

from app.services import backup
from app.services.errors import DomainError


@click.group("backup", help="Backups of the database and the material store.")
def command() -> None:
    pass


@command.command("create")
@click.option(
    "--to", "target", type=click.Path(file_okay=False, path_type=Path), help="default: TONGBAN_BACKUP_DIR"
)
def create_cmd(target: Path | None) -> None:
    """Seal the audit trail, snapshot the database, copy the material store, write the checksums."""
    settings = current_app.config["TONGBAN"]
    try:
        result = backup.create_backup(settings.database_url, settings.data_dir, target or settings.backup_dir)
    except DomainError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    db = result.manifest["database"]
    head = db["audit_head"]
    click.echo(f"backup written to {result.path}")
    click.echo(
        f"  {sum(db['tables'].values())} rows in {len(db['tables'])} tables, {len(result.manifest['files'])} files; "
        f"audit head {head['seq']}:{head['hash']}"
    )


@command.command("verify")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def verify_cmd(path: Path) -> None:
    """Recheck every checksum of a backup and that its database can be read."""
    problems = backup.verify_backup(path)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"OK: {path}")


@command.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_cmd(path: Path) -> None:
    """Restore a backup into the configured database, which must be empty, and the data dir."""
    settings = current_app.config["TONGBAN"]
    try:
        manifest = backup.restore_backup(path, settings.database_url, settings.data_dir)
    except DomainError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    head = manifest["database"]["audit_head"]
    click.echo(
        f"restored {path}; now run `flask --app app audit verify --anchor {head['seq']}:{head['hash']}`"
    )
