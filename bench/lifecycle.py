"""Lifecycle benchmark over HTTP against a production server (gunicorn), loopback only.

For each database (SQLite, PostgreSQL): set up a fresh database, start gunicorn, and for a bounded
time run the standard lifecycle with N concurrent clients — create a case, find its task in the
inbox, complete every task to the end — for the one-task model of bench/approval.bpmn (a copy of ../shared/bench/approval.bpmn) and
for the EIA item. Then run the same one-task model on bare SpiffWorkflow in one process (no HTTP,
no database) as the ceiling, and print lifecycles/s, p50/p95 per request kind and the ratio.

    .venv/bin/python bench/lifecycle.py [--db sqlite|postgres|both] [--clients 4] [--seconds 15]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
PASSWORD = "bench-pass-1"
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


class Server:
    def __init__(self, db: str, workers: int, worker_class: str = "sync", threads: int = 1) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="tongban-bench-"))
        self.schema = None
        if db == "sqlite":
            self.url = f"sqlite:///{self.tmp / 'bench.sqlite'}"
        else:
            from sqlalchemy import create_engine, text

            self.schema = f"tb_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'create schema "{self.schema}"'))
            admin.dispose()
            self.url = f"{PG_URL}?options=-csearch_path%3D{self.schema}"
        self.env = {
            **os.environ,
            "TONGBAN_DATABASE_URL": self.url,
            "TONGBAN_DATA_DIR": str(self.tmp),
            "TONGBAN_DEMO_PASSWORD": PASSWORD,
            "TONGBAN_SCHEDULER": "0",
            # gunicorn means production; the bench needs demo users and a throwaway key
            "TONGBAN_ENV": "development",
            "TONGBAN_LOGIN_RATE_LIMIT": "100000 per minute",
        }
        flask = [str(BIN / "flask"), "--app", "app"]
        for args in (
            ["db", "upgrade"],
            ["seed-demo"],
            ["deploy-item", "bench/items/simple_approval", "--forms-dir", "bench/forms"],
        ):
            subprocess.run(flask + args, cwd=ROOT, env=self.env, check=True, capture_output=True)
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                str(workers),
                "-k",
                worker_class,
                "--threads",
                str(threads),
                "-b",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "app:create_app()",
            ],
            cwd=ROOT,
            env=self.env,
        )
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        deadline = time.monotonic() + 240  # a shared, loaded machine starts 4 workers slowly
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.base}/openapi.json", timeout=10).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)
        if self.schema:
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'drop schema "{self.schema}" cascade'))
            admin.dispose()
        shutil.rmtree(self.tmp, ignore_errors=True)


def token(base: str, user: str) -> str:
    return requests.post(
        f"{base}/auth/token", json={"username": user, "password": PASSWORD}, timeout=10
    ).json()["token"]


SIMPLE = {
    "item": "simple_approval",
    "application": {"subject": "bench"},
    "steps": [("clerk", "Task_approve", {"approved": True})],
}


def eia_model() -> dict:
    sc = yaml.safe_load(
        (ROOT / "processes/eia_report_form/scenarios/accept_approve.yaml").read_text(encoding="utf-8")
    )
    # the scenario's dates are in the past: delivery on the day of the run, in Shanghai (the server's day)
    today = (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y-%m-%d")
    steps = [
        (
            s["role"],
            s["task"],
            {**s["data"], **{k: today for k in ("issue_date", "delivered_on") if k in s["data"]}},
        )
        for s in sc["steps"]
    ]
    return {"item": "eia_report_form", "application": sc["application"], "steps": steps}


def applicant_of(app: dict) -> dict:
    if "applicant_id_number" in app:
        return {
            "kind": app["applicant_kind"],
            "name": app["applicant_name"],
            "id_no": app["applicant_id_number"],
            "phone": app.get("contact_phone"),
        }
    return {"kind": "person", "name": "林晓", "id_no": "11010519491231002X", "phone": "13800000000"}


class Response:
    def __init__(self, status: int, body: bytes) -> None:
        self.status_code = status
        self.text = body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.text)


class Client:
    """A keep-alive HTTP/1.1 client on http.client: the load generator shares the machine's two cores
    with the server, so it should cost as little as possible."""

    def __init__(self, base: str) -> None:
        url = urllib.parse.urlsplit(base)
        self.prefix = url.path
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def request(self, method: str, path: str, payload, headers: dict) -> Response:
        body = json.dumps(payload).encode() if payload is not None else None
        hdrs = {**headers, "Content-Type": "application/json"} if body is not None else headers
        self.conn.request(method, self.prefix + path, body=body, headers=hdrs)
        resp = self.conn.getresponse()
        return Response(resp.status, resp.read())


def run_clients(base: str, model: dict, clients: int, seconds: float, max_lifecycles: int) -> dict:
    tokens = {
        r: token(base, u)
        for r, u in (
            ("applicant", "applicant"),
            ("clerk", "env_clerk"),
            ("reviewer", "env_reviewer"),
            ("decider", "env_decider"),
        )
    }
    lat: dict[str, list[float]] = defaultdict(list)
    done = [0]
    errors = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def timed(kind: str, fn):
        t0 = time.perf_counter()
        resp = fn()
        dt = (time.perf_counter() - t0) * 1000
        with lock:
            lat[kind].append(dt)
        if resp.status_code >= 400:
            errors.append((kind, resp.status_code, resp.text[:200]))
            raise RuntimeError(resp.text)
        return resp.json()

    def client():
        s = Client(base)
        hdr = {r: {"Authorization": f"Bearer {t}"} for r, t in tokens.items()}
        body = {
            "item_code": model["item"],
            "applicant": applicant_of(model["application"]),
            "data": model["application"],
        }
        while time.monotonic() < stop_at:
            with lock:
                if done[0] >= max_lifecycles:
                    return
            try:
                case_no = timed("create", lambda: s.request("POST", "/cases", body, hdr["applicant"]))[
                    "case_no"
                ]
                for role, task_id, data in model["steps"]:
                    inbox = timed(
                        "inbox", lambda role=role: s.request("GET", "/tasks?limit=500", None, hdr[role])
                    )["tasks"]
                    task = next(t for t in inbox if t["case_no"] == case_no and t["bpmn_id"] == task_id)
                    timed(
                        "complete",
                        lambda role=role, task=task, data=data: s.request(
                            "POST", f"/tasks/{task['id']}/complete", {"data": data}, hdr[role]
                        ),
                    )
            except Exception:  # noqa: BLE001, S112 - counted in errors, the bench goes on
                continue
            with lock:
                done[0] += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {
        "lifecycles": done[0],
        "seconds": elapsed,
        "rate": done[0] / elapsed,
        "lat": lat,
        "errors": errors,
    }


def bare_engine(seconds: float) -> float:
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(ROOT / "bench/approval.bpmn"))
    spec = parser.get_spec("Process_approval")
    ser = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    n = 0
    stop_at = time.perf_counter() + seconds
    t0 = time.perf_counter()
    while time.perf_counter() < stop_at:
        wf = BpmnWorkflow(spec)
        wf.do_engine_steps()
        wf = ser.deserialize_json(ser.serialize_json(wf))
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.set_data(approved=True)
        task.run()
        wf.do_engine_steps()
        wf = ser.deserialize_json(ser.serialize_json(wf))
        assert wf.is_completed()
        n += 1
    return n / (time.perf_counter() - t0)


def report(name: str, res: dict) -> None:
    print(
        f"  {name}: {res['lifecycles']} lifecycles in {res['seconds']:.1f} s = {res['rate']:.1f} lifecycles/s, errors {len(res['errors'])}"
    )
    for kind, values in sorted(res["lat"].items()):
        print(
            f"    {kind:9s} n={len(values):6d}  p50 {statistics.median(values):6.1f} ms  p95 {pct(values, 0.95):6.1f} ms"
        )
    for e in res["errors"][:3]:
        print(f"    error: {e}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--max-lifecycles", type=int, default=20000)
    ap.add_argument("--worker-class", default="sync", help="gunicorn -k: sync or gthread")
    ap.add_argument("--threads", type=int, default=1, help="gunicorn --threads (gthread)")
    ap.add_argument("--no-eia", action="store_true", help="only the one-task model")
    ap.add_argument("--round-trips", action="store_true", help="also print bench/roundtrips.py's table")
    args = ap.parse_args()
    ceiling = bare_engine(min(args.seconds, 5))
    print(f"bare SpiffWorkflow ceiling (one process, save/restore per step): {ceiling:.0f} lifecycles/s")
    for db in ("sqlite", "postgres") if args.db == "both" else (args.db,):
        print(
            f"\n== {db}: gunicorn -w {args.workers} -k {args.worker_class} --threads {args.threads}, "
            f"{args.clients} concurrent clients, {args.seconds:.0f} s per model =="
        )
        if args.round_trips:
            from bench.roundtrips import measure, print_table

            print_table(db, measure(db, 10))
        server = Server(db, args.workers, args.worker_class, args.threads)
        try:
            simple = run_clients(server.base, SIMPLE, args.clients, args.seconds, args.max_lifecycles)
            report("simple one-task model", simple)
            print(f"    HTTP / bare-engine ratio: {simple['rate'] / ceiling:.1%}")
            if args.no_eia:
                continue
            report(
                "EIA item (accept, review, decide, issue)",
                run_clients(server.base, eia_model(), args.clients, args.seconds, args.max_lifecycles),
            )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
