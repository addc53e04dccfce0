"""The job engine: procrastinate on PostgreSQL, its tasks, the retry policy, and the worker.

Jobs are queued by the services in their own transaction (app.services.jobqueue); this module runs them.
Each task calls one service function inside the Flask app context and removes the session afterwards
(sync tasks run in worker threads; the scoped session is per thread). A failed run records its error in
``job_error`` and re-raises, so procrastinate retries it after a back-off or, after the last attempt,
leaves it ``failed``: a dead letter, listed at /admin/jobs and retried from there.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import procrastinate
from flask import Flask
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from app.jobs.words import translator
from app.models import Session, utcnow
from app.services import channels, jobqueue, licence_pdf, notify, report_runs

log = logging.getLogger("tongban.jobs")


class Backoff(BaseRetryStrategy):
    """``max_attempts`` runs in all; retry n waits ``base * 2**(n-1)`` seconds (10, 20, 40, 80 s by
    default). A PermanentFailure (the channel refused the message for good) is not retried."""

    def __init__(self, max_attempts: int, base_seconds: float) -> None:
        self.max_attempts = max_attempts
        self.base_seconds = base_seconds

    def wait_seconds(self, attempts: int) -> float:
        """Wait after the run that follows ``attempts`` earlier runs."""
        return self.base_seconds * 2**attempts

    def is_final(self, job: Job) -> bool:
        return job.attempts + 1 >= self.max_attempts

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, notify.PermanentFailure) or self.is_final(job):
            return None
        return RetryDecision(retry_in={"seconds": self.wait_seconds(job.attempts)})


def libpq_url(sqlalchemy_url: str) -> str:
    """postgresql+psycopg://… → postgresql://… (query options such as search_path pass through)."""
    scheme, sep, rest = sqlalchemy_url.partition("://")
    if not sep or not scheme.startswith("postgresql"):
        raise ValueError("the job engine needs PostgreSQL (TONGBAN_DATABASE_URL=postgresql+psycopg://…)")
    return f"postgresql://{rest}"


# task name -> fn(args, final, retry_at): one service call; ``final`` says no retry will follow, ``retry_at``
# when the next run would be (the row shows it)
def _deliver_notification(args: dict[str, Any], final: bool, retry_at: Any) -> Any:
    return notify.deliver_notification(int(args["notification_id"]), utcnow(), final=final)


def _deliver_message(args: dict[str, Any], final: bool, retry_at: Any) -> Any:
    return channels.deliver_message(int(args["message_id"]), utcnow(), final=final, retry_at=retry_at)


def _licence_pdf(args: dict[str, Any], final: bool, retry_at: Any) -> Any:
    return licence_pdf.make_pdf(int(args["licence_id"]))


def _make_report(args: dict[str, Any], final: bool, retry_at: Any) -> Any:
    lang = str(args.get("lang") or "zh")
    return report_runs.make(int(args["run_id"]), utcnow(), translator(lang), final=final)


TASKS: dict[str, Callable[[dict[str, Any], bool, Any], Any]] = {
    jobqueue.DELIVER_NOTIFICATION: _deliver_notification,
    jobqueue.DELIVER_MESSAGE: _deliver_message,
    jobqueue.LICENCE_PDF: _licence_pdf,
    jobqueue.MAKE_REPORT: _make_report,
}


def build(flask_app: Flask) -> procrastinate.App:
    """The procrastinate app of this Flask app: connector from TONGBAN_DATABASE_URL, every task."""
    settings = flask_app.config["TONGBAN"]
    connector = procrastinate.PsycopgConnector(conninfo=libpq_url(settings.database_url))
    app = procrastinate.App(connector=connector)
    strategy = Backoff(settings.job_max_attempts, settings.job_backoff_seconds)
    for name, fn in TASKS.items():
        register(app, flask_app, name, fn, strategy)
    return app


def register(
    app: procrastinate.App,
    flask_app: Flask,
    name: str,
    fn: Callable[[dict[str, Any], bool, Any], Any],
    strategy: Backoff,
) -> Any:
    """Register ``fn`` as task ``name``: run in the app context, failures recorded, then retried."""

    def run(context: procrastinate.JobContext, **args: Any) -> Any:
        job = context.job
        final = strategy.is_final(job)
        retry_at = None if final else utcnow() + timedelta(seconds=strategy.wait_seconds(job.attempts))
        with flask_app.app_context():
            try:
                return fn(args, final, retry_at)
            except Exception as exc:
                Session.rollback()
                assert job.id is not None
                jobqueue.record_failure(
                    job.id, name, job.attempts + 1, f"{type(exc).__name__}: {exc}", utcnow()
                )
                raise
            finally:
                Session.remove()

    run.__name__ = name.replace(".", "_")
    return app.task(name=name, queue=jobqueue.QUEUE, pass_context=True, retry=strategy)(run)


def run_worker(flask_app: Flask, *, concurrency: int = 4, wait: bool = True, app: Any = None) -> None:
    """Run a worker on the tongban queue until stopped (``wait=False``: until no job is due)."""
    app = app or build(flask_app)
    log.info("job worker started (concurrency %s)", concurrency)

    def work() -> None:
        app.run_worker(
            queues=[jobqueue.QUEUE],
            concurrency=concurrency,
            wait=wait,
            install_signal_handlers=wait and threading.current_thread() is threading.main_thread(),
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no event loop in this thread (the CLI): procrastinate runs its own
        work()
        return
    # this thread already runs an event loop (e.g. a Playwright sync session in the same process):
    # procrastinate's asyncio.run needs a thread of its own
    failure: list[BaseException] = []

    def in_thread() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            failure.append(exc)

    worker = threading.Thread(target=in_thread, name="job-worker")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
