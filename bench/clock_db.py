"""Recompute every open deadline after a calendar change: 100,000 open cases, SQLite and PostgreSQL.

Builds a fresh database (SQLite file / private PostgreSQL schema), seeds the calendar and catalogue,
bulk-inserts N open cases with real clock inputs (acceptance, decision with pauses and extensions)
and one open step each, then times `recompute_open_clocks` after an administrator edits a day and
again after a year import. Prints seconds and rows rewritten. Not a test.

    .venv/bin/python bench/clock_db.py [--db sqlite|postgres|both] [--cases 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def make_cases(n: int, seed: int = 7) -> tuple[list[dict], list[dict]]:
    rnd = random.Random(seed)
    cases, tasks = [], []
    for i in range(1, n + 1):
        start = date(2026, 9, 1) + timedelta(days=rnd.randrange(0, 110))
        ci = {
            "acceptance": {
                "start": start.isoformat(),
                "limit_wd": 5,
                "stopped_on": start.isoformat(),
                "extensions": [],
                "same_day": False,
            },
            "decision": {
                "start": start.isoformat(),
                "limit_wd": 10,
                "stopped_on": None,
                "extensions": [],
                "same_day": False,
            },
            "statutory": {
                "start": start.isoformat(),
                "limit_wd": 30,
                "stopped_on": None,
                "extensions": [],
                "same_day": False,
            },
        }
        if i % 3 == 0:
            p = start + timedelta(days=rnd.randrange(1, 10))
            ci["correction"] = [
                {
                    "start": p.isoformat(),
                    "end": (p + timedelta(days=rnd.randrange(1, 15))).isoformat(),
                    "deadline": None,
                }
            ]
        if i % 5 == 0:
            ext = {"days": 5, "reason": "bench", "approved_on": (start + timedelta(days=5)).isoformat()}
            ci["decision"]["extensions"] = [ext]
            ci["statutory"]["extensions"] = [ext]
        cases.append(
            {"id": i, "case_no": f"B{i:012d}", "status": "in_progress", "clock_inputs": ci, "start": start}
        )
        tasks.append({"id": i, "case_id": i, "started_on": start + timedelta(days=1)})
    return cases, tasks


def run(db: str, n: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="tongban-clockbench-"))
    schema = None
    if db == "sqlite":
        url = f"sqlite:///{tmp / 'b.sqlite'}"
    else:
        from sqlalchemy import create_engine, text

        schema = f"tb_clock_{uuid.uuid4().hex[:8]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'create schema "{schema}"'))
        admin.dispose()
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        from sqlalchemy import insert, select

        from app import create_app
        from app.migrate import upgrade
        from app.models import Case, CaseTask, ServiceItem, Session, User
        from app.services.auth import Actor
        from app.services.calendar import seed_from_package, set_day
        from app.services.catalogue import load_catalogue
        from app.services.clocks import recompute_open_clocks
        from app.services.users import seed_demo_users
        from app.services.workdays import today

        upgrade(url)
        app = create_app(
            {
                "TONGBAN_DATABASE_URL": url,
                "TONGBAN_DATA_DIR": str(tmp),
                "TONGBAN_DEMO_PASSWORD": "bench-pass-1",
            }
        )
        with app.app_context():
            seed_from_package()
            load_catalogue()
            seed_demo_users("bench-pass-1")
            item = Session.scalar(select(ServiceItem).where(ServiceItem.slug == "eia_report_form"))
            cases, tasks = make_cases(n)
            t0 = time.perf_counter()
            for lo in range(0, n, 10000):
                Session.execute(
                    insert(Case),
                    [
                        {
                            "id": c["id"],
                            "case_no": c["case_no"],
                            "item_id": item.id,
                            "process_version": item.current_version,
                            "department_code": "env",
                            "applicant_kind": "person",
                            "applicant_name": "基准",
                            "applicant_id_no": "11010519491231002X",
                            "status": "in_progress",
                            "state": "{}",
                            "state_format": "bench",
                            "clock_inputs": c["clock_inputs"],
                            "received_on": c["start"],
                            "accepted_on": c["start"],
                        }
                        for c in cases[lo : lo + 10000]
                    ],
                )
                Session.execute(
                    insert(CaseTask),
                    [
                        {
                            "id": t["id"],
                            "case_id": t["case_id"],
                            "item_id": item.id,
                            "spiff_task_id": str(uuid.uuid4()),
                            "bpmn_id": "review",
                            "name": "审查",
                            "role": "reviewer",
                            "department_code": "env",
                            "state": "ready",
                            "form": "review.json",
                            "properties": {"time_limit_wd": "5"},
                            "limit_wd": 5,
                            "started_on": t["started_on"],
                        }
                        for t in tasks[lo : lo + 10000]
                    ],
                )
            Session.commit()
            print(f"  inserted {n:,} open cases + {n:,} open steps in {time.perf_counter() - t0:.1f} s")
            on = today()
            t0 = time.perf_counter()
            first = recompute_open_clocks(on)
            print(f"  first computation of every open deadline: {time.perf_counter() - t0:.2f} s {first}")
            admin = Actor.of(Session.scalar(select(User).where(User.username == "admin")))
            t0 = time.perf_counter()
            result = set_day(admin, date(2026, 10, 12), False, "bench: extra day off")  # recomputes inside
            print(
                f"  admin marks 2026-10-12 off → every open deadline recomputed: {time.perf_counter() - t0:.2f} s "
                f"({result['cases_changed']:,} cases, {result['tasks_changed']:,} steps re-dated)"
            )
            t0 = time.perf_counter()
            again = recompute_open_clocks(on)
            print(f"  recompute with nothing changed: {time.perf_counter() - t0:.2f} s {again}")
            # the daily sweep's part: only the rows whose light change day has come (issue 14)
            from app.services.clocks import refresh_lights

            for label, day in (
                ("same day", on),
                ("next day", on + timedelta(days=1)),
                ("same day again", on + timedelta(days=1)),
                ("a week later", on + timedelta(days=7)),
            ):
                t0 = time.perf_counter()
                swept = refresh_lights(day)
                print(f"  sweep refresh_lights, {label} ({day}): {time.perf_counter() - t0:.2f} s {swept}")
            Session.remove()
        app.extensions["tongban.engine"].dispose()
    finally:
        if schema:
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'drop schema "{schema}" cascade'))
            admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--cases", type=int, default=100_000)
    args = ap.parse_args()
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        print(f"== {db}: {args.cases:,} open cases ==")
        run(db, args.cases)


if __name__ == "__main__":
    main()
