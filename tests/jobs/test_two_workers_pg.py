"""Several workers on one PostgreSQL database: every job runs exactly once.

Two real worker processes (``tests/jobs/probe_worker.py``: the app's engine and task wrapper, concurrency
4 each) listen on the queue; then 200 probe jobs are queued in one transaction. Each run appends its job's
number and the worker's pid to a table with no unique key, so a job run twice would show as two rows.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text

from app.models import Session
from app.services import jobqueue
from tests.jobs.probe_worker import PROBE_TASK

ROOT = Path(__file__).resolve().parents[2]
N = 200


def _scalar(sql: str) -> int:
    value = Session.execute(text(sql)).scalar()
    Session.commit()
    return int(value or 0)


def _wait_for(condition, what: str, procs, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout  # a bound on a hang, not a speed assertion
    while not condition():
        dead = [p for p in procs if p.poll() is not None]
        assert not dead, f"a worker exited: {dead[0].stderr.read().decode()[-2000:]}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_two_worker_processes_run_each_of_200_jobs_exactly_once(app, jobs_on, database_url, tmp_path):
    with app.extensions["tongban.engine"].begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS job_probe"))
        conn.execute(text("CREATE TABLE job_probe (n integer NOT NULL, pid integer NOT NULL)"))
        conn.execute(text("DELETE FROM procrastinate_workers"))
    env = {
        **os.environ,
        "TONGBAN_DATABASE_URL": database_url,
        "TONGBAN_DATA_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.probe_worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        _wait_for(lambda: _scalar("SELECT count(*) FROM procrastinate_workers") == 2, "two workers", procs)
        args = json.dumps([{"n": i} for i in range(N)])
        Session.execute(
            text(
                "SELECT procrastinate_defer_jobs_v1(ARRAY(SELECT ROW(:q, :task, 0, NULL, NULL, a, NULL)"
                "::procrastinate_job_to_defer_v1 FROM jsonb_array_elements(CAST(:args AS jsonb)) a))"
            ),
            {"q": jobqueue.QUEUE, "task": PROBE_TASK, "args": args},
        )
        Session.commit()
        _wait_for(
            lambda: _scalar("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')") == 0,
            "the queue to drain",
            procs,
        )
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    runs = Session.execute(text("SELECT n, pid FROM job_probe")).all()
    Session.commit()
    numbers = sorted(n for n, _ in runs)
    assert numbers == list(range(N))  # all 200 ran, none twice
    assert _scalar("SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'") == N
    pids = {pid for _, pid in runs}
    per_worker = sorted(sum(1 for _, pid in runs if pid == p) for p in pids)
    print(f"runs per worker: {per_worker}")
    assert len(pids) == 2, f"both workers took jobs: {per_worker}"
    with app.extensions["tongban.engine"].begin() as conn:
        conn.execute(text("DROP TABLE job_probe"))
