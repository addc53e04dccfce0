"""The monthly supervision report on procrastinate (PostgreSQL): asking for it queues one job in the same
transaction, a worker makes it, and a report whose runs all fail is a dead letter an administrator
retries. Real database, real worker run in this process until nothing is due (``wait=False``)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.jobs.engine import run_worker
from app.models import ReportRun, Session, User
from app.services import jobqueue
from app.services.pdf import FontMissing, find_cjk_font
from tests.jobs.conftest import jobs_table
from tests.supervision.reporting import FILE_LINK, request_report
from tests.web.helpers import web_login


@pytest.fixture(autouse=True)
def _font():
    try:
        find_cjk_font()
    except FontMissing:
        pytest.skip("no CJK font (apt-get install fonts-noto-cjk or fonts-wqy-microhei)")


def _run() -> ReportRun:
    run = Session.scalars(select(ReportRun).execution_options(populate_existing=True)).one()
    Session.commit()
    return run


def _set_active(username: str, active: bool) -> None:
    user = Session.scalar(select(User).where(User.username == username))
    assert user is not None
    user.active = active
    Session.commit()


def test_asking_for_a_report_queues_its_job_and_a_worker_makes_it(app, jobs_on, client):
    token = web_login(client, "supervisor")
    assert request_report(client, token, "2026-11").status_code == 303
    run = _run()
    assert run.state == "pending"
    assert [(j["task_name"], j["args"], j["status"]) for j in jobs_table()] == [
        (jobqueue.MAKE_REPORT, {"run_id": run.id, "lang": "zh"}, "todo")
    ]
    run_worker(app, wait=False)
    run = _run()
    assert run.state == "done" and run.body is not None and run.body.startswith(b"%PDF")
    assert [j["status"] for j in jobs_table()] == ["succeeded"]
    link = FILE_LINK.search(client.get("/supervision/reports").get_data(as_text=True))
    assert link and client.get(link.group(1)).data == run.body


def test_a_report_that_keeps_failing_is_a_dead_letter_and_the_administrators_retry_makes_it(
    app, jobs_on, client, api, request
):
    jobs_on.job_max_attempts = 1
    token = web_login(client, "supervisor")
    assert request_report(client, token, "2026-11").status_code == 303
    _set_active("supervisor", False)
    request.addfinalizer(lambda: _set_active("supervisor", True))
    run_worker(app, wait=False)
    (job,) = jobs_table()
    run = _run()
    assert job["status"] == "failed" and run.state == "failed" and "Forbidden" in (run.error or "")
    (entry,) = api.get("/admin/jobs?status=failed", "admin").get_json()["jobs"]
    assert entry["task"] == jobqueue.MAKE_REPORT and entry["task_name"]["zh"] == "监察报告生成"

    _set_active("supervisor", True)
    assert api.post(f"/admin/jobs/{job['id']}/retry", "admin").status_code == 200
    assert _run().state == "pending"
    run_worker(app, wait=False)
    run = _run()
    assert run.state == "done" and run.error is None and run.body is not None
    assert [j["status"] for j in jobs_table()] == ["succeeded"]


def test_the_prune_job_deletes_jobs_finished_a_week_ago_and_keeps_dead_letters_and_recent_ones(
    app, jobs_on, client, request
):
    from sqlalchemy import text

    from app.jobs.runner import run_once

    token = web_login(client, "supervisor")
    for month in ("2026-09", "2026-10"):
        assert request_report(client, token, month).status_code == 303
    run_worker(app, wait=False)
    jobs_on.job_max_attempts = 1
    assert request_report(client, token, "2026-11").status_code == 303
    _set_active("supervisor", False)
    request.addfinalizer(lambda: _set_active("supervisor", True))
    run_worker(app, wait=False)
    old, recent, dead = (j["id"] for j in jobs_table())
    assert [j["status"] for j in jobs_table()] == ["succeeded", "succeeded", "failed"]
    Session.execute(
        text("UPDATE procrastinate_events SET at = at - interval '8 days' WHERE job_id IN (:old, :dead)"),
        {"old": old, "dead": dead},
    )
    Session.commit()
    result = run_once(jobs=["prune"], use_lease=False)["prune"]
    assert result["jobs"] == 1
    assert [j["id"] for j in jobs_table()] == [recent, dead]
    assert (
        Session.scalar(text("SELECT count(*) FROM procrastinate_events WHERE job_id = :id"), {"id": old}) == 0
    )
    Session.commit()
