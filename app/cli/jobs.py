"""`flask --app app jobs worker | list | retry`: the background-job worker and the dead letters."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

from app.models import Session, utcnow
from app.services import deadletters, jobqueue
from app.services.auth import Actor
from app.services.errors import DomainError

command = AppGroup("jobs", help="Background jobs on procrastinate (TONGBAN_JOBS=procrastinate, PostgreSQL).")

SYSTEM = Actor(id=0, username="cli-admin", display_name="CLI", role="admin", department_code="admin")


def _require_engine() -> None:
    if not jobqueue.engine_on():
        raise click.ClickException(
            "TONGBAN_JOBS is 'inprocess': deliveries run in the scheduler (flask scheduler run / make run); "
            "set TONGBAN_JOBS=procrastinate with a PostgreSQL database to run workers"
        )


@command.command("worker")
@click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 64), help="jobs at once")
@click.option("--once", is_flag=True, help="stop when no job is due (tests, catch-up runs)")
def worker_cmd(concurrency: int, once: bool) -> None:
    """Run a job worker (as many as you like, on any machine, against the same database)."""
    from app.jobs.engine import run_worker

    _require_engine()
    click.echo(f"job worker running (concurrency {concurrency}); Ctrl-C stops it")
    run_worker(current_app._get_current_object(), concurrency=concurrency, wait=not once)  # noqa: SLF001


@command.command("list")
@click.option("--status", default="failed", show_default=True, type=click.Choice(list(jobqueue.STATUSES)))
def list_cmd(status: str) -> None:
    """Jobs of one status (default: the dead letters), newest first, as JSON lines."""
    for row in deadletters.list_jobs(SYSTEM, status):
        click.echo(
            json.dumps(
                {
                    "id": row.id,
                    "task": row.task_name,
                    "args": row.args,
                    "attempts": row.attempts,
                    "last_error": row.last_error,
                },
                ensure_ascii=False,
                default=str,
            )
        )
    Session.remove()


@command.command("retry")
@click.argument("job_id", type=click.IntRange(1, 2**63 - 1))
def retry_cmd(job_id: int) -> None:
    """Put a failed job back in the queue now."""
    _require_engine()
    try:
        row = deadletters.retry_job(SYSTEM, job_id, utcnow())
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"job {row.id} ({row.task_name}) queued again")
