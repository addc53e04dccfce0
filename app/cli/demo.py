from __future__ import annotations

import sys

import click
from flask import current_app

from app.services.calendar import seed_from_package
from app.services.catalogue import load_catalogue
from app.services.demo import seed_demo_cases
from app.services.errors import DomainError
from app.services.org import load_departments
from app.services.users import seed_demo_users


def _seed_reference_data() -> None:
    years = seed_from_package()
    depts = load_departments(None)
    slugs = load_catalogue()
    click.echo(f"calendar years seeded: {years[0]}–{years[-1]}" if years else "calendar: already seeded")
    click.echo(f"departments loaded or updated: {', '.join(depts) or '(unchanged)'}")
    click.echo(f"catalogue: {', '.join(slugs)}")


@click.command("seed")
def seed() -> None:
    """Seed the working-day calendar and deploy the catalogue (idempotent; safe in production)."""
    _seed_reference_data()


@click.command("seed-demo")
def seed_demo() -> None:
    """`seed`, then demo users for every role (password: TONGBAN_DEMO_PASSWORD) and demo cases in every
    state (idempotent). Refused in production."""
    settings = current_app.config["TONGBAN"]
    if settings.production:
        click.echo("error: demo users are never created in production (TONGBAN_ENV=production)", err=True)
        sys.exit(2)
    _seed_reference_data()
    try:
        created = seed_demo_users(settings.demo_password)
    except DomainError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    click.echo(f"demo users created: {', '.join(created) or '(already there)'}")
    try:
        seeded = seed_demo_cases()
    except DomainError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    for state, case_no in seeded.created:
        click.echo(f"demo case {case_no}: {state}")
    if seeded.existing and not seeded.created:
        click.echo(f"demo cases: {len(seeded.existing)} already there")
