from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from app.services import calendar as calendar_service
from app.services.auth import Actor
from app.services.errors import DomainError

SYSTEM_ADMIN = Actor(id=0, username="cli-admin", display_name="CLI", role="admin", department_code="admin")


@click.group("calendar", help="The working-day calendar.")
def command() -> None:
    pass


@command.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--year", type=int, help="CSV only: the year")
@click.option("--source", help="CSV only: the State Council notice")
def import_cmd(file: Path, year: int | None, source: str | None) -> None:
    """Import a year's official arrangement from JSON or CSV (date,type,name)."""
    text = file.read_text(encoding="utf-8")
    try:
        if file.suffix.lower() == ".csv":
            result = calendar_service.import_year(
                SYSTEM_ADMIN, {"text": text, "year": year, "source": source}, fmt="csv"
            )
        else:
            result = calendar_service.import_year(SYSTEM_ADMIN, json.loads(text))
    except (DomainError, json.JSONDecodeError) as exc:
        click.echo(f"error: {getattr(exc, 'message', exc)}", err=True)
        for d in getattr(exc, "details", None) or []:
            click.echo(f"  {d['field']}: {d['message']}", err=True)
        sys.exit(2)
    click.echo(
        f"imported {result['year']}: {result['days']} days; {result['cases_changed']} open cases re-dated"
    )


@command.command("show")
@click.argument("year", type=int)
def show_cmd(year: int) -> None:
    """Show a year's official days and whether it is confirmed."""
    view = calendar_service.year_view(year)
    state = "confirmed" if view["confirmed"] else "UNCONFIRMED (weekends only)"
    click.echo(f"{year}: {state}; {view['workdays']} working days; source: {view['source'] or '-'}")
    for d in view["days"]:
        click.echo(f"  {d['date']}  {'班' if d['is_workday'] else '休'}  {d['note'] or ''}")


@command.command("seed")
def seed_cmd() -> None:
    """Load every year the chinese_calendar package records (idempotent)."""
    years = calendar_service.seed_from_package()
    click.echo(f"seeded {len(years)} years" if years else "nothing to seed")
