"""The legal clock of each case: transitions on case events, projection into indexed columns.

Source of truth is ``Case.clock_inputs`` (JSON): per clock its start, limit, stop, extensions, plus
the correction waits and special procedures that pause the decision clocks (行政许可法 Art. 45).
Everything else (deadlines, used/remaining WD, lights) is derived here with engine.clocks and
stored in columns so that "all red cases of department X" is one indexed query.
"""

from __future__ import annotations

import gc
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import String, cast, select

from app.models import Case, CaseTask, ServiceItem, Session
from app.services import audit, hooks
from app.services.auth import Actor
from app.services.calendar import get_calendar
from app.services.errors import Forbidden, ValidationFailed
from app.services.projection import CLOSED_STATUSES, OPEN_STATUSES
from engine.clocks import ClockInput, ClockState, Extension, Pause, Thresholds, compute_clock, light_of
from engine.workcal import WorkCalendar, local_date

LABELS = {
    "acceptance": ("受理时限", "Acceptance"),
    "decision": ("承诺办结时限", "Promised decision"),
    "statutory": ("法定办结时限", "Statutory decision"),
    "delivery": ("送达时限", "Delivery"),
    "special_procedure": ("特别程序", "Special procedure"),
    "correction_wait": ("补正等待", "Correction wait"),
    "step": ("环节时限", "Step"),
}
__all__ = [
    "apply_deemed_acceptance",
    "case_clocks",
    "get_calendar",
    "recompute_open_clocks",
    "refresh_lights",
    "task_clock",
    "today",
]


def today(now: datetime | None = None) -> date:
    return local_date(now or datetime.now().astimezone())


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _limits(item: ServiceItem) -> dict[str, Any]:
    return (item.definition or {}).get("limits") or {}


def _thresholds(item: ServiceItem, props: dict[str, Any] | None = None) -> Thresholds:
    key = (
        item.id,
        item.updated_at,
        props.get("yellow_remaining_wd") if props else None,
        props.get("yellow_consumed_pct") if props else None,
    )
    hit = _THRESHOLDS.get(key)
    if hit is None:
        hit = _THRESHOLDS[key] = _compute_thresholds(item, props)
    return hit


_THRESHOLDS: dict[tuple[Any, ...], Thresholds] = {}


def _compute_thresholds(item: ServiceItem, props: dict[str, Any] | None) -> Thresholds:
    lights = dict((item.definition or {}).get("lights") or {})
    for key in ("yellow_remaining_wd", "yellow_consumed_pct"):
        if props and props.get(key) not in (None, ""):
            lights[key] = int(props[key])
    return Thresholds(int(lights.get("yellow_remaining_wd", 2)), int(lights.get("yellow_consumed_pct", 80)))


def _new_clock(start: date, limit: int, same_day: bool = False) -> dict[str, Any]:
    return {
        "start": start.isoformat(),
        "limit_wd": limit,
        "stopped_on": None,
        "extensions": [],
        "same_day": same_day,
    }


def _pauses(ci: dict[str, Any]) -> tuple[Pause, ...]:
    out = [Pause(_d(c["start"]), _d(c.get("end")), "correction") for c in ci.get("correction", [])]
    out += [
        Pause(_d(s["start"]), _d(s.get("stopped_on")), f"special:{s['code']}") for s in ci.get("special", [])
    ]
    return tuple(out)


def _input(kind: str, clock: dict[str, Any], pauses: tuple[Pause, ...] = ()) -> ClockInput:
    return ClockInput(
        kind=kind,
        start=_d(clock["start"]),
        limit_wd=int(clock["limit_wd"]),
        pauses=pauses,
        extensions=tuple(
            Extension(int(e["days"]), e.get("reason", ""), _d(e["approved_on"]))
            for e in clock.get("extensions", [])
        ),
        stopped_on=_d(clock.get("stopped_on")),
        same_day=bool(clock.get("same_day")),
    )


def compute_case(
    case: Case, item: ServiceItem, cal: WorkCalendar, on: date, for_projection: bool = False
) -> dict[str, ClockState]:
    """All clocks of a case, or (``for_projection``) only those the indexed columns depend on:
    the running ones and the decision clock — a stopped acceptance or delivery clock changes nothing there."""
    ci = case.clock_inputs or {}
    th = _thresholds(item)
    pauses = _pauses(ci)
    states: dict[str, ClockState] = {}
    for kind in ("acceptance", "decision", "statutory", "delivery"):
        clock = ci.get(kind)
        if not clock or (for_projection and kind in ("acceptance", "delivery") and clock.get("stopped_on")):
            continue
        states[kind] = compute_clock(
            cal, _input(kind, clock, pauses if kind in ("decision", "statutory") else ()), on, th
        )
    if not for_projection:
        for i, sp in enumerate(ci.get("special", [])):
            states[f"special_procedure:{i}"] = compute_clock(cal, _input("special_procedure", sp), on, th)
    return states


def _projection(case: Case, states: dict[str, ClockState]) -> dict[str, Any]:
    ci = case.clock_inputs or {}
    open_case = case.status not in CLOSED_STATUSES
    gov = None
    if open_case:
        for kind in ("acceptance", "delivery", "decision"):
            st = states.get(kind)
            if st is not None and st.stopped_on is None:
                gov = st
                break
    decision = states.get("decision")
    statutory = states.get("statutory")
    shown = gov or decision
    light = gov.light if gov else None
    if (
        gov is not None
        and statutory is not None
        and statutory.stopped_on is None
        and statutory.light == "red"
    ):
        light = "red"
    confirmed = all(s.confirmed for s in states.values() if s.stopped_on is None) if open_case else True
    paused = any(c.get("end") is None for c in ci.get("correction", [])) or any(
        s.get("stopped_on") is None for s in ci.get("special", [])
    )
    return {
        "deadline": shown.deadline if shown else None,
        "deadline_kind": (gov.kind if gov else ("correction_wait" if open_case and paused else None)),
        "statutory_deadline": statutory.deadline if statutory else None,
        "deadline_confirmed": confirmed,
        "light": light,
        "clock_paused": bool(open_case and paused),
        "used_wd": shown.used_wd if shown else None,
        "remaining_wd": shown.remaining_wd if shown else None,
    }


def refresh_case(case: Case, on: date | None = None, cal: WorkCalendar | None = None) -> None:
    """Recompute the case's and its open tasks' clock columns (inside the caller's transaction)."""
    cal = cal or get_calendar()
    on = on or today()
    item = case.item or Session.get(ServiceItem, case.item_id)
    for key, value in _projection(case, compute_case(case, item, cal, on, for_projection=True)).items():
        setattr(case, key, value)
    case.clocks_computed_on = on
    for task in case.tasks:
        if task.state in ("ready", "claimed"):
            _refresh_task(task, item, cal, on)
        elif task.light is not None and task.state in ("completed", "cancelled"):
            task.light = None


def _task_values(
    started: date, limit: int, props: dict[str, Any], item: ServiceItem, cal: WorkCalendar, on: date
) -> dict[str, Any]:
    due = cal.add_workdays(started, limit)
    used = max(cal.count_workdays(started, on), 0)
    return {
        "deadline": due.date,
        "deadline_confirmed": due.confirmed,
        "used_wd": used,
        "remaining_wd": limit - used,
        "light": light_of(on, due.date, used, limit, _thresholds(item, props)),
    }


def _refresh_task(task: CaseTask, item: ServiceItem, cal: WorkCalendar, on: date) -> None:
    props = task.properties or {}
    raw = props.get("time_limit_wd")
    if raw in (None, ""):
        return
    task.limit_wd = int(raw)
    task.started_on = task.started_on or (local_date(task.created_at) if task.created_at else on)
    for key, value in _task_values(task.started_on, task.limit_wd, props, item, cal, on).items():
        setattr(task, key, value)


# -- transitions on case events --------------------------------------------------------------------
@hooks.on("case_submitted")
def _on_submitted(actor: Actor | None, case: Case, now: datetime) -> None:
    day = today(now)
    limits = _limits(case.item)
    case.received_on = day
    if case.item.kind == "immediate":
        case.accepted_on = day
        case.clock_inputs = {
            "decision": _new_clock(day, 0, same_day=True),
            "statutory": _new_clock(day, int(limits.get("statutory_wd", 20))),
        }
    else:
        case.clock_inputs = {"acceptance": _new_clock(day, int(limits.get("acceptance_wd", 5)))}


def _start_decision(ci: dict[str, Any], limits: dict[str, Any], start: date) -> None:
    ci.setdefault("decision", _new_clock(start, int(limits.get("promised_wd", 0))))
    ci.setdefault("statutory", _new_clock(start, int(limits.get("statutory_wd", 20))))


def _stop(ci: dict[str, Any], kind: str, day: date) -> None:
    if ci.get(kind) and ci[kind].get("stopped_on") is None:
        ci[kind]["stopped_on"] = day.isoformat()


@hooks.on("task_completed")
def _on_task_completed(actor: Actor, case: Case, task: CaseTask, data: dict[str, Any], now: datetime) -> None:
    day = today(now)
    limits = _limits(case.item)
    ci = dict(case.clock_inputs or {})
    bpmn_id = task.bpmn_id
    if bpmn_id == "accept":
        outcome = data.get("accept_outcome")
        if case.deemed_accepted and outcome in ("correct", "refuse"):
            raise ValidationFailed(
                "本件已依法视为受理（行政许可法第三十二条），不能再要求补正或不予受理 / the case is deemed accepted (Art. 32)",
                [{"field": "accept_outcome", "message": "已视为受理 / deemed accepted"}],
                code="deemed_accepted",
            )
        _stop(ci, "acceptance", day)
        if outcome == "accept":
            case.accepted_on = case.accepted_on or day
            _start_decision(ci, limits, case.accepted_on)
        elif outcome == "correct":
            wd = limits.get("applicant_correction_wd")
            entry = {"start": day.isoformat(), "end": None, "deadline": None}
            if wd:
                entry["deadline"] = get_calendar().add_workdays(day, int(wd)).date.isoformat()
            ci["correction"] = [*ci.get("correction", []), entry]
    elif bpmn_id == "handle":
        _stop(ci, "decision", day)
        _stop(ci, "statutory", day)
        case.decided_on = day
    elif bpmn_id == "decide" and data.get("decision") in ("approve", "deny"):
        _stop(ci, "decision", day)
        _stop(ci, "statutory", day)
        case.decided_on = day
        if data.get("decision") == "approve":
            ci["delivery"] = _new_clock(day, int(limits.get("delivery_wd", 10)))
    elif bpmn_id == "approve_extension" and data.get("extension_approved") is True:
        allowed = int(limits.get("extension_max_wd", 10)) - (case.extension_wd or 0)
        days = min(int((case.data or {}).get("extension_days") or 0), max(allowed, 0))
        if days > 0:
            ext = {
                "days": days,
                "reason": str((case.data or {}).get("extension_reason") or ""),
                "approved_on": day.isoformat(),
            }
            for kind in ("decision", "statutory"):
                if ci.get(kind):
                    ci[kind] = {**ci[kind], "extensions": [*ci[kind].get("extensions", []), ext]}
            case.extension_wd = (case.extension_wd or 0) + days
    elif bpmn_id == "issue_result":
        _stop(ci, "delivery", day)
        case.delivered_on = day
    case.clock_inputs = ci  # tasks_opened (always emitted last) closes specials and refreshes the columns


def _close_specials(ci: dict[str, Any], case: Case, day: date) -> None:
    if case.status != "special_procedure" and any(s.get("stopped_on") is None for s in ci.get("special", [])):
        ci["special"] = [
            s if s.get("stopped_on") else {**s, "stopped_on": day.isoformat()} for s in ci["special"]
        ]


@hooks.on("supplement_received")
def _on_supplement(actor: Actor, case: Case, data: dict[str, Any], now: datetime) -> None:
    day = today(now)
    ci = dict(case.clock_inputs or {})
    ci["correction"] = [
        c if c.get("end") else {**c, "end": day.isoformat()} for c in ci.get("correction", [])
    ]
    if ci.get("acceptance") and not case.accepted_on:
        # The office decides on acceptance anew from the day the supplement arrives (Art. 32).
        ci["acceptance"] = _new_clock(day, int(_limits(case.item).get("acceptance_wd", 5)))
    case.clock_inputs = ci  # refreshed by tasks_opened, emitted right after


@hooks.on("tasks_opened")
def _on_tasks_opened(case: Case, tasks: list[CaseTask], now: datetime) -> None:
    """Runs last after every case change (also with no new task): the one place the columns are refreshed."""
    day = today(now)
    ci = dict(case.clock_inputs or {})
    specials = list(ci.get("special", []))
    for task in tasks:
        task.started_on = day
        code = task.special_procedure
        if code and not any(s["code"] == code and s.get("stopped_on") is None for s in specials):
            specials.append({"code": code, **_new_clock(day, _procedure_limit(case, task, code))})
    if specials:
        ci["special"] = specials
    _close_specials(ci, case, day)
    case.clock_inputs = ci
    refresh_case(case, day)


def _procedure_limit(case: Case, task: CaseTask, code: str) -> int:
    """What the applicant was told in writing, else the procedure's limit in the BPMN, else item.yaml's."""
    told = (case.data or {}).get("expected_duration_wd")
    if told:
        return int(told)
    if (task.properties or {}).get("procedure_limit_wd"):
        return int(task.properties["procedure_limit_wd"])
    for sp in (case.item.definition or {}).get("special_procedures") or []:
        if sp.get("code") == code and sp.get("limit_wd"):
            return int(sp["limit_wd"])
    return 0


# -- bulk operations (scheduler sweep, calendar changes) ------------------------------------------
CASE_COLUMNS = (
    "deadline",
    "deadline_kind",
    "statutory_deadline",
    "deadline_confirmed",
    "light",
    "clock_paused",
    "used_wd",
    "remaining_wd",
)
TASK_COLUMNS = ("deadline", "deadline_confirmed", "used_wd", "remaining_wd", "light")


class _Row:
    """What compute_case and _projection read of a case, without an ORM instance per row."""

    __slots__ = ("clock_inputs", "status")


def _bulk_update(table: Any, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """One driver-level executemany: building SQLAlchemy parameters per row costs more than the UPDATE."""
    conn = Session.connection()
    style = conn.dialect.paramstyle
    mark = "?" if style == "qmark" else "%s"
    # table and column names are module constants (CASE_COLUMNS, TASK_COLUMNS), never user input
    sql = f"UPDATE {table.name} SET " + ", ".join(f"{c} = {mark}" for c in columns) + f" WHERE id = {mark}"  # noqa: S608
    sqlite = conn.dialect.name == "sqlite"

    def value(v: Any) -> Any:
        return v.isoformat() if sqlite and isinstance(v, date) else v

    conn.exec_driver_sql(sql, [tuple(value(r[c]) for c in columns) + (r["_id"],) for r in rows])


def recompute_open_clocks(on: date | None = None, commit: bool = True, batch: int = 5000) -> dict[str, int]:
    """Recompute every open case's and open step's deadline and light; write only what changed.

    Column-level UPDATEs (no lock_version bump): a sweep never makes a caseworker's save conflict.
    The cyclic garbage collector is paused meanwhile: the rows are acyclic, and its full collections
    over a process holding 100,000 fresh objects cost more than the computation itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _recompute_open_clocks(on, commit, batch)
    finally:
        if enabled:
            gc.enable()


def _recompute_open_clocks(on: date | None, commit: bool, batch: int) -> dict[str, int]:
    cal = get_calendar()
    on = on or today()
    items = {i.id: i for i in Session.scalars(select(ServiceItem))}
    case_t, task_t = Case.__table__, CaseTask.__table__
    # One read per table (100,000 small rows fit easily); keyset pages made SQLite rescan per page.
    cols = [
        case_t.c.id,
        case_t.c.item_id,
        case_t.c.status,
        case_t.c.clock_inputs,
        *[case_t.c[c] for c in CASE_COLUMNS],
    ]
    rows = Session.execute(select(*cols).where(case_t.c.status.in_(OPEN_STATUSES))).all()
    row_view = _Row()
    updates = []
    for row in rows:
        row_view.status, row_view.clock_inputs = row.status, row.clock_inputs
        new = _projection(row_view, compute_case(row_view, items[row.item_id], cal, on, for_projection=True))
        if any(getattr(row, c) != new[c] for c in CASE_COLUMNS):
            updates.append({"_id": row.id, **new})
    for lo in range(0, len(updates), batch):
        _bulk_update(case_t, CASE_COLUMNS, updates[lo : lo + batch])
    changed_cases = len(updates)
    props_cache: dict[tuple[int, str], dict[str, Any]] = {}
    props_text = cast(task_t.c.properties, String)
    tcols = [
        task_t.c.id,
        task_t.c.started_on,
        task_t.c.limit_wd,
        props_text.label("props"),
        case_t.c.item_id,
        *[task_t.c[c] for c in TASK_COLUMNS],
    ]
    rows = Session.execute(
        select(*tcols)
        .join(case_t, case_t.c.id == task_t.c.case_id)
        .where(task_t.c.state.in_(("ready", "claimed")), task_t.c.limit_wd.is_not(None))
    ).all()
    updates = []
    for row in rows:
        key = (row.item_id, row.props or "{}")
        props = props_cache.get(key)
        if props is None:  # steps of one BPMN task share their properties: parse each text once
            props = props_cache[key] = orjson.loads(key[1])
        new = _task_values(row.started_on, row.limit_wd, props, items[row.item_id], cal, on)
        if any(getattr(row, c) != new[c] for c in TASK_COLUMNS):
            updates.append({"_id": row.id, **new})
    for lo in range(0, len(updates), batch):
        _bulk_update(task_t, TASK_COLUMNS, updates[lo : lo + batch])
    if commit:
        Session.commit()
    return {"cases_changed": changed_cases, "tasks_changed": len(updates)}


def refresh_lights(on: date | None = None) -> dict[str, int]:
    """The daily sweep: lights, used and remaining working days move with the date."""
    return recompute_open_clocks(on)


def apply_deemed_acceptance(actor: Actor | None = None, on: date | None = None) -> list[str]:
    """Art. 32: no acceptance and no correction notice within 5 WD → accepted as of the day materials arrived."""
    on = on or today()
    cases = Session.scalars(
        select(Case).where(
            Case.status == "accepting",
            Case.deadline_kind == "acceptance",
            Case.deadline < on,
            Case.deemed_accepted.is_(False),
        )
    ).all()
    done = []
    for case in cases:
        ci = dict(case.clock_inputs or {})
        acc = ci.get("acceptance") or {}
        if acc.get("stopped_on") is not None or case.accepted_on is not None:
            continue
        received = _d(acc["start"])
        due = get_calendar().add_workdays(received, int(acc["limit_wd"])).date
        ci["acceptance"] = {**acc, "stopped_on": due.isoformat()}
        _start_decision(ci, _limits(case.item), received)
        case.clock_inputs = ci
        case.accepted_on = received
        case.deemed_accepted = True
        refresh_case(case, on)
        audit.record(
            actor,
            "case.deemed_accepted",
            case.id,
            target=case.case_no,
            before={"accepted_on": None},
            after={"accepted_on": received.isoformat(), "basis": "行政许可法第三十二条"},
        )
        done.append(case.case_no)
    Session.commit()
    return done


# -- read side ------------------------------------------------------------------------------------
def unconfirmed_open_cases(actor: Actor, limit: int = 500) -> list[Case]:
    """Open cases whose running deadline lies on days of a year without an official arrangement."""
    if actor.role not in ("supervisor", "admin", "clerk", "reviewer", "decider"):
        raise Forbidden("无权查看 / not allowed", code="forbidden")
    stmt = select(Case).where(Case.status.in_(OPEN_STATUSES), Case.deadline_confirmed.is_(False))
    if actor.role not in ("supervisor", "admin"):
        stmt = stmt.where(Case.department_code == actor.department_code)
    return list(Session.scalars(stmt.order_by(Case.deadline, Case.id).limit(limit)))


def _as_dict(state: ClockState, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    zh, en = LABELS.get(state.kind, (state.kind, state.kind))
    return {**state.to_dict(), "label_zh": zh, "label_en": en, **(extra or {})}


def case_clocks(case: Case, on: date | None = None) -> list[dict[str, Any]]:
    on = on or today()
    ci = case.clock_inputs or {}
    states = compute_case(case, case.item, get_calendar(), on)
    pauses = [
        {"start": p.start.isoformat(), "end": p.end.isoformat() if p.end else None, "reason": p.reason}
        for p in _pauses(ci)
    ]
    out = []
    for key, state in states.items():
        kind = key.split(":")[0]
        clock = ci[kind] if ":" not in key else ci["special"][int(key.split(":")[1])]
        extra = {
            "pauses": pauses if kind in ("decision", "statutory") else [],
            "extensions": list(clock.get("extensions", [])),
        }
        if kind == "special_procedure":
            extra["code"] = clock["code"]
        out.append(_as_dict(state, extra))
    for c in ci.get("correction", []):
        out.append(
            {
                "kind": "correction_wait",
                "label_zh": "补正等待",
                "label_en": "Correction wait",
                "start": c["start"],
                "stopped_on": c.get("end"),
                "deadline": c.get("deadline"),
                "light": None,
                "pauses": [],
                "extensions": [],
            }
        )
    return out


def task_clock(task: CaseTask, on: date | None = None) -> dict[str, Any] | None:
    if task.limit_wd is None or task.started_on is None:
        return None
    if task.state not in ("ready", "claimed"):
        return {
            "kind": "step",
            "start": task.started_on.isoformat(),
            "limit_wd": task.limit_wd,
            "deadline": task.deadline.isoformat() if task.deadline else None,
            "light": None,
            "stopped_on": task.completed_at.date().isoformat() if task.completed_at else None,
        }
    values = _task_values(
        task.started_on, task.limit_wd, task.properties or {}, task.case.item, get_calendar(), on or today()
    )
    return {
        "kind": "step",
        "label_zh": "环节时限",
        "label_en": "Step",
        "start": task.started_on.isoformat(),
        "limit_wd": task.limit_wd,
        **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()},
    }
