"""Reports made in the background: a supervisor asks for the monthly supervision report, a job makes the
PDF, and the page lists the requester's reports with their state and a download once made.

Asking writes a ``report_run`` row and, with the job engine on (``TONGBAN_JOBS=procrastinate``), queues
its job in the same transaction (app.services.jobqueue): the request commits with its job or not at all.
With jobs in process (SQLite, ``make run``) the pending row is the outbox entry and the scheduler's
``reports`` pass makes it. Either way a failed run is retried (the engine's back-off, or the next pass)
and, after the last attempt, the row says "failed" with its error; an administrator retries it from the
dead letters. The report reads the data with the requester's own access (``Actor.of`` their account),
in the language they asked in; the job layer passes the translator (services never import Flask).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select

from app.models import ReportRun, Session, User
from app.services import audit, cockpit, jobqueue, reports
from app.services.auth import Actor
from app.services.context import ctx
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.i18n import N_, t
from engine.workcal import local_date

MONTHLY = "monthly_pdf"
REPORT_KINDS: dict[str, str] = {MONTHLY: N_("电子监察月报 PDF")}
STATES: dict[str, str] = {"pending": N_("生成中"), "done": N_("已生成"), "failed": N_("生成失败")}
LANGS = ("zh", "en")
LIST_LIMIT = 50
KEEP_DAYS = 30  # a made or failed report is deleted this many days after it was asked for

Tr = Callable[[str], str]


@dataclass(frozen=True)
class RunView:
    id: int
    kind: str
    kind_label: str
    month: str
    lang: str
    state: str
    state_label: str
    requested_at: datetime
    finished_at: datetime | None
    filename: str | None
    size: int | None
    error: str | None


def _view(run: ReportRun) -> RunView:
    return RunView(
        id=run.id,
        kind=run.kind,
        kind_label=REPORT_KINDS[run.kind],
        month=run.month,
        lang=run.lang,
        state=run.state,
        state_label=STATES[run.state],
        requested_at=run.requested_at,
        finished_at=run.finished_at,
        filename=run.filename,
        size=len(run.body) if run.body is not None else None,
        error=run.error,
    )


def _require_oversight(actor: Actor) -> None:
    if not actor.is_oversight:
        raise Forbidden(t("只有监察人员可以生成监察报告"), code="not_oversight")


def request_monthly(actor: Actor, month: str | None, lang: str, today: date, now: datetime) -> RunView:
    """Ask for the monthly report of ``month`` (YYYY-MM; default this month) in ``lang``; committed with
    its job. The same request still being made is answered with that run instead of a second one."""
    _require_oversight(actor)
    period = cockpit.month_period(month, today)  # a bad month: 422 before anything is written
    lang = lang if lang in LANGS else "zh"
    key = period.start.strftime("%Y-%m")
    waiting = Session.scalars(
        select(ReportRun).where(
            ReportRun.requested_by_id == actor.id,
            ReportRun.kind == MONTHLY,
            ReportRun.month == key,
            ReportRun.lang == lang,
            ReportRun.state == "pending",
        )
    ).first()
    if waiting is not None:
        return _view(waiting)
    run = ReportRun(kind=MONTHLY, month=key, lang=lang, requested_by_id=actor.id, requested_at=now)
    Session.add(run)
    Session.flush()
    jobqueue.enqueue(jobqueue.MAKE_REPORT, run_id=run.id, lang=lang)
    audit.record(
        actor, "report.request", None, target=f"report_run#{run.id}", before=None, after={"month": key}
    )
    Session.commit()
    return _view(run)


def list_runs(actor: Actor, limit: int = LIST_LIMIT) -> list[RunView]:
    """The actor's own reports, newest first."""
    _require_oversight(actor)
    rows = Session.scalars(
        select(ReportRun)
        .where(ReportRun.requested_by_id == actor.id)
        .order_by(ReportRun.id.desc())
        .limit(limit)
    )
    return [_view(r) for r in rows]


def _own(actor: Actor, run_id: int) -> ReportRun:
    _require_oversight(actor)
    run = Session.get(ReportRun, run_id)
    if run is None or run.requested_by_id != actor.id:  # another's report is not there for this reader
        raise NotFound(t("报告 %(run_id)s 不存在", run_id=run_id), code="report_not_found")
    return run


def download(actor: Actor, run_id: int) -> tuple[str, bytes]:
    """The file of one of the actor's reports; 404 if not theirs, 409 while it is not made."""
    run = _own(actor, run_id)
    if run.state != "done" or run.body is None or run.filename is None:
        raise Conflict(t("报告尚未生成（%(state)s）", state=t(STATES[run.state])), code="report_not_ready")
    return run.filename, run.body


def make(run_id: int, now: datetime, tr: Tr, *, final: bool) -> str:
    """Make one report and commit it ("made"; "done" if already made, "gone" if the row is not there).
    A failure is written on the row (its error; "failed" when ``final``) and raised again for the retry."""
    run = Session.get(ReportRun, run_id)
    if run is None:
        return "gone"
    if run.state == "done":
        return "done"
    user = Session.get(User, run.requested_by_id)
    try:
        if user is None or not user.active:
            raise Forbidden(t("报告申请人的账号已停用"), code="requester_inactive")
        filename, body = reports.monthly_report_pdf(
            Actor.of(user), run.month, local_date(now), now, tr, run.lang
        )
    except Exception as exc:
        Session.rollback()
        run = Session.get(ReportRun, run_id)
        assert run is not None
        run.attempts += 1
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        if final:
            run.state, run.finished_at = "failed", now
        Session.commit()
        raise
    run.filename, run.body, run.state = filename, body, "done"
    run.attempts, run.error, run.finished_at = run.attempts + 1, None, now
    Session.commit()
    return "made"


def make_pending(now: datetime, tr_for: Callable[[str], Tr], limit: int = 5) -> dict[str, object]:
    """The in-process pass (no job engine): make the oldest pending reports, each in its own commit; a
    failing one is tried again on the next pass until the attempts run out."""
    max_attempts = ctx().settings.job_max_attempts
    ids = list(
        Session.scalars(
            select(ReportRun.id).where(ReportRun.state == "pending").order_by(ReportRun.id).limit(limit)
        )
    )
    made: list[int] = []
    failed: list[int] = []
    for run_id in ids:
        run = Session.get(ReportRun, run_id)
        if run is None or run.state != "pending":
            continue
        try:
            make(run_id, now, tr_for(run.lang), final=run.attempts + 1 >= max_attempts)
        except Exception:  # noqa: BLE001 - written on the row; the next pass tries again
            failed.append(run_id)
            continue
        made.append(run_id)
    return {"made": made, "failed": failed}


def prune(now: datetime, keep_days: int = KEEP_DAYS) -> int:
    """Delete the reports asked for more than ``keep_days`` ago that are made or failed (committed)."""
    result = Session.execute(
        delete(ReportRun).where(
            ReportRun.state != "pending", ReportRun.requested_at < now - timedelta(days=keep_days)
        )
    )
    Session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
