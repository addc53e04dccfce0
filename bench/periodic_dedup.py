"""Does procrastinate run a periodic task once per tick across workers? Measured, not assumed.

Starts WORKERS worker processes (the app's engine) against one PostgreSQL database, each with the same
periodic task every second (cron ``* * * * * *``); every run appends (tick timestamp, pid) to a table.
After SECONDS it stops them and prints ticks, runs and ticks run more than once. With ``--lag S`` the
second worker sleeps S seconds inside its event loop before each defer pass, as a worker on a machine
whose clock or event loop is behind would.

    TONGBAN_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test .venv/bin/python bench/periodic_dedup.py
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent


def worker(lag: float) -> None:
    import asyncio

    from procrastinate import periodic

    from app import create_app
    from app.jobs.engine import Backoff, build, register, run_worker
    from app.models import Session

    if lag:
        original = periodic.PeriodicDeferrer.defer_jobs

        async def late(self: Any, jobs_to_defer: Any) -> None:
            await asyncio.sleep(lag)
            await original(self, jobs_to_defer=jobs_to_defer)

        periodic.PeriodicDeferrer.defer_jobs = late  # type: ignore[method-assign]

    flask_app = create_app({"TONGBAN_JOBS": "procrastinate", "TONGBAN_SECRET_KEY": "bench-secret-0123456789"})

    def tick(args: dict[str, Any], final: bool, retry_at: Any) -> None:
        Session.execute(
            text("INSERT INTO periodic_probe (ts, pid) VALUES (:ts, :pid)"),
            {"ts": int(args["timestamp"]), "pid": os.getpid()},
        )
        Session.commit()

    app = build(flask_app)
    task = register(app, flask_app, "bench.tick", tick, Backoff(1, 1))
    app.periodic(cron="* * * * * *", periodic_id="bench")(task)
    run_worker(flask_app, concurrency=2, wait=True, app=app)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--lag", type=float, default=0.0, help="seconds the second worker defers late")
    parser.add_argument("--worker", type=float, default=None, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.worker is not None:
        worker(opts.worker)
        return
    base = os.environ["TONGBAN_DATABASE_URL"]
    schema = f"tb_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        from app.migrate import upgrade

        upgrade(url)
        db = create_engine(url)
        with db.begin() as conn:
            conn.execute(text("CREATE TABLE periodic_probe (ts bigint NOT NULL, pid integer NOT NULL)"))
        env = {**os.environ, "TONGBAN_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker", str(opts.lag if i == 1 else 0)],
                cwd=ROOT,
                env=env,
                stderr=None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL,
            )
            for i in range(opts.workers)
        ]
        time.sleep(opts.seconds)
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
        with db.connect() as conn:
            runs = conn.execute(text("SELECT ts, pid FROM periodic_probe")).all()
        db.dispose()
        ticks = {ts for ts, _ in runs}
        twice = sorted(ts for ts in ticks if sum(1 for t, _ in runs if t == ts) > 1)
        span = (max(ticks) - min(ticks) + 1) if ticks else 0
        print(
            f"workers={opts.workers} lag={opts.lag} s on one seconds={opts.seconds:.0f}: "
            f"ticks={len(ticks)} of a {span}-s span, runs={len(runs)}, ticks run more than once={len(twice)}, "
            f"runs per worker={sorted(sum(1 for _, p in runs if p == pid) for pid in {p for _, p in runs})}"
        )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
