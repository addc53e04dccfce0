from __future__ import annotations

import sys

import click

from app.services.catalogue import list_items, validate_processes


@click.command("validate-processes")
def validate_processes_cmd() -> None:
    """Validate every item under processes/: XSD, SpiffWorkflow, lint, time-limit checks."""
    results = validate_processes()
    failed = 0
    for r in results:
        mark = "OK " if r.ok else "ERR"
        click.echo(f"{mark} {r.slug} {r.version or ''}")
        for e in r.errors:
            click.echo(f"    error: {e}")
        for w in r.warnings:
            click.echo(f"    warning: {w}")
        failed += 0 if r.ok else 1
    click.echo(f"{len(results) - failed} valid, {failed} invalid")
    if failed:
        sys.exit(1)


@click.command("list-items")
def list_items_cmd() -> None:
    """List deployed service items."""
    for item in list_items():
        click.echo(
            f"{item.code}\t{item.slug}\t{item.name_zh}\t{item.kind}\t法定 {item.statutory_wd} / 承诺 {item.promised_wd} 工作日"
        )
