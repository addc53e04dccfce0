"""Brute force: accounts lock after consecutive failures (also under concurrent guessing), and
login attempts per client address are rate limited on the page and the API together."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from app.models import AuditEvent, Session, User, utcnow
from tests.conftest import DEMO_PASSWORD, ROOT
from tests.security.conftest import STRONG_KEY


def _token(client, username, password, addr="127.0.0.1"):
    return client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": addr},
    )


def _actions(username: str) -> list[str]:
    Session.remove()
    return list(
        Session.scalars(
            select(AuditEvent.action).where(AuditEvent.target == f"user:{username}").order_by(AuditEvent.id)
        )
    )


def test_five_wrong_passwords_lock_the_account_and_the_right_one_is_refused(client, account):
    codes = [_token(client, account, "Wrong-pass-1").get_json()["error"]["code"] for _ in range(5)]
    assert codes == ["bad_credentials"] * 4 + ["account_locked"]
    resp = _token(client, account, DEMO_PASSWORD)
    body = resp.get_json()["error"]
    assert resp.status_code == 401 and body["code"] == "account_locked"
    assert "15" in body["message"] and body["details"]["locked_until"]
    assert _actions(account) == ["user.create"] + ["auth.login_failed"] * 5 + [
        "auth.lockout",
        "auth.login_refused",
    ]


def test_the_lock_ends_after_its_time_and_a_success_resets_the_count(client, account):
    for _ in range(5):
        _token(client, account, "Wrong-pass-1")
    Session.remove()
    Session.execute(
        update(User).where(User.username == account).values(locked_until=utcnow() - timedelta(seconds=1))
    )
    Session.commit()
    assert _token(client, account, DEMO_PASSWORD).status_code == 200
    for _ in range(4):  # four more failures after a success do not lock
        assert _token(client, account, "Wrong-pass-1").get_json()["error"]["code"] == "bad_credentials"
    assert _token(client, account, DEMO_PASSWORD).status_code == 200


def test_the_page_login_counts_towards_the_same_lockout(client, account):
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    for _ in range(4):
        client.post("/login", data={"username": account, "password": "nope", "csrf_token": csrf})
    page = client.post("/login", data={"username": account, "password": "nope", "csrf_token": csrf})
    assert page.status_code == 401 and "账户已锁定" in page.data.decode()
    assert _token(client, account, DEMO_PASSWORD).get_json()["error"]["code"] == "account_locked"


def test_the_threshold_and_duration_are_configurable(app, client, account, monkeypatch):
    monkeypatch.setattr(app.config["TONGBAN"], "lockout_threshold", 2)
    monkeypatch.setattr(app.config["TONGBAN"], "lockout_minutes", 60)
    codes = [_token(client, account, "Wrong-pass-1").get_json()["error"]["code"] for _ in range(2)]
    assert codes == ["bad_credentials", "account_locked"]
    Session.remove()
    until = Session.scalar(select(User.locked_until).where(User.username == account))
    assert timedelta(minutes=59) < until - utcnow() <= timedelta(minutes=60)


def test_concurrent_guesses_get_no_more_password_checks_than_the_threshold(live_server, account):
    """40 wrong passwords at once (the attack of the issue): at most 5 are compared, then the
    right password is refused too."""

    def guess(i):
        return requests.post(
            f"{live_server}/api/v1/auth/token",
            json={"username": account, "password": f"Guess-{i}-x"},
            timeout=30,
        ).json()["error"]["code"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(guess, range(40)))
    assert set(codes) <= {"bad_credentials", "account_locked"} and "account_locked" in codes
    compared = [a for a in _actions(account) if a == "auth.login_failed"]
    assert len(compared) <= 5
    right = requests.post(
        f"{live_server}/api/v1/auth/token", json={"username": account, "password": DEMO_PASSWORD}, timeout=30
    )
    assert right.status_code == 401 and right.json()["error"]["code"] == "account_locked"


def test_unknown_users_fail_like_wrong_passwords_and_are_audited(client):
    name = f"ghost_{uuid.uuid4().hex[:6]}"
    resp = _token(client, name, "Whatever-1")
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_credentials"
    Session.remove()
    row = Session.scalar(select(AuditEvent).where(AuditEvent.target == f"user:{name}"))
    assert row.action == "auth.login_failed" and row.actor_id is None and row.actor_name == name
    assert row.after["reason"] == "unknown_user" and row.after["client"] == "127.0.0.1"


# -- rate limit ---------------------------------------------------------------------------------


@pytest.fixture
def low_limit(app, monkeypatch):
    monkeypatch.setattr(app.config["TONGBAN"], "login_rate_limit", "3 per minute")
    app.extensions["tongban.limiter"].reset()
    yield
    app.extensions["tongban.limiter"].reset()


def test_login_attempts_per_address_are_rate_limited_across_page_and_api(client, low_limit):
    addr = "198.51.100.7"
    assert _token(client, "nobody_x", "Wrong-pass-1", addr).status_code == 401
    assert _token(client, "nobody_y", "Wrong-pass-1", addr).status_code == 401
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    page = client.post(
        "/login",
        data={"username": "z", "password": "y", "csrf_token": csrf},
        environ_base={"REMOTE_ADDR": addr},
    )
    assert page.status_code == 401
    blocked = _token(client, "env_clerk", DEMO_PASSWORD, addr)
    assert blocked.status_code == 429
    assert blocked.get_json()["error"]["code"] == "too_many_requests"
    assert int(blocked.headers["Retry-After"]) > 0
    page = client.post(
        "/login",
        data={"username": "z", "password": "y", "csrf_token": csrf},
        environ_base={"REMOTE_ADDR": addr},
    )
    assert page.status_code == 429 and "登录尝试过于频繁" in page.data.decode()
    # another address is not affected; GET of the login page is not an attempt
    assert _token(client, "env_clerk", DEMO_PASSWORD, "198.51.100.8").status_code == 200
    assert client.get("/login", environ_base={"REMOTE_ADDR": addr}).status_code == 200


def _redis_or_skip(url: str = "127.0.0.1") -> None:
    try:
        with socket.create_connection((url, 6379), timeout=2) as s:
            s.sendall(b"PING\r\n")
            if not s.recv(16).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as exc:
        pytest.skip(f"no Redis server answers at {url}:6379: {exc}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_workers_count_login_attempts_together_in_redis(app, database_url, tmp_path):
    """Two production workers with Redis storage: the limit holds for the sum of their answers."""
    _redis_or_skip()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGBAN_")}
    env.update(
        TONGBAN_SECRET_KEY=STRONG_KEY,
        TONGBAN_DATABASE_URL=database_url,
        TONGBAN_DATA_DIR=str(tmp_path),
        TONGBAN_RATELIMIT_STORAGE_URL="redis://127.0.0.1:6379/0",
        TONGBAN_LOGIN_RATE_LIMIT="5 per minute",
        TONGBAN_TRUSTED_PROXIES="1",
    )
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "app:create_app()"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/openapi.json", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"gunicorn did not start: {proc.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        client_ip = f"203.0.113.{uuid.uuid4().int % 250 + 1}, 10.{uuid.uuid4().int % 250}.0.1"
        statuses = []
        for i in range(12):  # a new connection each time, so both workers answer
            with requests.Session() as http:
                resp = http.post(
                    f"{base}/auth/token",
                    json={"username": f"nobody_{i}", "password": "Wrong-pass-1"},
                    headers={
                        "X-Forwarded-For": client_ip.split(",")[0] + f", {client_ip.split(',')[1].strip()}"
                    },
                    timeout=10,
                )
                statuses.append(resp.status_code)
                assert resp.headers["Strict-Transport-Security"]  # production under gunicorn
    finally:
        proc.terminate()
        proc.wait(20)
    assert statuses.count(401) == 5 and statuses.count(429) == 7, statuses
