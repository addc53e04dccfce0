"""The monthly supervision report made in the background (issue 14, deliverable 5): asked for on the
reports page, made by the reports job (in process here; by a procrastinate worker on PostgreSQL in
tests/jobs), downloaded by the one who asked; bad input writes nothing; a failing run is tried again and
then shown as failed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import ReportRun, Session, User
from app.services.context import ctx
from app.services.pdf import FontMissing, find_cjk_font
from tests.supervision.reporting import FILE_LINK, request_report, run_reports_pass
from tests.web.helpers import web_login


@pytest.fixture
def cjk_font():
    try:
        find_cjk_font()
    except FontMissing:
        pytest.skip("no CJK font (apt-get install fonts-noto-cjk or fonts-wqy-microhei)")


def _runs(app) -> list[tuple[str, str, str, int]]:
    with app.app_context():
        rows = [
            (r.month, r.lang, r.state, r.attempts)
            for r in Session.scalars(select(ReportRun).order_by(ReportRun.id))
        ]
        Session.remove()
    return rows


def _set_active(app, username: str, active: bool) -> None:
    with app.app_context():
        user = Session.scalar(select(User).where(User.username == username))
        assert user is not None
        user.active = active
        Session.commit()
        Session.remove()


def test_a_requested_report_waits_for_the_job_then_only_its_requester_downloads_it(app, client, cjk_font):
    token = web_login(client, "supervisor")
    asked = request_report(client, token, "2026-11")
    assert asked.status_code == 303 and "/supervision/reports" in asked.headers["Location"]
    waiting = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "生成中" in waiting and 'http-equiv="refresh"' in waiting and not FILE_LINK.search(waiting)
    assert _runs(app) == [("2026-11", "zh", "pending", 0)]
    with app.app_context():
        run_id = Session.scalar(select(ReportRun.id))
        Session.remove()
    assert client.get(f"/supervision/reports/{run_id}/file").status_code == 409  # not made yet

    assert run_reports_pass(app) == {"made": [run_id], "failed": []}
    page = client.get("/supervision/reports").get_data(as_text=True)
    assert "已生成" in page and 'http-equiv="refresh"' not in page
    link = FILE_LINK.search(page)
    assert link and link.group(1) == f"/supervision/reports/{run_id}/file"
    pdf = client.get(link.group(1))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert run_reports_pass(app) == {"made": [], "failed": []}  # made once

    other = (
        app.test_client()
    )  # another oversight user (the administrator): someone else's report is not there for them
    web_login(other, "admin")
    assert other.get(link.group(1)).status_code == 404
    assert FILE_LINK.search(other.get("/supervision/reports").get_data(as_text=True)) is None
    clerk = app.test_client()
    web_login(clerk, "env_clerk")
    assert clerk.get(link.group(1)).status_code == 403
    assert clerk.get("/supervision/reports").status_code == 403


def test_a_bad_month_is_refused_on_the_form_and_writes_no_report(app, client):
    token = web_login(client, "supervisor")
    for bad in ("2026-3x", "2026-13", "9" * 40):
        resp = request_report(client, token, bad)
        assert resp.status_code == 422, bad
        assert "YYYY-MM" in resp.get_data(as_text=True)
    assert client.get("/supervision/reports/999999/file").status_code == 404
    assert _runs(app) == []


def test_asking_again_while_a_report_is_being_made_makes_it_once(app, client):
    token = web_login(client, "supervisor")
    for _ in range(3):
        assert request_report(client, token, "2026-10").status_code == 303
    request_report(client, token, "2026-09")
    assert _runs(app) == [("2026-10", "zh", "pending", 0), ("2026-09", "zh", "pending", 0)]


def test_the_english_page_asks_for_an_english_report(app, client, cjk_font):
    client.get("/lang/en")
    token = web_login(client, "supervisor")
    assert request_report(client, token, "2026-11").status_code == 303
    run_reports_pass(app)
    assert _runs(app) == [("2026-11", "en", "done", 1)]
    assert "Done" in client.get("/supervision/reports").get_data(as_text=True)


def test_a_failing_report_is_tried_on_each_pass_then_shown_as_failed_with_its_error(
    app, client, monkeypatch, request
):
    monkeypatch.setattr(ctx().settings, "job_max_attempts", 3)
    token = web_login(client, "supervisor")
    assert request_report(client, token, "2026-11").status_code == 303
    _set_active(app, "supervisor", False)  # disabled before the job runs: the report must not be made
    request.addfinalizer(lambda: _set_active(app, "supervisor", True))  # users outlive the test
    with app.app_context():
        run_id = Session.scalar(select(ReportRun.id))
        Session.remove()
    assert run_reports_pass(app) == {"made": [], "failed": [run_id]}
    assert run_reports_pass(app) == {"made": [], "failed": [run_id]}
    assert _runs(app) == [("2026-11", "zh", "pending", 2)]
    run_reports_pass(app)
    assert _runs(app) == [("2026-11", "zh", "failed", 3)]
    assert run_reports_pass(app) == {"made": [], "failed": []}  # a failed report is left alone
    with app.app_context():
        run = Session.get(ReportRun, run_id)
        assert run is not None and run.body is None and "requester_inactive" not in (run.error or "")
        assert "Forbidden" in (run.error or "") and run.finished_at is not None
        assert Session.scalar(select(func.count()).select_from(ReportRun)) == 1
        Session.remove()


def test_the_prune_job_deletes_made_and_failed_reports_after_thirty_days_but_never_a_waiting_one(app):
    from datetime import timedelta

    from app.models import utcnow
    from app.services import report_runs

    now = utcnow()
    with app.app_context():
        uid = Session.scalar(select(User.id).where(User.username == "supervisor"))
        for month, state, age in [
            ("2026-01", "done", 31),
            ("2026-02", "failed", 31),
            ("2026-03", "pending", 31),
            ("2026-04", "done", 29),
        ]:
            Session.add(
                ReportRun(
                    kind=report_runs.MONTHLY,
                    month=month,
                    lang="zh",
                    requested_by_id=uid,
                    requested_at=now - timedelta(days=age),
                    state=state,
                )
            )
        Session.commit()
        assert report_runs.prune(now) == 2
        assert sorted(Session.scalars(select(ReportRun.month))) == ["2026-03", "2026-04"]
        Session.remove()
