"""Benchmark of the legal clock (prints figures; not a test).

    .venv/bin/python bench/clock.py [--calls N] [--seed S]

Part 1, ``bench_pure()``: add_workdays and compute_clock calls per second on a calendar seeded from the
chinese_calendar package (2004-2026 confirmed).  A later part (recompute of open cases in the database)
can be added as another ``bench_*`` function and called from ``main()``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def build_calendar(first_confirmed: int = 2004, last_confirmed: int = 2026):
    """WorkCalendar seeded from the chinese_calendar package, the way the app seeds its table."""
    import chinese_calendar

    from engine.workcal import WorkCalendar

    days: dict[date, bool] = {}
    for d in chinese_calendar.holidays:
        if first_confirmed <= d.year <= last_confirmed:
            days[d] = False
    for d in chinese_calendar.workdays:
        if first_confirmed <= d.year <= last_confirmed:
            days[d] = True
    return WorkCalendar(days, confirmed_years=range(first_confirmed, last_confirmed + 1))


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} calls/s ({seconds * 1e9 / n:,.0f} ns/call)"


def bench_pure(calls: int = 1_000_000, seed: int = 20260212) -> dict[str, float]:
    """Time add_workdays, count_workdays and compute_clock on ``calls`` random inputs; return calls/s."""
    from engine.clocks import ClockInput, Extension, Pause, Thresholds, compute_clock

    t0 = time.perf_counter()
    cal = build_calendar()
    build_s = time.perf_counter() - t0
    print(f"calendar build: {build_s * 1000:.1f} ms ({cal!r})")

    rng = random.Random(seed)
    lo = date(2004, 1, 1).toordinal()
    hi = date(2027, 12, 31).toordinal()
    starts = [date.fromordinal(rng.randint(lo, hi)) for _ in range(calls)]
    ns = [rng.randint(0, 60) for _ in range(calls)]
    pairs = list(zip(starts, ns, strict=True))
    results: dict[str, float] = {"build_ms": build_s * 1000}

    add = cal.add_workdays
    t0 = time.perf_counter()
    for s, n in pairs:
        add(s, n)
    dt = time.perf_counter() - t0
    results["add_workdays_per_s"] = calls / dt
    print(f"add_workdays   x{calls:,}: {_rate(calls, dt)}")

    ends = [s + timedelta(days=n * 2) for s, n in pairs]
    count = cal.count_workdays
    t0 = time.perf_counter()
    for s, e in zip(starts, ends, strict=True):
        count(s, e)
    dt = time.perf_counter() - t0
    results["count_workdays_per_s"] = calls / dt
    print(f"count_workdays x{calls:,}: {_rate(calls, dt)}")

    # Realistic clocks: a third plain, a third with a closed correction pause, a sixth with an open
    # pause, a sixth with a pause and an extension; "today" 0-90 days after the start.
    thresholds = Thresholds()
    n_clocks = calls
    clocks = []
    for s, n in pairs[:n_clocks]:
        r = rng.random()
        today = s + timedelta(days=rng.randint(0, 90))
        if r < 1 / 3:
            c = ClockInput("promised", s, n)
        elif r < 2 / 3:
            p0 = s + timedelta(days=rng.randint(0, 10))
            c = ClockInput(
                "promised", s, n, pauses=(Pause(p0, p0 + timedelta(days=rng.randint(1, 30)), "补正"),)
            )
        elif r < 5 / 6:
            c = ClockInput(
                "promised", s, n, pauses=(Pause(s + timedelta(days=rng.randint(0, 10)), None, "补正"),)
            )
        else:
            p0 = s + timedelta(days=rng.randint(0, 10))
            c = ClockInput(
                "promised",
                s,
                n,
                pauses=(
                    Pause(p0, p0 + timedelta(days=5), "补正"),
                    Pause(p0 + timedelta(days=3), None, "专家评审"),
                ),
                extensions=(Extension(10, "延期", s),),
            )
        clocks.append((c, today))
    t0 = time.perf_counter()
    for c, today in clocks:
        compute_clock(cal, c, today, thresholds)
    dt = time.perf_counter() - t0
    results["compute_clock_per_s"] = n_clocks / dt
    print(f"compute_clock  x{n_clocks:,}: {_rate(n_clocks, dt)}")
    return results


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--calls", type=int, default=1_000_000, help="random (start, n) pairs (default 1,000,000)"
    )
    ap.add_argument("--seed", type=int, default=20260212)
    args = ap.parse_args(argv)
    if args.calls <= 0:
        ap.error("--calls must be positive")
    print(f"Python {sys.version.split()[0]}")
    bench_pure(args.calls, args.seed)


if __name__ == "__main__":
    main()
