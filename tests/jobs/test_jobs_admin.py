"""The dead-letter API and page: administrators only, precise 4xx for bad input, both databases; and the
in-process path (TONGBAN_JOBS=inprocess, SQLite's `make run`): nothing queued, the scheduler delivers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import literal, select

from app.config import ConfigError, load_settings
from app.models import Notification, Session, utcnow
from app.services import jobqueue, notify
from app.services.context import ctx
from tests.jobs.conftest import user_id
from tests.web.helpers import web_login

ROOT = Path(__file__).resolve().parents[2]


def test_only_administrators_list_jobs(api):
    assert api.get("/admin/jobs").status_code == 401
    for user in ("supervisor", "env_clerk", "applicant"):
        resp = api.get("/admin/jobs?status=failed", user)
        assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "admin_only"
    resp = api.get("/admin/jobs?status=failed", "admin")
    assert resp.status_code == 200 and resp.get_json()["jobs"] == []


def test_a_bad_status_is_a_400_naming_the_known_ones(api):
    resp = api.get("/admin/jobs?status=exploded", "admin")
    assert resp.status_code == 400
    error = resp.get_json()["error"]
    assert error["code"] == "bad_status" and "failed" in error["message"]


def test_retrying_an_unknown_job_is_a_404_and_others_may_not_retry(api):
    resp = api.post("/admin/jobs/987654321/retry", "admin")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "job_not_found"
    assert api.post("/admin/jobs/987654321/retry", "env_clerk").status_code == 403
    assert api.post("/admin/jobs/99999999999999999999/retry", "admin").status_code == 404  # beyond bigint


def test_the_dead_letter_page_is_for_administrators_in_both_languages(client, app):
    web_login(client, "env_clerk")
    assert client.get("/admin/jobs").status_code == 403
    with client.session_transaction() as sess:
        sess.clear()
    web_login(client, "admin")
    page = client.get("/admin/jobs").data.decode()
    assert "后台任务" in page and "失败（死信）" in page
    client.get("/lang/en")
    english = client.get("/admin/jobs").data.decode()
    assert "Background jobs" in english and "Failed (dead letter)" in english
    assert client.get("/admin/jobs?status=exploded").status_code == 400
    client.get("/lang/zh_CN")


def test_in_process_jobs_queue_nothing_and_the_scheduler_delivers_the_row(app, monkeypatch):
    from app.jobs.runner import run_once
    from app.services.sms import OutboxSmsChannel  # noqa: F401 - the development channel is the default

    monkeypatch.setattr(ctx().settings, "jobs", "inprocess")
    sent: list[tuple[str, str]] = []

    class Recorder:
        name = "recorder"

        def address_of(self, user):
            return user.username

        def send(self, address, subject, body):
            sent.append((address, subject))

    notify.register_channel(Recorder())
    try:
        assert jobqueue.enqueue(jobqueue.DELIVER_NOTIFICATION, notification_id=1) is None
        notify.queue("alert", select(literal(990101), literal(user_id("env_clerk"))), utcnow())
        Session.commit()
        row = Session.scalar(
            select(Notification).where(Notification.ref_id == 990101, Notification.channel == "recorder")
        )
        assert row is not None and row.status == "pending"
        result = run_once(jobs=["reminders"], use_lease=False)
        assert result["reminders"]["sent"] == 1 and sent == [("env_clerk", "预警已删除")]
        assert Session.get(Notification, row.id, populate_existing=True).status == "sent"
    finally:
        notify.unregister_channel("recorder")
        Session.commit()


def test_procrastinate_needs_postgresql_and_sqlite_defaults_to_in_process(tmp_path):
    base = {"TONGBAN_DATA_DIR": str(tmp_path), "TONGBAN_SECRET_KEY": "x" * 40}
    assert load_settings({**base, "TONGBAN_DATABASE_URL": "sqlite:///x.db"}).jobs == "inprocess"
    with pytest.raises(ConfigError, match="needs PostgreSQL"):
        load_settings({**base, "TONGBAN_DATABASE_URL": "sqlite:///x.db", "TONGBAN_JOBS": "procrastinate"})
    with pytest.raises(ConfigError, match="inprocess"):
        load_settings({**base, "TONGBAN_JOBS": "celery"})
    pg = {
        **base,
        "TONGBAN_DATABASE_URL": "postgresql+psycopg://u@h/db",
        "TONGBAN_SECRET_KEY": "Zq8-tongban-jobs-Kp2Wm7Xr4Ys9Vb3Nc6Hd1Lf5",
    }
    assert load_settings({**pg, "TONGBAN_ENV": "production"}).jobs == "procrastinate"
    assert load_settings(pg).jobs == "inprocess"


def test_the_frozen_schema_file_is_the_installed_procrastinates_schema():
    """Migration 0056 creates the schema from a frozen copy; an upgraded procrastinate needs a new migration."""
    from procrastinate.schema import SchemaManager

    frozen = (ROOT / "migrations" / "sql" / "procrastinate-3.10.0.sql").read_text(encoding="utf-8")
    assert SchemaManager.get_schema() == frozen
