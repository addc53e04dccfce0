from __future__ import annotations

import time

import click


@click.group("cockpit", help="The supervision cockpit.")
def command() -> None:
    pass


@command.command("rebuild-summary")
def rebuild_summary_cmd() -> None:
    """Recompute the daily summary (trends, rates, heat map) from the cases: after an upgrade that
    added it (migration 0051), or to check it (the case events keep it in step)."""
    from app.services.summary import rebuild_summary

    t0 = time.perf_counter()
    n = rebuild_summary()
    click.echo(f"daily summary rebuilt: {n} rows in {time.perf_counter() - t0:.1f} s")
