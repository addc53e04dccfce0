"""Supervision bench on PostgreSQL: the daily sweep and each cockpit query at scale (prints figures).

    .venv/bin/python bench/supervision.py [--cases 1000000] [--open 100000] [--url URL] [--keep]

Generates the data set with bench/generate_cases.py in its own schema (dropped afterwards unless
--keep), then times: the first sweep (raises the initial alerts), the next day's sweep (every open
clock moves), and each cockpit query (median of 5 runs after one warm-up run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.generate_cases import DEFAULT_URL, attach, drop, generate  # noqa: E402


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def median_ms(fn, runs: int = 5) -> float:
    fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def bench_sweeps(app, now: datetime) -> None:
    """Each sweep exactly as the scheduler runs it (alerts.sweep: lights, alerts, resolutions, cards,
    notifications, one commit), with the clock service's part timed on its own inside it."""
    from app.models import Session
    from app.services import alerts, clocks

    days = (
        ("first sweep (initial alerts)", now),
        ("next day's sweep", now + timedelta(days=1)),
        ("day after", now + timedelta(days=2)),
        ("same-day repeat (nothing new)", now + timedelta(days=2, hours=1)),
    )
    refresh = clocks.refresh_lights
    spent: list[float] = []

    def timed_refresh(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return refresh(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - t0)

    alerts.clocks.refresh_lights = timed_refresh  # the same function, with a stopwatch
    try:
        with app.app_context():
            for label, at in days:
                spent.clear()
                seconds, out = timed(lambda at=at: alerts.sweep(None, at))
                lights = out.pop("lights")
                print(
                    f"{label}: sweep {seconds:.2f} s = refresh_lights {spent[0]:.2f} s {lights} "
                    f"+ alerts, cards, notifications {seconds - spent[0]:.2f} s {out}"
                )
                Session.remove()
    finally:
        alerts.clocks.refresh_lights = refresh


def bench_cockpit(app, now: datetime) -> None:
    from sqlalchemy import select

    from app.models import Session, User
    from app.services import cockpit, heatmap
    from app.services.auth import Actor
    from engine.workcal import local_date

    today = local_date(now)
    with app.app_context():
        sup = Actor.of(Session.scalar(select(User).where(User.username == "supervisor")))
        period = cockpit.month_period(None, today)
        queries = {
            "by_light": lambda: cockpit.by_light(sup),
            "by_item": lambda: cockpit.by_item(sup),
            "by_department": lambda: cockpit.by_department(sup),
            "unconfirmed_waiting": lambda: cockpit.unconfirmed_waiting(sup),
            "performance (month)": lambda: cockpit.performance(sup, period),
            "overdue (first 50 + total)": lambda: cockpit.overdue(sup, limit=50),
            "trends by week (12)": lambda: cockpit.trends(sup, today, "week", 12),
            "trends by month (12)": lambda: cockpit.trends(sup, today, "month", 12),
            "heatmap eia_report_form (30 days)": lambda: heatmap.heatmap(sup, "eia_report_form", now, 30),
        }
        for name, fn in queries.items():
            print(f"cockpit {name}: {median_ms(fn):.1f} ms")
            Session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--schema", default="bench_supervision")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time against the schema a --keep run left (no generation; implies --keep)",
    )
    args = parser.parse_args()
    now = datetime.now(UTC)
    if args.reuse:
        args.keep = True
        app = attach(args.url, args.schema)
        print(
            f"data set: reused schema {args.schema} (its sweeps have run before: 'first sweep' is not a first)"
        )
    else:
        app, seconds = generate(args.url, args.schema, args.cases, args.open, today=now.date())
        print(
            f"data set: {args.cases} cases, {args.open} open, generated in {seconds:.1f} s "
            f"(PostgreSQL, schema {args.schema})"
        )
    try:
        with app.app_context():
            from app.models import Session
            from app.services.summary import rebuild_summary

            t0 = time.perf_counter()
            rows = rebuild_summary()  # the generator COPYs cases past the case events: fill the summary once
            print(f"daily summary rebuilt from the cases: {rows} rows in {time.perf_counter() - t0:.1f} s")
            Session.remove()
        bench_sweeps(app, now)
        print("cockpit right after the sweeps (100k rows just updated, visibility map not yet refreshed):")
        bench_cockpit(app, now + timedelta(days=2))
        raw = app.extensions["tongban.engine"].raw_connection()
        raw.driver_connection.autocommit = True
        raw.driver_connection.execute("VACUUM ANALYZE case_file")
        raw.driver_connection.execute("VACUUM ANALYZE case_task")
        raw.close()
        print("cockpit after VACUUM ANALYZE (what autovacuum does between sweeps):")
        bench_cockpit(app, now + timedelta(days=2))
    finally:
        app.extensions["tongban.engine"].dispose()
        if not args.keep:
            drop(args.url, args.schema)
            print(f"dropped schema {args.schema}")


if __name__ == "__main__":
    main()
