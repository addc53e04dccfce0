"""Shared fixtures: one real database per test run (SQLite, or PostgreSQL from TEST_DATABASE_URL).

The database is created by the Alembic migrations (so every run also proves them), the catalogue is
deployed from the real processes/ and forms/, and demo users are created by the real seed service.
Tests leave no cases behind: `clean_cases` deletes case data after each test that used the app (the
audit trail, append-only on PostgreSQL, is truncated instead).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import uuid
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent

# Tests never assert wall-clock times (speed lives in bench/): no Hypothesis deadline, which turns a busy
# machine into a failing property.
hypothesis_settings.register_profile("tongban", deadline=None)
hypothesis_settings.load_profile("tongban")
DEMO_PASSWORD = "test-pass-123"  # passes the password policy (3 of 4 character classes)


def _postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


def _with_search_path(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    pg = _postgres_url()
    if pg is None:
        path = tmp_path_factory.mktemp("db") / "tongban.sqlite"
        yield f"sqlite:///{path}"
        return
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "no server"
        pytest.skip(f"TEST_DATABASE_URL is set but no PostgreSQL server answers at {pg}: {exc}")
    schema = f"tb_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    try:
        yield _with_search_path(pg, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


@pytest.fixture(scope="session")
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    from app import create_app
    from app.migrate import upgrade
    from app.models import Session
    from app.services.calendar import seed_from_package
    from app.services.catalogue import load_catalogue
    from app.services.users import seed_demo_users

    upgrade(database_url)
    data_dir = tmp_path_factory.mktemp("data")
    application = create_app(
        {
            "TONGBAN_DATABASE_URL": database_url,
            "TONGBAN_DATA_DIR": str(data_dir),
            "TONGBAN_DEMO_PASSWORD": DEMO_PASSWORD,
            "TONGBAN_SECRET_KEY": "test-secret",
            # The suite logs in hundreds of times from 127.0.0.1; the rate-limit tests lower it themselves.
            "TONGBAN_LOGIN_RATE_LIMIT": "100000 per minute",
            "TESTING": True,
        }
    )
    with application.app_context():
        seed_from_package()
        load_catalogue()
        seed_demo_users(DEMO_PASSWORD)
        Session.remove()
    yield application
    Session.remove()
    application.extensions["tongban.engine"].dispose()


# Everything but the organisation, the catalogue and the calendar is emptied after each test.
KEEP_TABLES = {
    "department",
    "user_account",
    "user_role",
    "api_token",
    "service_item",
    "process_version",
    "calendar_day",
    "calendar_year",
    "user_session",  # module-scoped browser logins (the server-side session) outlive one test
}


@pytest.fixture(autouse=True)
def clean_cases(request):
    yield
    if "app" not in request.fixturenames:
        return
    empty_case_tables(request.getfixturevalue("app"))


def delete_case_data(app) -> None:
    empty_case_tables(app)


def delete_test_users(like: str) -> None:
    """Remove the users a test created (username LIKE ``like``) with what refers to them: sessions,
    tokens, grants. Call after ``empty_case_tables`` (audit rows and cases name users too)."""
    from sqlalchemy import delete, select

    from app.models import ApiToken, Session, User, UserRole, UserSession

    ids = list(Session.scalars(select(User.id).where(User.username.like(like, escape="\\"))))
    if ids:
        for model in (UserSession, ApiToken, UserRole):
            Session.execute(delete(model).where(model.user_id.in_(ids)))
        Session.execute(delete(User).where(User.id.in_(ids)))
    Session.commit()


def empty_case_tables(app) -> None:
    """Delete everything but KEEP_TABLES (cases, tasks, audit rows, sessions …)."""
    from app.models import Base, Session
    from app.services.workdays import forget_sweep_day

    Session.remove()
    forget_sweep_day()  # the sweep day row goes with the cases
    with app.extensions["tongban.engine"].begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in KEEP_TABLES:
                continue
            if table.name == "audit_event" and conn.dialect.name == "postgresql":
                # The audit trail refuses DELETE on PostgreSQL (trigger of migration 0012), by design.
                # Tests empty it the way only the table's owner can: TRUNCATE, which row triggers do
                # not see. The application never truncates, and in production its role owns no table
                # (README, "Audit trail"); there is no switch in the trigger that a test could flip.
                conn.execute(text("TRUNCATE audit_event"))
            else:
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """A tiny JSON client that logs in as demo users (tokens cached per run)."""

    tokens: dict[str, str] = {}

    def __init__(self, client):
        self.client = client

    def token(self, username: str) -> str:
        if username not in self.tokens:
            resp = self.client.post(
                "/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD}
            )
            assert resp.status_code == 200, resp.get_json()
            self.tokens[username] = resp.get_json()["token"]
        return self.tokens[username]

    def call(self, method: str, path: str, user: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if user:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def get(self, path, user=None, **kw):
        return self.call("GET", path, user, **kw)

    def post(self, path, user=None, **kw):
        return self.call("POST", path, user, **kw)

    def put(self, path, user=None, **kw):
        return self.call("PUT", path, user, **kw)


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def restore_calendar(app):
    """For tests that import years or edit days: put the seeded calendar back afterwards."""
    yield
    from app.models import CalendarDay, CalendarYear, Session
    from app.services.calendar import invalidate, seed_from_package

    Session.remove()
    Session.query(CalendarDay).delete()
    Session.query(CalendarYear).delete()
    Session.commit()
    seed_from_package()
    invalidate()
    Session.remove()


# -- browser tests: the app served on a loopback port from a thread, Debian's headless Chromium --------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(app):
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(
            f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium, or `make browser`)"
        )
    playwright_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed"
    )
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def fresh_rate_limits(request):
    """Every test that uses the app starts with fresh rate-limit counters (the limits have their own tests;
    the fuzz run and the portal tests would otherwise spend a later test's allowance)."""
    if {"app", "client", "api"} & set(request.fixturenames):
        from app.limiter import limiter

        application = request.getfixturevalue("app")
        with application.app_context():
            limiter.reset()
    yield
