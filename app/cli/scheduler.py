"""`flask --app app scheduler run` (blocking scheduler process) and `run-once` (one pass of every job)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

command = AppGroup(
    "scheduler", help="Electronic-supervision scheduler (timers, sweeps, legal defaults, reminders)."
)


def _parse_now(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO date-time: {value}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@command.command("run")
def run_cmd() -> None:
    """Run the scheduler in the foreground (production: one or more of these, next to the web workers)."""
    from app.jobs import build_scheduler, stop_in_process

    stop_in_process()  # TONGBAN_SCHEDULER=1 in the environment must not start a second one here
    click.echo("scheduler running; Ctrl-C stops it")
    scheduler = build_scheduler(current_app._get_current_object(), blocking=True)  # noqa: SLF001
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass


@command.command("run-once")
@click.option(
    "--now", "now_text", default=None, help="ISO date-time to run as (default: now, UTC if no offset)."
)
@click.option("--job", "jobs", multiple=True, help="Only this job (repeatable).")
@click.option(
    "--no-lease", is_flag=True, help="Skip the database leases (tests of the idempotency safety net)."
)
def run_once_cmd(now_text: str | None, jobs: tuple[str, ...], no_lease: bool) -> None:
    """Run every job once and print what each did (JSON)."""
    from app.jobs.runner import JOBS, run_once

    bad = [j for j in jobs if j not in JOBS]
    if bad:
        raise click.BadParameter(
            f"unknown job(s) {', '.join(bad)}; known: {', '.join(JOBS)}", param_hint="--job"
        )
    result = run_once(_parse_now(now_text), jobs=list(jobs) or None, use_lease=not no_lease)
    click.echo(json.dumps(result, default=str, ensure_ascii=False, indent=2))
