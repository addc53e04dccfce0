"""Job-engine fixtures: procrastinate switched on for one test (PostgreSQL only), a webhook server."""

from __future__ import annotations

import socket

import pytest
from sqlalchemy import select, text

from app.models import Session, User
from app.services.context import ctx
from tests.supervision.test_webhook import hook  # noqa: F401 - the same loopback webhook server


@pytest.fixture
def jobs_on(app, is_postgres, monkeypatch):
    """TONGBAN_JOBS=procrastinate for this test; the engine's tables emptied before and after."""
    if not is_postgres:
        pytest.skip("TEST_DATABASE_URL not set: the procrastinate job engine needs PostgreSQL")
    settings = ctx().settings
    monkeypatch.setattr(settings, "jobs", "procrastinate")
    monkeypatch.setattr(settings, "job_max_attempts", 5)
    monkeypatch.setattr(settings, "job_backoff_seconds", 10.0)
    monkeypatch.setattr(settings, "webhook_url", settings.webhook_url)  # tests point it somewhere; restored
    _empty_engine_tables(app)
    yield settings
    Session.remove()
    _empty_engine_tables(app)


def _empty_engine_tables(app) -> None:
    with app.extensions["tongban.engine"].begin() as conn:
        conn.execute(
            text("TRUNCATE procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs CASCADE")
        )
        conn.execute(text("DELETE FROM job_error"))


def closed_port_url() -> str:
    """An http URL on loopback where nothing listens (connection refused: a retryable failure)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/notify"


def user_id(username: str) -> int:
    uid = Session.scalar(select(User.id).where(User.username == username))
    assert uid is not None
    return uid


def jobs_table() -> list[dict]:
    rows = Session.execute(
        text(
            "SELECT id, task_name, args, status::text AS status, attempts, scheduled_at"
            " FROM procrastinate_jobs ORDER BY id"
        )
    ).mappings()
    out = [dict(r) for r in rows]
    Session.commit()
    return out
