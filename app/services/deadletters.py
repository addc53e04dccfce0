"""The administrators' view of background jobs: the dead letters (failed jobs) and their retry.

A retry puts the job back in the queue now and the row it is about back to ``pending`` (a notification
or an applicant message), so what the pages show stays true while the job waits for a worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update

from app.models import Notification, OutboundMessage, ReportRun, Session
from app.models.base import table_of
from app.services import audit, jobqueue
from app.services.auth import Actor
from app.services.errors import Conflict, DomainError, Forbidden, NotFound
from app.services.i18n import t


class BadStatus(DomainError):
    status = 400


@dataclass(frozen=True)
class JobView:
    id: int
    task_name: str
    task_label: str  # zh-CN msgid: the web and API layers translate it
    status: str
    status_label: str
    attempts: int
    args: dict[str, Any]
    summary: str
    last_error: str | None
    failed_at: datetime | None
    scheduled_at: datetime | None


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(t("仅管理员可查看后台任务"), code="admin_only")


def parse_status(raw: str | None) -> str:
    status = (raw or "failed").strip()
    if status not in jobqueue.STATUSES:
        raise BadStatus(
            t("任务状态应为以下之一：%(known)s", known=", ".join(jobqueue.STATUSES)),
            [{"field": "status", "message": status[:40]}],
            code="bad_status",
        )
    return status


def _summary(args: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(args.items()))[:200]


def _view(row: jobqueue.JobRow) -> JobView:
    return JobView(
        id=row.id,
        task_name=row.task_name,
        task_label=jobqueue.TASK_NAMES.get(row.task_name, row.task_name),
        status=row.status,
        status_label=jobqueue.STATUSES.get(row.status, row.status),
        attempts=row.attempts,
        args=dict(row.args or {}),
        summary=_summary(dict(row.args or {})),
        last_error=row.last_error,
        failed_at=row.failed_at,
        scheduled_at=row.scheduled_at,
    )


def list_jobs(actor: Actor, status: str = "failed") -> list[JobView]:
    require_admin(actor)
    return [_view(r) for r in jobqueue.list_jobs(parse_status(status))]


def retry_job(actor: Actor, job_id: int, now: datetime) -> JobView:
    """Re-queue a failed job now; its notification or message row goes back to pending."""
    require_admin(actor)
    row = jobqueue.get_job(job_id)
    if row is None:
        raise NotFound(t("后台任务 %(job_id)s 不存在", job_id=job_id), code="job_not_found")
    if row.status != "failed":
        raise Conflict(t("只有失败的任务可以重试"), code="job_not_failed")
    args = dict(row.args or {})
    if row.task_name == jobqueue.DELIVER_NOTIFICATION:
        n = table_of(Notification)
        Session.execute(
            update(n).where(n.c.id == int(args["notification_id"])).values(status="pending", error=None)
        )
    elif row.task_name == jobqueue.DELIVER_MESSAGE:
        m = table_of(OutboundMessage)
        Session.execute(
            update(m)
            .where(m.c.id == int(args["message_id"]))
            .values(status="pending", next_attempt_at=now, last_error=None)
        )
    elif row.task_name == jobqueue.MAKE_REPORT:
        r = table_of(ReportRun)
        Session.execute(
            update(r)
            .where(r.c.id == int(args["run_id"]), r.c.state == "failed")
            .values(state="pending", error=None, finished_at=None)
        )
    jobqueue.requeue(job_id)
    audit.record(actor, "job.retry", None, target=f"{row.task_name}#{job_id}", before=None, after=args)
    Session.commit()
    retried = jobqueue.get_job(job_id)
    assert retried is not None
    return _view(retried)
