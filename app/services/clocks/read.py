"""The clocks of a case or a step as people and the API read them (one shape: ``ClockOut``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from app.models import Case, CaseTask, Session
from app.models.vocab import OPEN_STATUSES, OPEN_TASK_STATES, ClockKind
from app.services.auth import Actor
from app.services.clocks.model import DECISION_CLOCKS, LABELS, compute_case, pauses, special_end, step_values
from app.services.errors import Forbidden
from app.services.i18n import t
from app.services.workdays import get_calendar, today
from engine.clocks import ClockState


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _clock(state: ClockState, **extra: Any) -> dict[str, Any]:
    zh, en = LABELS.get(state.kind, (state.kind, state.kind))
    out = {
        "kind": state.kind,
        "label_zh": zh,
        "label_en": en,
        "start": state.start.isoformat(),
        "deadline": state.deadline.isoformat(),
        "limit_wd": state.limit_wd,
        "light": state.light if state.stopped_on is None else None,
        "used_wd": state.used_wd,
        "remaining_wd": state.remaining_wd,
        "overdue_wd": state.overdue_wd,
        "paused": state.paused,
        "paused_wd": state.paused_wd,
        "confirmed": state.confirmed,
        "stopped_on": _iso(state.stopped_on),
        "pauses": [],
        "extensions": [],
        "code": None,
        "notified_wd": None,
        "notified_end": None,
    }
    out.update(extra)
    return out


def case_clocks(case: Case, on: date | None = None) -> list[dict[str, Any]]:
    on = on or today()
    cal = get_calendar()
    ci = case.clock_inputs or {}
    states = compute_case(case, case.item, cal, on)
    decision_pauses = [
        {"start": p.start.isoformat(), "end": _iso(p.end), "reason": p.reason} for p in pauses(cal, ci, on)
    ]
    out = []
    for key, state in states.items():
        if ":" in key:
            sp = ci["special"][int(key.split(":")[1])]
            notices = sp.get("notices") or []
            out.append(
                _clock(
                    state,
                    code=sp["code"],
                    notified_wd=int(notices[-1]["wd"]) if notices else int(sp["limit_wd"]),
                    extensions=[
                        {"days": n["wd"], "reason": n["reason"], "approved_on": n["on"]} for n in notices
                    ],
                    notified_end=special_end(cal, sp).isoformat(),
                )
            )
            continue
        clock = ci[key]
        out.append(
            _clock(
                state,
                pauses=decision_pauses if key in DECISION_CLOCKS else [],
                extensions=list(clock.get("extensions", [])),
            )
        )
    for c in ci.get("correction", []):
        start, end = date.fromisoformat(c["start"]), c.get("end")
        ref = date.fromisoformat(end) if end else on
        waited = max(cal.count_workdays(start, ref), 0)
        deadline = c.get("deadline")
        remaining = cal.count_workdays(ref, date.fromisoformat(deadline)) if deadline else None
        out.append(
            {
                "kind": ClockKind.CORRECTION_WAIT,
                "label_zh": LABELS[ClockKind.CORRECTION_WAIT][0],
                "label_en": LABELS[ClockKind.CORRECTION_WAIT][1],
                "start": c["start"],
                "deadline": deadline,
                "limit_wd": None,
                "light": None,
                "used_wd": waited,
                "remaining_wd": remaining,
                "overdue_wd": (-remaining if remaining is not None and remaining < 0 else 0),
                "paused": False,
                "paused_wd": 0,
                "confirmed": cal.is_year_confirmed(date.fromisoformat(deadline).year) if deadline else True,
                "stopped_on": end,
                "pauses": [],
                "extensions": [],
                "code": None,
                "notified_wd": None,
                "notified_end": None,
            }
        )
    return out


def task_clock(task: CaseTask, on: date | None = None) -> dict[str, Any] | None:
    """The step clock of a task (running while the task is open, final once it is closed)."""
    if task.limit_wd is None or task.started_on is None:
        return None
    zh, en = LABELS[ClockKind.STEP]
    base = {
        "kind": ClockKind.STEP,
        "label_zh": zh,
        "label_en": en,
        "start": task.started_on.isoformat(),
        "limit_wd": task.limit_wd,
        "paused": False,
        "paused_wd": 0,
        "pauses": [],
        "extensions": [],
        "code": None,
        "notified_wd": None,
        "notified_end": None,
    }
    if task.state not in OPEN_TASK_STATES:
        stopped = task.completed_at.date() if task.completed_at else None
        used = get_calendar().count_workdays(task.started_on, stopped) if stopped else task.used_wd
        return {
            **base,
            "deadline": _iso(task.deadline),
            "light": None,
            "used_wd": used,
            "remaining_wd": task.limit_wd - used if used is not None else None,
            "overdue_wd": max((used or 0) - task.limit_wd, 0),
            "confirmed": task.deadline_confirmed,
            "stopped_on": _iso(stopped),
        }
    values = step_values(
        task.started_on, task.limit_wd, task.properties or {}, task.case.item, get_calendar(), on or today()
    )
    return {
        **base,
        "deadline": _iso(values["deadline"]),
        "light": values["light"],
        "used_wd": values["used_wd"],
        "remaining_wd": values["remaining_wd"],
        "overdue_wd": max(-values["remaining_wd"], 0),
        "confirmed": values["deadline_confirmed"],
        "stopped_on": None,
    }


def unconfirmed_open_cases(actor: Actor, limit: int = 500) -> list[Case]:
    """Open cases whose running deadline lies on days of a year without an official arrangement."""
    if not (actor.is_oversight or actor.is_staff):
        raise Forbidden(t("无权查看"), code="forbidden")
    stmt = select(Case).where(Case.status.in_(OPEN_STATUSES), Case.deadline_confirmed.is_(False))
    if not actor.is_oversight:
        stmt = stmt.where(Case.department_code.in_(sorted(actor.departments())))
    return list(Session.scalars(stmt.order_by(Case.deadline, Case.id).limit(limit)))
