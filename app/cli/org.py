"""flask --app app org load FILE | show: the organisation (departments, levels, chain)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.services import org
from app.services.errors import DomainError


@click.group("org")
def command() -> None:
    """The organisation: departments with their parent and level."""


@command.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
def load(file: Path | None) -> None:
    """Create or update the departments of FILE (default: data/departments.yaml); checked as a whole."""
    try:
        changed = org.load_departments(None, file)
    except DomainError as exc:
        click.echo(f"error: {exc.message}", err=True)
        for d in exc.details or []:
            click.echo(f"    {d.get('field')}: {d.get('message')}", err=True)
        sys.exit(2)
    click.echo(f"departments changed: {', '.join(changed) or '(none)'}")


@command.command("show")
def show() -> None:
    """Print the tree: code, level, name, chain up to the top."""
    for d in org.departments():
        chain = " → ".join(org.chain(d.code))
        click.echo(f"{d.code}\t{d.level}\t{d.name_zh}\t{chain}")
