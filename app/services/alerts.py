"""Alerts (预警): the sweep that raises yellow/red alerts from the clock lights, their states, resolution.

The sweep is set-based: ``app.services.clocks.refresh_lights`` moves the light columns with the
date, then one INSERT … SELECT … WHERE NOT EXISTS per subject kind raises each missing alert. The
unique key (subject_kind, subject_id, level) plus ON CONFLICT DO NOTHING makes two sweeps running
at once harmless: every alert exists exactly once per level.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, String, exists, func, literal, select, true, union_all, update

from app.models import Alert, AuditEvent, Case, CaseTask, ClockSweep, Session
from app.models.base import UTCDateTime, dialect_insert, table_of
from app.models.vocab import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    OPEN_TASK_STATES,
    OVERSIGHT_ROLES,
    CaseStatus,
    Light,
)
from app.services import audit, clocks, notify, supervision
from app.services.auth import Actor
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.events import EventBus, EventContext
from app.services.i18n import t
from engine.events import CaseAdvanced, Completed, Submitted, Withdrawn
from engine.workcal import local_date

ALERT_LEVELS = (Light.YELLOW, Light.RED)
OVERSIGHT = tuple(OVERSIGHT_ROLES)


ALERT_COLUMNS = [
    "subject_kind",
    "subject_id",
    "case_id",
    "level",
    "state",
    "department_code",
    "officer_id",
    "deadline",
    "raised_on",
    "created_at",
]


def _labelled(*cols: Any) -> list[Any]:
    return [col.label(name) for col, name in zip(cols, ALERT_COLUMNS, strict=True)]


def raise_alerts(today: date, now: datetime, since: date | None = None) -> dict[str, int]:
    """Create the missing alerts of every open case and step whose light is yellow or red — with
    ``since``, only of those whose clocks were computed on or after that day (a light changes only when
    its clock is computed: by the sweep's refresh or by the change that moved the case)."""
    a, c, t = table_of(Alert), table_of(Case), table_of(CaseTask)
    officer = (
        select(func.min(t.c.assignee_id))
        .where(t.c.case_id == c.c.id, t.c.state.in_(OPEN_TASK_STATES))
        .scalar_subquery()
    )
    case_sel = select(
        *_labelled(
            literal("case", String()),
            c.c.id,
            c.c.id,
            c.c.light,
            literal("open", String()),
            c.c.department_code,
            officer,
            c.c.deadline,
            literal(today, Date()),
            literal(now, UTCDateTime()),
        )
    ).where(
        c.c.light.in_(ALERT_LEVELS),
        c.c.status.in_(OPEN_STATUSES),
        *([c.c.clocks_computed_on >= since] if since is not None else []),
    )
    task_sel = select(
        *_labelled(
            literal("task", String()),
            t.c.id,
            t.c.case_id,
            t.c.light,
            literal("open", String()),
            t.c.department_code,
            t.c.assignee_id,
            t.c.deadline,
            literal(today, Date()),
            literal(now, UTCDateTime()),
        )
    ).where(
        t.c.light.in_(ALERT_LEVELS),
        t.c.state.in_(OPEN_TASK_STATES),
        *([t.c.clocks_computed_on >= since] if since is not None else []),
    )
    # No NOT EXISTS: the unique key is the arbiter, so each lit subject costs one index probe whatever
    # the planner believes about the alert table (an anti-join planned on stale statistics went
    # quadratic on the first sweep of a million cases). RETURNING yields only the rows really new.
    both = union_all(case_sel, task_sel).subquery()
    # (SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT)
    stmt = dialect_insert(a).from_select(ALERT_COLUMNS, select(both).where(true())).on_conflict_do_nothing()
    raised = Session.execute(stmt.returning(a.c.id, a.c.case_id, a.c.level, a.c.subject_kind)).all()
    counts = {}
    for kind in ("case", "task"):
        rows = [r for r in raised if r.subject_kind == kind]
        _audit_rows("alert.raised", kind, rows, now)
        counts[f"{kind}_alerts"] = len(rows)
    return counts


def _audit_rows(action: str, kind: str, rows: list[Any], now: datetime) -> None:
    """One audit event per alert row just written (only rows this statement changed: RETURNING)."""
    if rows:
        Session.execute(
            table_of(AuditEvent).insert(),
            [
                {
                    "case_id": r.case_id,
                    "actor_name": "system",
                    "at": now,
                    "action": action,
                    "target": f"alert#{r.id}",
                    "detail": f"{kind} {r.level}",
                }
                for r in rows
            ],
        )


def resolve_closed(now: datetime) -> int:
    """Resolve the alerts whose case or step has closed (a safety net: the case events resolve them with
    the change). Not restricted to recent changes: ``alert.case_id IN (cases computed since …)`` was planned
    as a per-row subplan on the freshly filled alert table (minutes at 1M cases); the full pass is one
    index probe per unresolved alert (0.34 s at 83,000)."""
    a, c, t = table_of(Alert), table_of(Case), table_of(CaseTask)
    closed_case = exists().where(c.c.id == a.c.subject_id, c.c.status.in_(CLOSED_STATUSES))
    closed_task = exists().where(t.c.id == a.c.subject_id, t.c.state.notin_(OPEN_TASK_STATES))
    not_correcting = exists().where(c.c.id == a.c.subject_id, c.c.status != CaseStatus.CORRECTING)
    cond = (a.c.state != "resolved") & (
        ((a.c.subject_kind == "case") & closed_case)
        | ((a.c.subject_kind == "task") & closed_task)
        | ((a.c.subject_kind == "correction") & not_correcting)
    )
    rows = Session.execute(
        update(a)
        .where(cond)
        .values(state="resolved", resolved_at=now)
        .returning(a.c.id, a.c.case_id, a.c.level, a.c.subject_kind)
    ).all()
    for kind in ("case", "task", "correction"):
        _audit_rows("alert.resolved", kind, [r for r in rows if r.subject_kind == kind], now)
    return len(rows)


# the alerts of the case's own clocks; the results' clocks (publication, its withdrawal, a rectification:
# app.services.result_alerts) run on after the case ends and resolve when their subject is done
CASE_KINDS = ("case", "task", "correction")


def on_case_ended(_event: Completed | Withdrawn, ctx: EventContext) -> None:
    """Alerts of a case that ended are resolved with the change itself, not at the next sweep."""
    a = table_of(Alert)
    # on the connection, not the session: alert rows need no flush of the case first, so the case's
    # changes of this step go out as one UPDATE at commit instead of two
    rows = (
        Session.connection()
        .execute(
            update(a)
            .where(a.c.case_id == ctx.case.id, a.c.state != "resolved", a.c.subject_kind.in_(CASE_KINDS))
            .values(state="resolved", resolved_at=ctx.now)
            .returning(a.c.id, a.c.case_id, a.c.level, a.c.subject_kind)
        )
        .all()
    )
    for kind in CASE_KINDS:
        _audit_rows("alert.resolved", kind, [r for r in rows if r.subject_kind == kind], ctx.now)


def on_case_advanced(event: CaseAdvanced, ctx: EventContext) -> None:
    """Step alerts resolve when their step closes; a correction alert when the supplement arrives."""
    if ctx.case.status in CLOSED_STATUSES or any(isinstance(e, Submitted) for e in ctx.events):
        return  # an ended case's alerts were all resolved by on_case_ended; a new case has none
    closed = [t.id for t in ctx.case.tasks if t.spiff_task_id in set(event.closed) and t.id is not None]
    if not closed and ctx.case.status == CaseStatus.CORRECTING:
        return
    a = table_of(Alert)
    cond = ((a.c.subject_kind == "task") & a.c.subject_id.in_(closed)) if closed else None
    if ctx.case.status != CaseStatus.CORRECTING:
        corr = (a.c.subject_kind == "correction") & (a.c.subject_id == ctx.case.id)
        cond = corr if cond is None else (cond | corr)
    if cond is None:
        return
    rows = (
        Session.connection()
        .execute(  # no autoflush, as in on_case_ended
            update(a)
            .where(a.c.case_id == ctx.case.id, a.c.state != "resolved", cond)
            .values(state="resolved", resolved_at=ctx.now)
            .returning(a.c.id, a.c.case_id, a.c.level, a.c.subject_kind)
        )
        .all()
    )
    for kind in ("task", "correction"):
        _audit_rows("alert.resolved", kind, [r for r in rows if r.subject_kind == kind], ctx.now)


def subscribe(bus: EventBus) -> None:
    bus.subscribe(Completed, on_case_ended)
    bus.subscribe(Withdrawn, on_case_ended)
    bus.subscribe(CaseAdvanced, on_case_advanced)


ALERTS_SWEPT = 2  # the clock_sweep row of the day the alert pass last ran for (row 1: the lights)


def alerts_swept_on() -> date | None:
    return Session.scalar(select(ClockSweep.swept_on).where(ClockSweep.id == ALERTS_SWEPT))


def sweep(actor: Actor | None, now: datetime, full: bool = False) -> dict[str, Any]:
    """The supervision sweep: lights from the clock service, then alerts, resolutions, cards, mail.

    The alert pass looks only at clocks computed since the day it last ran for (inclusive: a change later
    that day is seen next time); ``full`` — or a first run, or a day before the last one — looks at all.
    The resolution safety net (``resolve_closed``) runs with the first sweep of each day and with ``full``:
    the case events resolve alerts with the change that closes them (``on_case_ended``,
    ``on_case_advanced``), so a repeat on the same day has nothing for it but its 0.2 s probe at 1M cases."""
    today = local_date(now)
    last = alerts_swept_on()
    since = None if full or last is None or today < last else last
    result: dict[str, Any] = {"lights": clocks.refresh_lights(today)}  # commits its own bulk update
    result.update(raise_alerts(today, now, since))
    result["resolved"] = resolve_closed(now) if since != today else 0  # first sweep of the day, or full
    result["yellow_cards"] = supervision.issue_alert_cards(today, now)
    result["notifications"] = notify.queue_alerts(today, now)
    stmt = dialect_insert(table_of(ClockSweep)).values(id=ALERTS_SWEPT, swept_on=today)
    Session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"swept_on": today}))
    Session.commit()
    return result


# -- reading and acting on alerts ----------------------------------------------------------------


def alerts_query(
    actor: Actor, *, state: str | None = None, level: str | None = None, department: str | None = None
):
    if state is not None and state not in ("open", "acknowledged", "resolved", "unresolved"):
        raise ValidationFailed(
            t("状态取值无效"), [{"field": "state", "message": t("须为待处理、已确认、已解除或未解除")}]
        )
    if level is not None and level not in ALERT_LEVELS:
        raise ValidationFailed(t("级别取值无效"), [{"field": "level", "message": t("须为黄灯或红灯")}])
    stmt = select(Alert)
    if not actor.is_oversight:
        if not actor.is_staff:
            raise Forbidden(t("无权查看预警"), code="not_supervisor")
        stmt = stmt.where(Alert.department_code.in_(sorted(actor.departments())))
    if state == "unresolved":
        stmt = stmt.where(Alert.state != "resolved")
    elif state:
        stmt = stmt.where(Alert.state == state)
    if level:
        stmt = stmt.where(Alert.level == level)
    if department:
        stmt = stmt.where(Alert.department_code == department)
    return stmt


def list_alerts(actor: Actor, *, limit: int = 100, offset: int = 0, **filters: Any) -> list[Alert]:
    stmt = (
        alerts_query(actor, **filters)
        .order_by(Alert.id.desc())
        .limit(min(max(limit, 1), 1000))
        .offset(max(offset, 0))
    )
    return list(Session.scalars(stmt))


def count_alerts(actor: Actor, **filters: Any) -> int:
    return Session.scalar(select(func.count()).select_from(alerts_query(actor, **filters).subquery())) or 0


def alert_dict(alert: Alert) -> dict[str, Any]:
    case = alert.case
    return {
        "id": alert.id,
        "subject_kind": alert.subject_kind,
        "subject_id": alert.subject_id,
        "case_no": case.case_no if case else None,
        "level": alert.level,
        "state": alert.state,
        "department_code": alert.department_code,
        "officer_id": alert.officer_id,
        "deadline": alert.deadline.isoformat() if alert.deadline else None,
        "raised_on": alert.raised_on.isoformat(),
        "created_at": alert.created_at.isoformat(),
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "note": alert.note,
    }


def acknowledge_alert(
    actor: Actor, alert_id: int, note: str | None = None, now: datetime | None = None
) -> Alert:
    """The responsible department (or a supervisor) acknowledges an alert: it stays open until the subject closes."""
    alert = Session.get(Alert, alert_id)
    if alert is None or not (actor.is_oversight or actor.holds_in(alert.department_code)):
        raise NotFound(t("预警 %(id)s 不存在", id=alert_id), code="alert_not_found")
    if note is not None and (not isinstance(note, str) or len(note) > 1000):
        raise ValidationFailed(t("备注最长 1000 字"), [{"field": "note", "message": t("最长 1000 字")}])
    if alert.state != "open":
        message = (
            t("预警 %(id)s 已确认", id=alert_id)
            if alert.state == "acknowledged"
            else t("预警 %(id)s 已解除", id=alert_id)
        )
        raise Conflict(message, code="alert_not_open")
    at = now or datetime.now().astimezone()
    alert.state, alert.acknowledged_at, alert.acknowledged_by_id = "acknowledged", at, actor.id
    alert.note = note or alert.note
    audit.record(
        actor,
        "alert.acknowledged",
        alert.case_id,
        target=f"alert#{alert.id}",
        before={"state": "open"},
        after={"state": "acknowledged", "note": note},
    )
    Session.commit()
    return alert
