from __future__ import annotations

import click
from flask import current_app

from app.migrate import current_heads, downgrade, upgrade


@click.group("db", help="Database migrations (Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    upgrade(current_app.config["TONGBAN"].database_url, revision)
    click.echo(f"upgraded to {revision}")


@db_group.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (default: one step)."""
    downgrade(current_app.config["TONGBAN"].database_url, revision)
    click.echo(f"downgraded to {revision}")


@db_group.command("current")
def db_current() -> None:
    """Show the database's current revision."""
    click.echo(", ".join(current_heads(current_app.config["TONGBAN"].database_url)) or "(empty)")
