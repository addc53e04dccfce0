"""The outbox: background jobs queued in the transaction of the change that causes them.

With ``TONGBAN_JOBS=procrastinate`` (PostgreSQL) ``enqueue`` inserts a procrastinate job row through the
session's own connection, by procrastinate's SQL function ``procrastinate_defer_jobs_v1``: the job
commits with the business change or not at all (a rollback drops it), and no second system is written to.
Workers (``flask --app app jobs worker``, app/jobs/engine.py) take jobs with ``FOR UPDATE SKIP LOCKED``.

With ``inprocess`` (SQLite, ``make run``) ``enqueue`` does nothing: the row the job is about (a pending
notification, a pending message, a licence without its PDF) is itself the outbox entry, and the
scheduler's jobs in the web process deliver it, as before.

This module only reads and writes the engine's tables with SQL; it never imports procrastinate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text

from app.models import JobError, Session
from app.models.base import dialect_insert, table_of
from app.services.context import ctx
from app.services.i18n import N_

QUEUE = "tongban"

# the tasks a worker runs (app/jobs/engine.py registers each); name -> display name (zh-CN msgid)
DELIVER_NOTIFICATION = "notify.deliver"
DELIVER_MESSAGE = "messages.deliver"
LICENCE_PDF = "licences.pdf"
MAKE_REPORT = "reports.make"
TASK_NAMES: dict[str, str] = {
    DELIVER_NOTIFICATION: N_("工作人员通知投递（邮件、Webhook）"),
    DELIVER_MESSAGE: N_("申请人短信、邮件投递"),
    LICENCE_PDF: N_("电子证照 PDF 生成与签章"),
    MAKE_REPORT: N_("监察报告生成"),
}
# procrastinate's job statuses, each with its display name
STATUSES: dict[str, str] = {
    "todo": N_("排队中"),
    "doing": N_("执行中"),
    "succeeded": N_("已完成"),
    "failed": N_("失败（死信）"),
    "cancelled": N_("已取消"),
    "aborted": N_("已中止"),
}


def engine_on() -> bool:
    """True when jobs go to procrastinate (TONGBAN_JOBS=procrastinate, PostgreSQL only)."""
    return ctx().settings.jobs == "procrastinate"


def enqueue_many(task_name: str, args: list[dict[str, Any]]) -> list[int]:
    """Queue one job per ``args`` in the session's transaction; their ids (none when jobs run in process)."""
    if task_name not in TASK_NAMES:
        raise ValueError(f"unknown task {task_name!r}")
    if not args or not engine_on():
        return []
    rows = Session.execute(
        text(
            "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY("
            " SELECT ROW(:queue, :task, 0, NULL, NULL, a, NULL)::procrastinate_job_to_defer_v1"
            " FROM jsonb_array_elements(CAST(:args AS jsonb)) AS a)))"
        ),
        {"queue": QUEUE, "task": task_name, "args": json.dumps(args)},
    ).scalars()
    return [int(r) for r in rows]


def enqueue(task_name: str, **args: Any) -> int | None:
    ids = enqueue_many(task_name, [args])
    return ids[0] if ids else None


# -- reading and retrying (the dead letters) -----------------------------------------------------


@dataclass(frozen=True)
class JobRow:
    id: int
    task_name: str
    args: dict[str, Any]
    status: str
    attempts: int
    scheduled_at: datetime | None
    last_error: str | None
    failed_at: datetime | None


def list_jobs(status: str, limit: int = 200) -> list[JobRow]:
    """Jobs of one status, newest first, with the last error we recorded (none on SQLite)."""
    if status not in STATUSES:
        raise ValueError(status)
    if Session.get_bind().dialect.name != "postgresql":
        return []
    rows = Session.execute(
        text(
            "SELECT j.id, j.task_name, j.args, j.status::text, j.attempts, j.scheduled_at, e.error, e.failed_at"
            " FROM procrastinate_jobs j LEFT JOIN job_error e ON e.job_id = j.id"
            " WHERE j.status = CAST(:status AS procrastinate_job_status) AND j.queue_name = :queue"
            " ORDER BY j.id DESC LIMIT :limit"
        ),
        {"status": status, "queue": QUEUE, "limit": limit},
    ).all()
    return [JobRow(*row) for row in rows]


def get_job(job_id: int) -> JobRow | None:
    if Session.get_bind().dialect.name != "postgresql":
        return None
    row = Session.execute(
        text(
            "SELECT j.id, j.task_name, j.args, j.status::text, j.attempts, j.scheduled_at, e.error, e.failed_at"
            " FROM procrastinate_jobs j LEFT JOIN job_error e ON e.job_id = j.id"
            " WHERE j.id = :id AND j.queue_name = :queue"
        ),
        {"id": job_id, "queue": QUEUE},
    ).first()
    return JobRow(*row) if row is not None else None


def requeue(job_id: int) -> None:
    """A failed job back to ``todo`` now (procrastinate_retry_job_v2), in the session's transaction."""
    Session.execute(
        text("SELECT procrastinate_retry_job_v2(:id, now(), NULL, NULL, NULL)"),
        {"id": job_id},
    )


def record_failure(job_id: int, task_name: str, attempt: int, error: str, now: datetime) -> None:
    """Keep the error of a job's failed run (procrastinate keeps none), in its own short transaction:
    the run's own work has been rolled back, the error must stay."""
    t = table_of(JobError)
    values = {"task_name": task_name, "attempt": attempt, "error": error[:2000], "failed_at": now}
    stmt = dialect_insert(t).values(job_id=job_id, **values)
    with Session.get_bind().engine.begin() as conn:
        conn.execute(stmt.on_conflict_do_update(index_elements=[t.c.job_id], set_=values))


def requeue_stalled(started_before_seconds: float = 660, heartbeat_seconds: float = 60) -> int:
    """Jobs left ``doing`` by a worker that died back to ``todo``: started more than 11 minutes ago, and
    their worker gone (pruned) or silent for a minute. By then the claim the dead run made on its row is
    older than the senders' STALE_CLAIM (10 minutes), so the next run takes the row and sends it."""
    if not engine_on():
        return 0
    ids = (
        Session.execute(
            text(
                "SELECT job.id FROM procrastinate_jobs job"
                " LEFT JOIN procrastinate_workers w ON w.id = job.worker_id"
                " WHERE job.status = 'doing' AND job.queue_name = :queue"
                " AND (job.worker_id IS NULL OR w.last_heartbeat < now() - make_interval(secs => :beat))"
                " AND (SELECT max(e.at) FROM procrastinate_events e"
                "      WHERE e.job_id = job.id AND e.type = 'started') < now() - make_interval(secs => :started)"
                " FOR UPDATE OF job SKIP LOCKED"
            ),
            {"queue": QUEUE, "beat": heartbeat_seconds, "started": started_before_seconds},
        )
        .scalars()
        .all()
    )
    for job_id in ids:
        requeue(job_id)
    Session.commit()
    return len(ids)


KEEP_FINISHED_HOURS = 7 * 24  # succeeded and cancelled jobs, after their last event; failed ones stay


def prune_finished(keep_hours: int = KEEP_FINISHED_HOURS) -> int:
    """Delete this queue's jobs that succeeded or were cancelled more than ``keep_hours`` ago (their events
    go with them; the errors of their earlier failed runs too). Dead letters (failed) are kept until an
    administrator retries them. Committed; the number of jobs deleted (0 when jobs run in process)."""
    if not engine_on():
        return 0
    deleted = (
        Session.execute(
            text(
                "DELETE FROM procrastinate_jobs WHERE id IN ("
                " SELECT job.id FROM procrastinate_jobs job"
                " WHERE job.queue_name = :queue AND job.status IN ('succeeded', 'cancelled')"
                " AND (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = job.id)"
                "     < now() - make_interval(hours => :hours)"
                " ) RETURNING id"
            ),
            {"queue": QUEUE, "hours": keep_hours},
        )
        .scalars()
        .all()
    )
    if deleted:
        Session.execute(text("DELETE FROM job_error WHERE job_id = ANY(:ids)"), {"ids": list(deleted)})
    Session.commit()
    return len(deleted)
