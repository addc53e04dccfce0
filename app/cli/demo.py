from __future__ import annotations

import click
from flask import current_app

from app.services.calendar import seed_from_package
from app.services.catalogue import load_catalogue
from app.services.org import load_departments
from app.services.users import seed_demo_users


@click.command("seed-demo")
def seed_demo() -> None:
    """Deploy the catalogue and create demo users for every role (password: TONGBAN_DEMO_PASSWORD)."""
    settings = current_app.config["TONGBAN"]
    years = seed_from_package()
    depts = load_departments(None)
    slugs = load_catalogue()
    created = seed_demo_users(settings.demo_password)
    click.echo(f"calendar years seeded: {years[0]}–{years[-1]}" if years else "calendar: already seeded")
    click.echo(f"departments loaded or updated: {', '.join(depts) or '(unchanged)'}")
    click.echo(f"catalogue: {', '.join(slugs)}")
    click.echo(f"demo users created: {', '.join(created) or '(already there)'}")
