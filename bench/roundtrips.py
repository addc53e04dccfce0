"""Counts database statements and round trips per request kind (SQLAlchemy events), in process.

Builds the app on a fresh database (SQLite, or a throwaway PostgreSQL schema), deploys the one-task
model, and runs lifecycles (create → inbox → complete) through the Flask test client while event
listeners count, per request:

- ``stmt``: statements sent (``before_cursor_execute``; an insertmanyvalues batch counts once),
- ``begin`` / ``commit`` / ``rollback``: transaction control that reaches the database (psycopg sends
  BEGIN before the first statement of a transaction, and COMMIT/ROLLBACK only when one is open; the
  pool's reset-on-return counts when it really rolls back; SQLite's BEGIN is not counted, it is in
  process),
- ``ping``: pool pre-pings on checkout (``dialect.do_ping``),
- ``trips``: what reaches the server: stmt + begin + commit + rollback + ping on PostgreSQL (psycopg
  sends BEGIN as its own query); SQLite is in process, its figure is the same sum for comparison.

    .venv/bin/python bench/roundtrips.py [--db sqlite|postgres|both] [--lifecycles 20]

Also importable: ``bench.lifecycle`` prints the same table next to its throughput figures.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "bench-pass-1"
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KINDS = ("create", "inbox", "complete")


class Counting:
    """Event listeners on one engine; ``take()`` returns and resets the counts since the last take."""

    def __init__(self, engine: Any) -> None:
        self.counts: Counter[str] = Counter()
        self.sql: list[str] = []
        c = self.counts

        def in_tx(dbapi: Any) -> bool:
            info = getattr(dbapi, "info", None)  # psycopg: the server's transaction status, known locally
            if info is not None and hasattr(info, "transaction_status"):
                return int(info.transaction_status) != 0  # 0 = IDLE: commit/rollback send nothing
            return bool(getattr(dbapi, "in_transaction", True))

        @event.listens_for(engine, "before_cursor_execute")
        def _stmt(conn, _cur, statement, _params, _ctx, _many):  # noqa: ANN001
            c["stmt"] += 1
            dbapi = conn.connection.dbapi_connection
            if hasattr(dbapi, "info") and not dbapi.autocommit and not in_tx(dbapi):
                c["begin"] += 1  # psycopg sends BEGIN as a query of its own before this one
            self.sql.append(statement.split("\n")[0][: int(os.environ.get("RT_SQL_WIDTH", "100"))])

        @event.listens_for(engine, "commit")
        def _commit(conn):  # noqa: ANN001
            if in_tx(conn.connection.dbapi_connection):
                c["commit"] += 1

        @event.listens_for(engine, "rollback")
        def _rollback(conn):  # noqa: ANN001
            if in_tx(conn.connection.dbapi_connection):
                c["rollback"] += 1

        @event.listens_for(engine.pool, "reset")
        def _reset(dbapi, _rec, *_state):  # noqa: ANN001
            if in_tx(dbapi):
                c["rollback"] += 1

        @event.listens_for(engine.pool, "checkout")
        def _checkout(_dbapi, _rec, _proxy):  # noqa: ANN001
            c["checkout"] += 1

        dialect = engine.dialect
        original = dialect.do_ping

        def _ping(dbapi_connection):  # noqa: ANN001
            c["ping"] += 1
            return original(dbapi_connection)

        dialect.do_ping = _ping

    def take(self) -> Counter[str]:
        out = Counter(self.counts)
        self.counts.clear()
        self.sql.clear()
        out["trips"] = out["stmt"] + out["begin"] + out["commit"] + out["rollback"] + out["ping"]
        return out


def _fresh_url(db: str, tmp: Path) -> tuple[str, str | None]:
    if db == "sqlite":
        return f"sqlite:///{tmp / 'rt.sqlite'}", None
    schema = f"tb_rt_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    admin.dispose()
    return f"{PG_URL}?options=-csearch_path%3D{schema}", schema


def prepare(db: str) -> tuple[Any, Any, dict[str, str], dict[str, str], dict[str, Any], Path, str | None]:
    """A fresh database with the demo users and the one-task bench item deployed; the app, its test
    client, the applicant's and the clerk's token headers, the filing body, the folder and the schema."""
    tmp = Path(tempfile.mkdtemp(prefix="tongban-rt-"))
    url, schema = _fresh_url(db, tmp)
    env = {
        **os.environ,
        "TONGBAN_DATABASE_URL": url,
        "TONGBAN_DATA_DIR": str(tmp),
        "TONGBAN_DEMO_PASSWORD": PASSWORD,
        "TONGBAN_SCHEDULER": "0",
        "TONGBAN_ENV": "development",
        "TONGBAN_LOGIN_RATE_LIMIT": "100000 per minute",
    }
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "app"]
    for args in (
        ["db", "upgrade"],
        ["seed-demo"],
        ["deploy-item", "bench/items/simple_approval", "--forms-dir", "bench/forms"],
    ):
        subprocess.run(flask + args, cwd=ROOT, env=env, check=True, capture_output=True)
    os.environ.update(env)
    from app import create_app

    app = create_app()
    client = app.test_client()

    def tok(user: str) -> dict[str, str]:
        r = client.post("/api/v1/auth/token", json={"username": user, "password": PASSWORD})
        return {"Authorization": f"Bearer {r.get_json()['token']}"}

    body = {
        "item_code": "simple_approval",
        "applicant": {"kind": "person", "name": "林晓", "id_no": "11010519491231002X", "phone": None},
        "data": {"subject": "bench"},
    }
    return app, client, tok("applicant"), tok("env_clerk"), body, tmp, schema


def cleanup(tmp: Path, schema: str | None) -> None:
    shutil.rmtree(tmp, ignore_errors=True)
    if schema:
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'drop schema if exists "{schema}" cascade'))
        admin.dispose()


def measure(
    db: str, lifecycles: int = 20, show_sql: bool = False, profile: str | None = None
) -> dict[str, dict[str, float]]:
    """Mean counts per request kind, and per lifecycle, over ``lifecycles`` one-task lifecycles."""
    app, client, applicant, clerk, body, tmp, schema = prepare(db)
    try:
        counting = Counting(app.extensions["tongban.engine"])
        totals: dict[str, Counter[str]] = defaultdict(Counter)
        profiler = cProfile.Profile() if profile else None
        client_post, client_get = client.post, client.get

        def profiled(call: Any, kind: str) -> Any:
            def run(*args: Any, **kwargs: Any) -> Any:
                if profiler is None or kind != profile or not measuring:
                    return call(*args, **kwargs)
                profiler.enable()
                try:
                    return call(*args, **kwargs)
                finally:
                    profiler.disable()

            return run

        measuring = False
        # one warm-up lifecycle (caches: token, parsed process, forms) outside the counts
        for n in range(lifecycles + 1):
            counting.take()
            measuring = n > 0
            r = profiled(client_post, "create")("/api/v1/cases", json=body, headers=applicant)
            assert r.status_code == 201, r.get_data(as_text=True)
            case_no = r.get_json()["case_no"]
            sql = {"create": list(counting.sql)}
            got = {"create": counting.take()}
            r = profiled(client_get, "inbox")("/api/v1/tasks?limit=500", headers=clerk)
            task = next(t for t in r.get_json()["tasks"] if t["case_no"] == case_no)
            sql["inbox"] = list(counting.sql)
            got["inbox"] = counting.take()
            r = profiled(client_post, "complete")(
                f"/api/v1/tasks/{task['id']}/complete", json={"data": {"approved": True}}, headers=clerk
            )
            assert r.status_code == 200, r.get_data(as_text=True)
            sql["complete"] = list(counting.sql)
            got["complete"] = counting.take()
            if n == 0:
                continue
            for kind, c in got.items():
                totals[kind].update(c)
            if show_sql and n == 1:
                for kind, lines in sql.items():
                    print(f"  -- {kind}")
                    for line in lines:
                        print(f"     {line}")
        if profiler is not None:
            print(f"  -- where {profile} spends its time ({db}, {lifecycles} requests, cumulative)")
            pstats.Stats(profiler).sort_stats(os.environ.get("RT_PROFILE_SORT", "cumulative")).print_stats(
                os.environ.get("RT_PROFILE_FILTER", "."), int(os.environ.get("RT_PROFILE_LINES", "45"))
            )
        out: dict[str, dict[str, float]] = {}
        life: Counter[str] = Counter()
        for kind in KINDS:
            out[kind] = {k: v / lifecycles for k, v in totals[kind].items()}
            life.update(totals[kind])
        out["lifecycle"] = {k: v / lifecycles for k, v in life.items()}
        app.extensions["tongban.engine"].dispose()
        return out
    finally:
        app.extensions["tongban.engine"].dispose()
        cleanup(tmp, schema)


COLUMNS = ("stmt", "begin", "commit", "rollback", "ping", "checkout", "trips")


def print_table(db: str, res: dict[str, dict[str, float]]) -> None:
    print(f"  round trips per request ({db}, mean over the measured lifecycles)")
    print("    " + f"{'request':10s}" + "".join(f"{c:>9s}" for c in COLUMNS))
    for kind in (*KINDS, "lifecycle"):
        row = res[kind]
        print("    " + f"{kind:10s}" + "".join(f"{row.get(c, 0):9.1f}" for c in COLUMNS))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--lifecycles", type=int, default=20)
    ap.add_argument("--sql", action="store_true", help="print the statements of one lifecycle")
    ap.add_argument("--profile", choices=KINDS, help="print cProfile's top functions for one request kind")
    args = ap.parse_args()
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        print_table(db, measure(db, args.lifecycles, args.sql, args.profile))


if __name__ == "__main__":
    main()
