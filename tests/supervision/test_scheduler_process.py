"""The scheduler as processes: the CLI, two real `scheduler run-once` processes at once, the in-process wiring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from app.jobs import _is_reloader_parent, build_scheduler, start_in_process, stop_in_process
from app.jobs.runner import JOBS, scheduled_jobs
from app.models import Alert, AuditEvent, Session
from tests.supervision.conftest import start_timer_case, submit

ROOT = Path(__file__).resolve().parents[2]


def test_run_once_from_the_cli_prints_what_each_job_did(app, people):
    submit(people, "2026-03-02")
    Session.remove()
    result = app.test_cli_runner().invoke(
        args=["scheduler", "run-once", "--now", "2026-03-05T10:00:00+08:00", "--job", "sweep"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["sweep"]["task_alerts"] == 1
    bad = app.test_cli_runner().invoke(args=["scheduler", "run-once", "--now", "yesterday"])
    assert bad.exit_code == 2 and "ISO" in bad.output
    unknown = app.test_cli_runner().invoke(args=["scheduler", "run-once", "--job", "nope"])
    assert unknown.exit_code == 2 and "sweep" in unknown.output


def test_two_scheduler_processes_at_once_raise_each_alert_and_fire_each_timer_once(
    app, people, timer_version, database_url, tmp_path
):
    waiting = start_timer_case(people, timer_version, "2026-03-02")
    late = submit(people, "2026-03-02")
    Session.remove()
    env = {
        **os.environ,
        "TONGBAN_DATABASE_URL": database_url,
        "TONGBAN_DATA_DIR": str(tmp_path),
        "TONGBAN_SCHEDULER": "0",
        "TONGBAN_SMTP_HOST": "",
    }
    cmd = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "app",
        "scheduler",
        "run-once",
        "--now",
        "2026-03-05T09:00:00+08:00",
    ]
    procs = [
        subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    with app.app_context():
        fired = Session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "case.timer_fired", AuditEvent.case_id == waiting.id)
        )
        raised = Session.scalars(select(Alert).where(Alert.case_id == late.id)).all()
        assert fired == 1
        assert sorted((a.subject_kind, a.level) for a in raised) == [("case", "yellow"), ("task", "red")]
        Session.remove()


def test_the_scheduler_runs_every_job_at_start_then_on_its_interval(app):
    scheduler = build_scheduler(app)
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert set(jobs) == set(scheduled_jobs())  # the deployment's jobs (TONGBAN_JOBS decides a few)
    assert all(int(j.trigger.interval.total_seconds()) == JOBS[name][1] for name, j in jobs.items())
    assert all(j.next_run_time is not None for j in jobs.values())  # catch-up: first run right away


def test_the_in_process_scheduler_starts_once_and_never_in_the_reloader_parent(app, monkeypatch):
    started = []

    class Fake:
        running = True

        def start(self):
            started.append(self)

        def shutdown(self, wait=False):
            self.running = False

    monkeypatch.setattr("app.jobs.build_scheduler", lambda app, blocking=False: Fake())
    monkeypatch.setattr(app, "debug", True)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert _is_reloader_parent(app) and start_in_process(app) is None and started == []
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    try:
        first = start_in_process(app)
        assert start_in_process(app) is first and len(started) == 1
    finally:
        stop_in_process()
    assert first.running is False
