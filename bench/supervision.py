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

from bench.generate_cases import DEFAULT_URL, drop, generate  # noqa: E402


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
    from app.models import Session
    from app.services import alerts, clocks
    from engine.workcal import local_date

    with app.app_context():
        for label, at in (("first sweep (initial alerts)", now), ("next day's sweep (every open clock moves)", now + timedelta(days=1))):
            total_s, result = timed(lambda at=at: alerts.sweep(None, at))
            print(f"{label}: {total_s:.2f} s total; lights {result['lights']}; new alerts {result['case_alerts']} cases "
                  f"+ {result['task_alerts']} steps; {result['notifications']} notifications; {result['yellow_cards']} cards")
            Session.remove()
        at = now + timedelta(days=2)
        lights_s, _ = timed(lambda: clocks.refresh_lights(local_date(at)))
        alert_s, counts = timed(lambda: (alerts.raise_alerts(local_date(at), at), alerts.resolve_closed(at), Session.commit()))
        print(f"day after: refresh_lights (clock service) {lights_s:.2f} s, alert part (set-based raise + resolve) "
              f"{alert_s * 1000:.0f} ms {counts[0]}")
        repeat_s, _ = timed(lambda: alerts.sweep(None, at + timedelta(hours=1)))
        print(f"same-day repeat sweep (nothing new): {repeat_s:.2f} s")
        Session.remove()


def bench_cockpit(app, now: datetime) -> None:
    from sqlalchemy import select

    from app.models import Session, User
    from app.services import cockpit
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
            "heatmap eia_report_form (30 days)": lambda: cockpit.heatmap(sup, "eia_report_form", now, 30),
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
    args = parser.parse_args()
    now = datetime.now(UTC)
    app, seconds = generate(args.url, args.schema, args.cases, args.open, today=now.date())
    print(f"data set: {args.cases} cases, {args.open} open, generated in {seconds:.1f} s (PostgreSQL, schema {args.schema})")
    try:
        bench_sweeps(app, now)
        bench_cockpit(app, now + timedelta(days=1))
    finally:
        app.extensions["tongban.engine"].dispose()
        if not args.keep:
            drop(args.url, args.schema)
            print(f"dropped schema {args.schema}")


if __name__ == "__main__":
    main()
