"""Memory soak: one worker process runs N one-task lifecycles (create → inbox → complete) and prints its
resident set size every --every lifecycles (Linux /proc/self/status VmRSS).

    .venv/bin/python bench/soak.py [--db sqlite|postgres] [--lifecycles 10000] [--every 2000]

The requests go through the WSGI app in process (Flask's test client), the same code a gunicorn worker
runs per request; the first --every lifecycles warm the caches (parsed processes, forms, templates) and
the growth is counted from there. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.roundtrips import cleanup, prepare  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--lifecycles", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=2_000)
    args = parser.parse_args()
    app, client, applicant, clerk, body, tmp, schema = prepare(args.db)
    try:
        t0 = time.perf_counter()
        base = None
        print(f"{args.db}: {args.lifecycles} one-task lifecycles in one process, RSS every {args.every}")
        for n in range(1, args.lifecycles + 1):
            r = client.post("/api/v1/cases", json=body, headers=applicant)
            assert r.status_code == 201, r.get_data(as_text=True)
            case_no = r.get_json()["case_no"]
            r = client.get("/api/v1/tasks?limit=50", headers=clerk)  # one open task at a time
            task = next(t for t in r.get_json()["tasks"] if t["case_no"] == case_no)
            r = client.post(
                f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approved": True}}, headers=clerk
            )
            assert r.status_code == 200, r.get_data(as_text=True)
            if n % args.every == 0:
                gc.collect()
                now = rss_mb()
                base = now if base is None else base
                print(
                    f"  after {n:6d}: RSS {now:7.1f} MB  growth since {args.every}: {now - base:+6.1f} MB"
                    f"  ({n / (time.perf_counter() - t0):.0f} lifecycles/s)"
                )
    finally:
        app.extensions["tongban.engine"].dispose()
        cleanup(tmp, schema)


if __name__ == "__main__":
    main()
