"""The outbox on procrastinate (PostgreSQL): a job commits with its change or not at all, a failing
delivery is retried with back-off until it is a dead letter, and an administrator's retry re-queues it.

Real database, real webhook channel against a loopback HTTP server (or a closed port), real procrastinate
worker run in this process until the queue has nothing due (``wait=False``). Back-off is read from the
job rows (``scheduled_at``), and "time passes" by moving a waiting job's ``scheduled_at`` to now.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import literal, select, text

from app.jobs.engine import run_worker
from app.models import JobError, Notification, Session, utcnow
from app.services import jobqueue, notify
from tests.jobs.conftest import closed_port_url, jobs_table, user_id


def _queue_one_notification(ref_id: int = 990001) -> int:
    """One alert notification for env_clerk on every channel (in-app + the webhook); returns the webhook row."""
    now = utcnow()
    notify.queue("alert", select(literal(ref_id), literal(user_id("env_clerk"))), now)
    Session.commit()
    row = Session.scalar(
        select(Notification).where(Notification.ref_id == ref_id, Notification.channel == "webhook")
    )
    assert row is not None
    return row.id


def _row(nid: int) -> Notification:
    row = Session.get(Notification, nid, populate_existing=True)
    assert row is not None
    Session.commit()
    return row


def _time_passes() -> None:
    """The waiting retry is due now (instead of sleeping through the back-off)."""
    Session.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'"))
    Session.commit()


def test_a_job_queued_in_a_transaction_that_rolls_back_leaves_no_job(app, jobs_on):
    jobs_on.webhook_url = closed_port_url()
    notify.queue("alert", select(literal(990002), literal(user_id("env_clerk"))), utcnow())
    assert jobqueue.enqueue(jobqueue.LICENCE_PDF, licence_id=424242) is not None  # visible inside it
    Session.rollback()
    assert jobs_table() == []
    assert Session.scalar(select(Notification).where(Notification.ref_id == 990002)) is None


def test_a_committed_change_leaves_exactly_one_job_per_delivery(app, jobs_on):
    jobs_on.webhook_url = closed_port_url()
    nid = _queue_one_notification()
    jobs = jobs_table()
    assert [(j["task_name"], j["args"], j["status"]) for j in jobs] == [
        (jobqueue.DELIVER_NOTIFICATION, {"notification_id": nid}, "todo")
    ]  # the in-app row is delivered by being there: no job


def test_a_failing_delivery_is_retried_with_doubling_backoff_then_becomes_a_dead_letter(app, jobs_on):
    jobs_on.webhook_url = closed_port_url()
    nid = _queue_one_notification()
    waits = []
    for attempt in range(1, 5):
        run_worker(app, wait=False)
        (job,) = jobs_table()
        assert job["status"] == "todo" and job["attempts"] == attempt
        error = Session.get(JobError, job["id"], populate_existing=True)
        assert error is not None and error.attempt == attempt and "URLError" in error.error
        waits.append(round((job["scheduled_at"] - error.failed_at).total_seconds()))
        row = _row(nid)
        assert (row.status, row.attempts) == ("pending", attempt)  # the page still reads "waiting"
        _time_passes()
    assert waits == [10, 20, 40, 80]
    run_worker(app, wait=False)  # the fifth and last attempt
    (job,) = jobs_table()
    assert (job["status"], job["attempts"]) == ("failed", 5)
    assert _row(nid).status == "failed"
    (dead,) = jobqueue.list_jobs("failed")
    assert dead.id == job["id"] and dead.attempts == 5 and "Connection refused" in (dead.last_error or "")


def test_a_permanent_refusal_is_a_dead_letter_after_one_attempt(app, jobs_on, hook):
    jobs_on.webhook_url = hook.url
    hook.script = [400]
    nid = _queue_one_notification()
    run_worker(app, wait=False)
    (job,) = jobs_table()
    assert (job["status"], job["attempts"]) == ("failed", 1)
    assert _row(nid).status == "failed" and "HTTP 400" in (_row(nid).error or "")
    assert len(hook.requests) == 1


def test_an_administrators_retry_requeues_a_dead_letter_and_the_next_run_delivers_it(app, jobs_on, api, hook):
    jobs_on.webhook_url = hook.url
    jobs_on.job_max_attempts = 1
    hook.script = [503]
    nid = _queue_one_notification()
    run_worker(app, wait=False)
    (job,) = jobs_table()
    assert job["status"] == "failed" and _row(nid).status == "failed"

    listed = api.get("/admin/jobs?status=failed", "admin").get_json()
    assert listed["engine"] == "procrastinate"
    (entry,) = listed["jobs"]
    assert entry["id"] == job["id"] and entry["task"] == jobqueue.DELIVER_NOTIFICATION
    assert entry["task_name"]["zh"] == "工作人员通知投递（邮件、Webhook）" and entry["task_name"][
        "en"
    ].startswith("Staff")
    assert "503" in entry["last_error"]

    resp = api.post(f"/admin/jobs/{job['id']}/retry", "admin")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "todo"
    assert _row(nid).status == "pending"
    assert api.post(f"/admin/jobs/{job['id']}/retry", "admin").status_code == 409  # not failed any more

    run_worker(app, wait=False)
    (job,) = jobs_table()
    assert job["status"] == "succeeded"
    assert _row(nid).status == "sent"
    assert len(hook.requests) == 2


def test_an_issued_licence_queues_its_pdf_job_and_a_worker_makes_the_signed_pdf(app, jobs_on, api):
    from app.models import Case, Licence
    from tests.results.helpers import walk

    case_no = walk(
        api,
        "road_freight_permit",
        "person_accept_approve",
        overrides={"issue_result": {"valid_until": "2030-12-31"}},
    )
    case = Session.scalar(select(Case).where(Case.case_no == case_no))
    lic = Session.scalar(select(Licence).where(Licence.case_id == case.id))
    Session.commit()
    assert lic is not None and lic.pdf is None  # not made inside the caseworker's step
    jobs = [j for j in jobs_table() if j["task_name"] == jobqueue.LICENCE_PDF]
    assert [j["args"] for j in jobs] == [{"licence_id": lic.id}]
    run_worker(app, wait=False)
    made = Session.get(Licence, lic.id, populate_existing=True)
    assert made is not None and made.pdf is not None and made.pdf.startswith(b"%PDF")
    done = {j["task_name"]: j["status"] for j in jobs_table()}
    assert done[jobqueue.LICENCE_PDF] == "succeeded"
    assert done.get(jobqueue.DELIVER_MESSAGE) == "succeeded"  # the applicant's SMS of the decision


def test_deliveries_leave_the_scheduler_when_the_job_engine_is_on(app, jobs_on):
    from app.jobs.runner import DELIVERY_JOBS, ENGINE_JOBS, JOBS, scheduled_jobs

    assert set(scheduled_jobs()) == set(JOBS) - set(DELIVERY_JOBS)
    jobs_on.jobs = "inprocess"
    assert set(scheduled_jobs()) == set(JOBS) - set(ENGINE_JOBS)


def test_a_job_left_running_by_a_dead_worker_is_queued_again_and_sends_its_message(app, jobs_on, hook):
    jobs_on.webhook_url = hook.url
    nid = _queue_one_notification()
    (job,) = jobs_table()
    # a worker took the job and the row, then died: its heartbeat is old, the row's claim is stale
    Session.execute(
        text("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour')")
    )
    Session.execute(
        text(
            "UPDATE procrastinate_jobs SET status = 'doing',"
            " worker_id = (SELECT max(id) FROM procrastinate_workers) WHERE id = :id"
        ),
        {"id": job["id"]},
    )
    Session.commit()
    assert jobqueue.requeue_stalled() == 0  # just started: it may still be sending
    Session.execute(
        text(
            "UPDATE procrastinate_events SET at = now() - interval '1 hour' WHERE job_id = :id AND type = 'started'"
        ),
        {"id": job["id"]},
    )
    Session.execute(
        text("UPDATE notification SET status = 'sending', claimed_at = :t, attempts = 1 WHERE id = :id"),
        {"t": utcnow() - timedelta(hours=1), "id": nid},
    )
    Session.commit()
    assert jobqueue.requeue_stalled() == 1
    run_worker(app, wait=False)
    assert _row(nid).status == "sent" and len(hook.requests) == 1
    assert [j["status"] for j in jobs_table()] == ["succeeded"]


def test_a_retry_schedule_is_never_shorter_than_the_backoff(app, jobs_on):
    from app.jobs.engine import Backoff

    strategy = Backoff(5, 10)
    assert [strategy.wait_seconds(n) for n in range(4)] == [10, 20, 40, 80]
    assert timedelta(seconds=strategy.wait_seconds(0)) == timedelta(seconds=10)


def test_a_failed_sms_job_shows_its_next_attempt_on_the_message_row(app, jobs_on, monkeypatch):
    from app.models import OutboundMessage
    from app.services import channels

    monkeypatch.setattr(jobs_on, "sms_channel", "http")
    monkeypatch.setattr(jobs_on, "sms_gateway_url", closed_port_url())
    message = channels.enqueue_sms("13800000000", "【通办】测试", "test")
    Session.commit()
    (job,) = jobs_table()
    assert (job["task_name"], job["args"]) == (jobqueue.DELIVER_MESSAGE, {"message_id": message.id})
    run_worker(app, wait=False)
    (job,) = jobs_table()
    row = Session.get(OutboundMessage, message.id, populate_existing=True)
    Session.commit()
    assert (job["status"], job["attempts"]) == ("todo", 1)
    assert row.status == "pending" and row.attempts == 1 and "SmsError" in (row.last_error or "")
    # the page tells the truth: both are "failure + 10 s" (computed before and after the run: a refused
    # connection is quick, and the margin only has to tell 10 s from 20 s)
    assert abs((row.next_attempt_at - job["scheduled_at"]).total_seconds()) < 5
