"""A job worker process for the exactly-once test: the real engine, the real wrapper, one probe task.

Run as ``python -m tests.jobs.probe_worker`` with TONGBAN_DATABASE_URL (and TONGBAN_DATA_DIR) set. The
probe task ``tests.probe`` appends (job id, pid) to ``job_probe``, a table without a unique key, so a job
run twice shows up as two rows. The worker runs until SIGTERM.
"""

from __future__ import annotations

import os
import time
from typing import Any

from sqlalchemy import text

PROBE_TASK = "tests.probe"


def main() -> None:
    from app import create_app
    from app.jobs.engine import Backoff, build, register, run_worker
    from app.models import Session

    flask_app = create_app({"TONGBAN_JOBS": "procrastinate", "TONGBAN_SECRET_KEY": "test-secret"})

    def probe(args: dict[str, Any], final: bool, retry_at: Any) -> None:
        time.sleep(0.005)  # a little work, so that both workers take turns
        Session.execute(
            text("INSERT INTO job_probe (n, pid) VALUES (:n, :pid)"),
            {"n": int(args["n"]), "pid": os.getpid()},
        )
        Session.commit()

    app = build(flask_app)
    register(app, flask_app, PROBE_TASK, probe, Backoff(1, 1))
    run_worker(flask_app, concurrency=int(os.environ.get("PROBE_CONCURRENCY", "4")), wait=True, app=app)


if __name__ == "__main__":
    main()
