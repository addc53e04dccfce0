"""Inbox page speed: N open tasks generated in bulk, the /inbox/ page timed over HTTP on loopback.

Usage: .venv/bin/python bench/inbox.py [--tasks 100000] [--requests 200] [--one-group]
       .venv/bin/python bench/inbox.py --pg-schema bench_supervision   # PostgreSQL, 1M cases / 100k open
Prints p50/p95 of the whole page (login session, filters off, first page sorted by urgency) and of a
filtered search. Not a test: it uses its own throw-away SQLite database under a temporary folder.
--one-group puts every open task into env/clerk (worst case for one caseworker); by default the
tasks are spread over the two departments and three roles, as in production.
--pg-schema times the same pages on the PostgreSQL schema that `bench/supervision.py --keep` left
(bench/generate_cases.py: 1M cases, 100k open, their steps spread over the items' departments and roles).
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

PASSWORD = "bench-pass-1"


def build(tmp: Path):
    from app import create_app
    from app.migrate import upgrade
    from app.models import Session
    from app.services.catalogue import load_catalogue
    from app.services.users import seed_demo_users

    url = f"sqlite:///{tmp / 'bench.sqlite'}"
    upgrade(url)
    app = create_app(
        {"TONGBAN_DATABASE_URL": url, "TONGBAN_DATA_DIR": str(tmp), "TONGBAN_SECRET_KEY": "bench"}
    )
    with app.app_context():
        load_catalogue()
        seed_demo_users(PASSWORD)
        Session.remove()
    return app


def generate(app, n: int, one_group: bool) -> None:
    from app.models import Case, CaseTask, ServiceItem, Session, User
    from app.services.casenumbers import make_case_no

    rng = random.Random(42)
    with app.app_context():
        items = list(Session.scalars(select(ServiceItem)))
        by_dept: dict[str, list] = {}
        for item in items:
            by_dept.setdefault(item.department_code, []).append(item)
        clerk_id = Session.scalar(select(User.id).where(User.username == "env_clerk"))
        groups = (
            [("env", "clerk")]
            if one_group
            else [(d, r) for d in by_dept for r in ("clerk", "reviewer", "decider")]
        )
        names = ["厦门", "福州", "泉州", "漳州", "莆田"]
        now = datetime.now(UTC)
        today = date.today()
        engine = Session.get_bind()
        batch = 5000
        with engine.begin() as conn:
            for start in range(0, n, batch):
                cases, tasks = [], []
                for i in range(start, min(n, start + batch)):
                    dept, role = groups[i % len(groups)]
                    item = by_dept[dept][i % len(by_dept[dept])]
                    case_id = i + 1
                    submitted = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
                    cases.append(
                        dict(
                            id=case_id,
                            case_no=make_case_no(case_id, submitted),
                            item_id=item.id,
                            process_version=item.current_version,
                            department_code=dept,
                            applicant_kind="entity",
                            applicant_name=f"{rng.choice(names)}{i:06d}科技有限公司",
                            applicant_id_no="91350200MA2Y8K3Q1P",
                            status="in_progress",
                            data={},
                            state="{}",
                            state_format="bench",
                            lock_version=1,
                            submitted_at=submitted,
                            updated_at=submitted,
                            clock_inputs={},
                            deemed_accepted=False,
                            deadline_confirmed=True,
                            clock_paused=False,
                            extension_wd=0,
                        )
                    )
                    light = rng.choices(["green", "yellow", "red"], [80, 15, 5])[0]
                    deadline = today + timedelta(days=rng.randint(-5, 20))
                    claimed = role == "clerk" and dept == "env" and i % 50 == 0
                    tasks.append(
                        dict(
                            id=case_id,
                            case_id=case_id,
                            item_id=item.id,
                            spiff_task_id=f"bench-{i}",
                            bpmn_id=["accept", "review", "decide"][
                                ("clerk", "reviewer", "decider").index(role)
                            ],
                            name={"clerk": "受理审查", "reviewer": "技术审查", "decider": "作出决定"}[role],
                            role=role,
                            department_code=dept,
                            state="claimed" if claimed else "ready",
                            assignee_id=clerk_id if claimed else None,
                            form="accept.json",
                            properties={},
                            created_at=submitted,
                            started_on=submitted.date(),
                            limit_wd=5,
                            deadline=deadline,
                            deadline_confirmed=True,
                            light=light,
                            used_wd=rng.randint(0, 5),
                            remaining_wd=rng.randint(-3, 5),
                        )
                    )
                conn.execute(insert(Case), cases)
                conn.execute(insert(CaseTask), tasks)
        Session.remove()


def timed(session: requests.Session, url: str, count: int) -> list[float]:
    out = []
    for _ in range(count):
        t = time.perf_counter()
        resp = session.get(url, timeout=30)
        out.append((time.perf_counter() - t) * 1000)
        assert resp.status_code == 200, resp.status_code
    return out


def report(label: str, samples: list[float]) -> None:
    samples = sorted(samples)
    p95 = samples[max(0, int(len(samples) * 0.95) - 1)]
    print(f"{label:<44} n={len(samples):4d}  p50={statistics.median(samples):7.1f} ms  p95={p95:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--one-group", action="store_true")
    parser.add_argument("--pg-schema", help="a schema kept by bench/supervision.py --keep (PostgreSQL)")
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if args.pg_schema:
            from bench.generate_cases import attach

            app, password, search = attach(args.url, args.pg_schema), "bench-pass-123", "企业12"
            with app.app_context():
                from sqlalchemy import func

                from app.models import Case, CaseTask, Session
                from app.models.vocab import OPEN_TASK_STATES

                n_cases = Session.scalar(select(func.count(Case.id)))
                n_open = Session.scalar(
                    select(func.count(CaseTask.id)).where(CaseTask.state.in_(OPEN_TASK_STATES))
                )
                mine = Session.scalar(
                    select(func.count(CaseTask.id)).where(
                        CaseTask.state.in_(OPEN_TASK_STATES),
                        CaseTask.department_code == "env",
                        CaseTask.role == "clerk",
                    )
                )
                Session.remove()
            print(
                f"PostgreSQL schema {args.pg_schema}: {n_cases} cases, {n_open} open tasks, {mine} in env/clerk"
            )
        else:
            app, password, search = build(tmp), PASSWORD, "厦门000"
            t = time.perf_counter()
            generate(app, args.tasks, args.one_group)
            print(
                f"generated {args.tasks} open tasks in {time.perf_counter() - t:.1f} s ({'one group' if args.one_group else 'spread over 2 departments x 3 roles'})"
            )
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        http = requests.Session()
        page = http.get(f"{base}/login").text
        csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        resp = http.post(
            f"{base}/login",
            data={"username": "env_clerk", "password": password, "csrf_token": csrf},
            allow_redirects=False,
        )
        assert resp.status_code == 302, resp.status_code
        timed(http, f"{base}/inbox/", 10)  # warm-up
        report("inbox, first page, urgency order", timed(http, f"{base}/inbox/", args.requests))
        report("inbox, page 50", timed(http, f"{base}/inbox/?page=50", args.requests))
        report("inbox, light=red", timed(http, f"{base}/inbox/?light=red", args.requests))
        report(
            "inbox, search by applicant prefix",
            timed(http, f"{base}/inbox/?q={urllib.parse.quote(search)}", args.requests),
        )
        server.shutdown()


if __name__ == "__main__":
    main()
