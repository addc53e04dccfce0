from __future__ import annotations

import sys
from pathlib import Path

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


@click.command("deploy-item")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--forms-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Defaults to TONGBAN_FORMS_DIR",
)
def deploy_item_cmd(folder: Path, forms_dir: Path | None) -> None:
    """Validate and deploy one item folder (a new process version only when its files changed)."""
    from flask import current_app

    from app.services.catalogue import deploy_item_folder
    from app.services.errors import DomainError
    from engine.errors import EngineError

    try:
        slug, version, created = deploy_item_folder(
            folder, forms_dir or current_app.config["TONGBAN"].forms_dir
        )
    except (DomainError, EngineError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{slug}: version {version} {'deployed' if created else 'unchanged'}")
