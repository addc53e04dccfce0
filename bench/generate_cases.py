"""Generate a large case load for the supervision bench (PostgreSQL, bulk COPY; not a test).

    .venv/bin/python bench/generate_cases.py [--url URL] [--schema S] [--cases N] [--open M] [--keep]

Creates ``schema`` in the database at ``url`` (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
migrates it, loads the calendar, catalogue and demo users through the real services, then COPYs
``cases`` case rows (``open`` of them open, submitted in the last two weeks so their lights vary) and
their task rows (open cases: one completed step and one open step; closed cases: three completed
steps). bench/supervision.py imports ``generate`` and drops the schema afterwards.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# light_changes_on: open clocks are "due now" (the first sweep computes them), closed ones never change
DUE, NEVER = date(1900, 1, 1), date(9999, 12, 31)
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CASE_COLS = (
    "id",
    "case_no",
    "item_id",
    "process_version",
    "department_code",
    "applicant_kind",
    "applicant_name",
    "applicant_id_no",
    "status",
    "outcome",
    "data",
    "state",
    "state_format",
    "lock_version",
    "submitted_at",
    "completed_at",
    "updated_at",
    "received_on",
    "accepted_on",
    "deemed_accepted",
    "decided_on",
    "clock_inputs",
    "deadline_confirmed",
    "clock_paused",
    "extension_wd",
    "used_wd",
    "light",
    "light_changes_on",
)
TASK_COLS = (
    "case_id",
    "item_id",
    "spiff_task_id",
    "bpmn_id",
    "name",
    "role",
    "department_code",
    "state",
    "assignee_id",
    "form",
    "properties",
    "created_at",
    "completed_at",
    "started_on",
    "limit_wd",
    "deadline_confirmed",
    "light_changes_on",
)
STEPS = [("accept", "受理", "clerk", 2), ("review", "审查", "reviewer", 5), ("decide", "决定", "decider", 2)]


def schema_url(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def _clock(start: date, limit: int, stopped: date | None = None) -> dict:
    return {
        "start": start.isoformat(),
        "limit_wd": limit,
        "stopped_on": stopped.isoformat() if stopped else None,
        "extensions": [],
        "same_day": limit == 0,
    }


def prepare(url: str, schema: str):
    """Fresh schema, migrated, with calendar, catalogue and users; returns the Flask app bound to it."""
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'drop schema if exists "{schema}" cascade'))
        conn.execute(text(f'create schema "{schema}"'))
    admin.dispose()
    from app import create_app
    from app.migrate import upgrade
    from app.models import Session
    from app.services.calendar import seed_from_package
    from app.services.catalogue import load_catalogue
    from app.services.users import seed_demo_users

    scoped = schema_url(url, schema)
    upgrade(scoped)
    app = create_app(
        {"TONGBAN_DATABASE_URL": scoped, "TONGBAN_DATA_DIR": tempfile.mkdtemp(prefix="tb-bench-")}
    )
    with app.app_context():
        seed_from_package()
        load_catalogue()
        seed_demo_users("bench-pass-123")
        Session.remove()
    return app


def generate(
    url: str = DEFAULT_URL,
    schema: str = "bench_supervision",
    cases: int = 1_000_000,
    open_cases: int = 100_000,
    seed: int = 7,
    today: date | None = None,
):
    """Build the data set; returns (app, seconds spent)."""
    from sqlalchemy import select, text

    from app.models import ServiceItem, Session, User
    from app.services.workdays import get_calendar

    t0 = time.perf_counter()
    app = prepare(url, schema)
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    with app.app_context():
        items = list(Session.scalars(select(ServiceItem).order_by(ServiceItem.id)))
        users = {(u.department_code, u.role): u.id for u in Session.scalars(select(User))}
        cal = get_calendar()
        Session.remove()
    pooled = app.extensions["tongban.engine"].raw_connection()  # a connection of its own for COPY
    raw = pooled.driver_connection
    cur = raw.cursor()
    now = datetime.now(UTC)
    n_closed = cases - open_cases
    chunk = 50_000
    for first in range(1, cases + 1, chunk):
        task_rows: list[tuple] = []
        with cur.copy(f"COPY case_file ({', '.join(CASE_COLS)}) FROM STDIN") as case_copy:
            for cid in range(first, min(first + chunk, cases + 1)):
                _case_rows(
                    cid, n_closed, items, users, cal, rng, today, now, case_copy.write_row, task_rows.append
                )
        with cur.copy(f"COPY case_task ({', '.join(TASK_COLS)}) FROM STDIN") as task_copy:
            for row in task_rows:
                task_copy.write_row(row)
    raw.commit()
    cur.execute("SELECT setval(pg_get_serial_sequence('case_file', 'id'), %s)", (cases,))
    raw.commit()
    raw.autocommit = True
    cur.execute("VACUUM ANALYZE case_file")
    cur.execute("VACUUM ANALYZE case_task")
    raw.autocommit = False
    pooled.close()
    with app.app_context():
        Session.execute(text("select 1"))
        Session.remove()
    return app, time.perf_counter() - t0


def _case_rows(cid, n_closed, items, users, cal, rng, today, now, write_case, write_task) -> None:
    from app.services.casenumbers import make_case_no

    item = items[cid % len(items)]
    immediate = item.kind == "immediate"
    is_open = cid > n_closed
    # open cases: most within their promised time (green), some near it (yellow), a few overdue (red)
    back = (
        (0 if immediate else int(rng.triangular(0, item.promised_wd * 1.6, item.promised_wd * 0.5)))
        if is_open
        else rng.randint(20, 730)
    )
    received = today - timedelta(days=back)
    submitted = datetime(received.year, received.month, received.day, 1, tzinfo=UTC) + timedelta(
        minutes=rng.randint(0, 600)
    )
    accepted = received if immediate else cal.add_workdays(received, rng.randint(0, 3)).date
    status, ci, used, completed_at, decided = "in_progress", {}, None, None, None
    if is_open and not immediate and rng.random() < 0.2:
        status, ci = "accepting", {"acceptance": _clock(received, 5)}
    else:
        ci = {
            "acceptance": _clock(received, 5, accepted),
            "decision": _clock(accepted, item.promised_wd),
            "statutory": _clock(accepted, item.statutory_wd),
        }
    if not is_open:
        used = 0 if immediate else max(0, int(rng.gauss(item.promised_wd * 0.8, 2)))
        decided = cal.add_workdays(accepted, used).date
        completed_at = datetime(decided.year, decided.month, decided.day, 7, tzinfo=UTC)
        status = "completed"
        ci["decision"]["stopped_on"] = ci["statutory"]["stopped_on"] = decided.isoformat()
    write_case(
        (
            cid,
            make_case_no(cid, submitted),
            item.id,
            item.current_version,
            item.department_code,
            "entity",
            f"企业{cid % 9973}",
            "91350200MA2Y8K3Q1P",
            status,
            "approved" if not is_open else None,
            "{}",
            "",
            "bench",
            1,
            submitted,
            completed_at,
            now,
            received,
            accepted if status != "accepting" else None,
            False,
            decided,
            json.dumps(ci),
            True,
            False,
            0,
            used,
            None,
            DUE if is_open else NEVER,  # open clocks are computed by the first sweep
        )
    )
    dept = item.department_code
    steps = STEPS[:1] if immediate else STEPS
    day = received
    for k, (bpmn_id, name, role, limit) in enumerate(steps):
        created = datetime(day.year, day.month, day.day, 2, tzinfo=UTC)
        last_open = is_open and (k == len(steps) - 1 or (status == "accepting" and k == 0))
        if is_open and status == "accepting" and k > 0:
            break
        span = rng.randint(1, limit + 2)
        done_day = cal.add_workdays(day, span).date
        finished = None if last_open else datetime(done_day.year, done_day.month, done_day.day, 6, tzinfo=UTC)
        state = "completed" if finished else ("claimed" if rng.random() < 0.5 else "ready")
        assignee = users.get((dept, role)) if state != "ready" else None
        write_task(
            (
                cid,
                item.id,
                f"{cid:08d}-{k}",
                bpmn_id,
                name,
                role,
                dept,
                state,
                assignee,
                f"{bpmn_id}.json",
                json.dumps({"time_limit_wd": str(limit)}),
                created,
                finished,
                day,
                limit,
                True,
                DUE if finished is None else NEVER,
            )
        )
        if last_open:
            break
        day = done_day


def attach(url: str, schema: str):
    """The Flask app bound to a schema an earlier run kept (migrated to the current head first)."""
    from app import create_app
    from app.migrate import upgrade

    scoped = schema_url(url, schema)
    upgrade(scoped)
    return create_app(
        {"TONGBAN_DATABASE_URL": scoped, "TONGBAN_DATA_DIR": tempfile.mkdtemp(prefix="tb-bench-")}
    )


def drop(url: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'drop schema if exists "{schema}" cascade'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--schema", default="bench_supervision")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the schema (default: drop it at the end)")
    args = parser.parse_args()
    app, seconds = generate(args.url, args.schema, args.cases, args.open)
    print(f"generated {args.cases} cases ({args.open} open) in schema {args.schema} in {seconds:.1f} s")
    app.extensions["tongban.engine"].dispose()
    if not args.keep:
        drop(args.url, args.schema)
        print(f"dropped schema {args.schema}")


if __name__ == "__main__":
    main()
