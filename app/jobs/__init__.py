"""Scheduler wiring (APScheduler 3): in-process for `make run`, a blocking process in production.

`flask --app app scheduler run` runs a BlockingScheduler; with TONGBAN_SCHEDULER=1 the web process
starts a BackgroundScheduler once (never in the reloader's parent process). Both run the same jobs
(app.jobs.runner), each under a database lease, so any number of schedulers can run side by side.
Every job runs at start (catch-up after downtime) and then at its interval; missed runs coalesce.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from datetime import UTC, datetime
from typing import Any

from flask import Flask

log = logging.getLogger("tongban.jobs")

_started: dict[str, Any] = {}
_lock = threading.Lock()


def build_scheduler(app: Flask, *, blocking: bool = False) -> Any:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    from app.jobs.runner import JOBS, scheduled_jobs

    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        timezone="Asia/Shanghai",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    start = datetime.now(UTC)
    with app.app_context():
        names = scheduled_jobs()
    for name in names:
        seconds = JOBS[name][1]
        scheduler.add_job(
            _job_in_app(app, name), "interval", seconds=seconds, id=name, name=name, next_run_time=start
        )
    return scheduler


def _job_in_app(app: Flask, name: str) -> Any:
    def run() -> None:
        from app.jobs.runner import run_job

        with app.app_context():
            result = run_job(name)
        if result is not None:
            log.info("job %s: %s", name, result)

    return run


def _is_reloader_parent(app: Flask) -> bool:
    # `flask run --debug` forks a child that serves (WERKZEUG_RUN_MAIN=true); the parent only watches files.
    return bool(app.debug) and os.environ.get("WERKZEUG_RUN_MAIN") != "true"


def start_in_process(app: Flask) -> Any:
    """Start the background scheduler once per process; returns it (None in the reloader parent)."""
    if _is_reloader_parent(app):
        return None
    with _lock:
        if "scheduler" in _started:
            return _started["scheduler"]
        scheduler = build_scheduler(app, blocking=False)
        scheduler.start()
        _started["scheduler"] = scheduler
        atexit.register(stop_in_process)
        log.info("in-process scheduler started")
        return scheduler


def stop_in_process() -> None:
    with _lock:
        scheduler = _started.pop("scheduler", None)
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
