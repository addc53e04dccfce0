"""The clock inputs of a case and what they compute to (pure functions over ``Case.clock_inputs``).

``Case.clock_inputs`` (JSON) is the source of truth::

    {"acceptance" | "promised" | "statutory" | "delivery":
         {"start", "limit_wd", "stopped_on", "extensions": [{days, reason, approved_on}], "same_day"},
     "correction": [{"start", "end", "deadline", "materials": [...], "supplemented": [...]}],
     "special": [{"code", "element", "start", "limit_wd", "own_limit_wd", "stopped_on",
                  "notices": [{"on", "wd", "reason"}]}],
     "extension_request": {"days", "reason", "by", "on"} | absent}

The promised and statutory decision clocks are paused while the applicant corrects (the office waits)
and during an Art. 45 special procedure — but only for as long as the applicant was told in writing:
past the notified end the procedure's own clock is red and its excess counts against the decision
clocks, unless a further written notice moved that end.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Protocol

from app.models import ServiceItem
from app.models.case import NEVER
from app.models.vocab import CLOSED_STATUSES, ClockKind, Light
from engine.clocks import ClockInput, ClockState, Extension, Pause, Thresholds, compute_clock, light_of
from engine.workcal import WorkCalendar

DECISION_CLOCKS = (ClockKind.PROMISED, ClockKind.STATUTORY)
SINGLE_CLOCKS = (ClockKind.ACCEPTANCE, ClockKind.PROMISED, ClockKind.STATUTORY, ClockKind.DELIVERY)
LABELS: dict[str, tuple[str, str]] = {
    ClockKind.ACCEPTANCE: ("受理时限", "Acceptance"),
    ClockKind.PROMISED: ("承诺办结时限", "Promised decision"),
    ClockKind.STATUTORY: ("法定办结时限", "Statutory decision"),
    ClockKind.DELIVERY: ("送达时限", "Delivery"),
    ClockKind.SPECIAL_PROCEDURE: ("特殊程序时限", "Special procedure"),
    ClockKind.CORRECTION_WAIT: ("补正等待", "Correction wait"),
    ClockKind.STEP: ("环节时限", "Step"),
}


class ClockCase(Protocol):
    """What the clock computation reads of a case (an ORM row or a light bulk-read row)."""

    clock_inputs: Any
    status: Any


def d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def limits(item: ServiceItem) -> dict[str, Any]:
    return dict((item.definition or {}).get("limits") or {})


_THRESHOLDS: dict[tuple[Any, ...], Thresholds] = {}


def thresholds(item: ServiceItem, props: dict[str, Any] | None = None) -> Thresholds:
    key = (
        item.id,
        item.updated_at,
        props.get("yellow_remaining_wd") if props else None,
        props.get("yellow_consumed_pct") if props else None,
    )
    hit = _THRESHOLDS.get(key)
    if hit is None:
        lights = dict((item.definition or {}).get("lights") or {})
        for name in ("yellow_remaining_wd", "yellow_consumed_pct"):
            if props and props.get(name) not in (None, ""):
                lights[name] = int(props[name])
        hit = _THRESHOLDS[key] = Thresholds(
            int(lights.get("yellow_remaining_wd", 2)), int(lights.get("yellow_consumed_pct", 80))
        )
    return hit


def new_clock(start: date, limit: int, same_day: bool = False) -> dict[str, Any]:
    return {
        "start": start.isoformat(),
        "limit_wd": limit,
        "stopped_on": None,
        "extensions": [],
        "same_day": same_day,
    }


def stop(ci: dict[str, Any], kind: str, day: date) -> None:
    clock = ci.get(kind)
    if clock and clock.get("stopped_on") is None:
        start = d(clock["start"])
        ci[kind] = {**clock, "stopped_on": max(day, start).isoformat() if start else day.isoformat()}


def stop_all(ci: dict[str, Any], day: date) -> None:
    """The case has ended: every running clock stops, open waits and procedures close."""
    for kind in SINGLE_CLOCKS:
        stop(ci, kind, day)
    ci["correction"] = [
        c if c.get("end") else {**c, "end": day.isoformat()} for c in ci.get("correction", [])
    ]
    ci["special"] = [
        s if s.get("stopped_on") else {**s, "stopped_on": day.isoformat()} for s in ci.get("special", [])
    ]
    ci.pop("extension_request", None)


def special_end(cal: WorkCalendar, sp: dict[str, Any]) -> date:
    """The last day of a special procedure as notified to the applicant (latest written notice)."""
    notices = sp.get("notices") or []
    if notices:
        last = notices[-1]
        return cal.add_workdays(date.fromisoformat(last["on"]), int(last["wd"])).date
    return cal.add_workdays(date.fromisoformat(sp["start"]), int(sp["limit_wd"])).date


def special_limit(cal: WorkCalendar, sp: dict[str, Any]) -> int:
    """The procedure's own limit in working days, from its start to its notified end."""
    start = date.fromisoformat(sp["start"])
    return max(cal.count_workdays(start, special_end(cal, sp)), 0)


def pauses(cal: WorkCalendar, ci: dict[str, Any], on: date) -> tuple[Pause, ...]:
    """Pauses of the decision clocks: correction waits, and special procedures up to their notified end."""
    out = [
        Pause(date.fromisoformat(c["start"]), d(c.get("end")), "correction") for c in ci.get("correction", [])
    ]
    for sp in ci.get("special", []):
        start = date.fromisoformat(sp["start"])
        bound = special_end(cal, sp)
        stopped = d(sp.get("stopped_on"))
        end: date | None
        if stopped is not None:
            end = min(stopped, bound)
        else:
            end = bound if on > bound else None
        if end is not None and end < start:
            end = start
        out.append(Pause(start, end, f"special:{sp['code']}"))
    return tuple(out)


def clock_input(kind: str, clock: dict[str, Any], paused: tuple[Pause, ...] = ()) -> ClockInput:
    return ClockInput(
        kind=kind,
        start=date.fromisoformat(clock["start"]),
        limit_wd=int(clock["limit_wd"]),
        pauses=paused,
        extensions=tuple(
            Extension(int(e["days"]), e.get("reason", ""), date.fromisoformat(e["approved_on"]))
            for e in clock.get("extensions", [])
        ),
        stopped_on=d(clock.get("stopped_on")),
        same_day=bool(clock.get("same_day")),
    )


def compute_case(
    case: ClockCase, item: ServiceItem, cal: WorkCalendar, on: date, for_projection: bool = False
) -> dict[str, ClockState]:
    """All clocks of a case, or (``for_projection``) only those the indexed columns depend on:
    the running ones and the promised clock — a stopped acceptance or delivery clock changes nothing there."""
    ci = case.clock_inputs or {}
    th = thresholds(item)
    paused = pauses(cal, ci, on)
    states: dict[str, ClockState] = {}
    for kind in SINGLE_CLOCKS:
        clock = ci.get(kind)
        if not clock or (
            for_projection and kind in (ClockKind.ACCEPTANCE, ClockKind.DELIVERY) and clock.get("stopped_on")
        ):
            continue
        states[kind] = compute_clock(
            cal, clock_input(kind, clock, paused if kind in DECISION_CLOCKS else ()), on, th
        )
    if not for_projection:
        for i, sp in enumerate(ci.get("special", [])):
            own = {**sp, "limit_wd": special_limit(cal, sp), "extensions": []}
            states[f"{ClockKind.SPECIAL_PROCEDURE}:{i}"] = compute_clock(
                cal, clock_input(ClockKind.SPECIAL_PROCEDURE, own), on, th
            )
    return states


def projection(case: ClockCase, states: dict[str, ClockState]) -> dict[str, Any]:
    """The indexed clock columns of a case: the governing deadline now, its light, the statutory one."""
    ci = case.clock_inputs or {}
    open_case = case.status not in CLOSED_STATUSES
    gov = None
    if open_case:
        for candidate in (ClockKind.ACCEPTANCE, ClockKind.DELIVERY, ClockKind.PROMISED):
            st = states.get(candidate)
            if st is not None and st.stopped_on is None:
                gov = st
                break
    promised = states.get(ClockKind.PROMISED)
    statutory = states.get(ClockKind.STATUTORY)
    shown = gov or promised or statutory
    light = gov.light if gov else None
    if open_case and statutory is not None and statutory.stopped_on is None and statutory.light == Light.RED:
        light = Light.RED
    confirmed = all(s.confirmed for s in states.values() if s.stopped_on is None) if open_case else True
    paused = any(c.get("end") is None for c in ci.get("correction", [])) or any(
        s.get("stopped_on") is None for s in ci.get("special", [])
    )
    kind: str | None = gov.kind if gov else (ClockKind.CORRECTION_WAIT if open_case and paused else None)
    return {
        "deadline": shown.deadline if shown else None,
        "deadline_kind": kind,
        "statutory_deadline": statutory.deadline if statutory else None,
        "deadline_confirmed": confirmed,
        "light": light,
        "clock_paused": bool(open_case and paused),
        "used_wd": shown.used_wd if shown else None,
        "remaining_wd": shown.remaining_wd if shown else None,
    }


def step_values(
    started: date, limit: int, props: dict[str, Any], item: ServiceItem, cal: WorkCalendar, on: date
) -> dict[str, Any]:
    due = cal.add_workdays(started, limit)
    used = max(cal.count_workdays(started, on), 0)
    return {
        "deadline": due.date,
        "deadline_confirmed": due.confirmed,
        "used_wd": used,
        "remaining_wd": limit - used,
        "light": light_of(on, due.date, used, limit, thresholds(item, props)),
    }


def _used_reaches(cal: WorkCalendar, on: date, used_now: int, target: int) -> date | None:
    """The day a running count of working days, ``used_now`` on ``on``, reaches ``target``."""
    k = target - used_now
    return cal.add_workdays(on, k).date if k >= 1 else None


def _light_days(
    cal: WorkCalendar, on: date, used: int, limit: int, deadline: date, th: Thresholds
) -> list[date]:
    """The days a running clock's light may turn yellow or red (a superset: the sweep checks)."""
    out = [deadline + timedelta(days=1)]
    for target in (limit - th.yellow_remaining_wd, -(-th.yellow_consumed_pct * limit // 100)):
        day = _used_reaches(cal, on, used, target)
        if day is not None:
            out.append(day)
    return out


def next_light_change(
    case: ClockCase, item: ServiceItem, cal: WorkCalendar, on: date, states: dict[str, ClockState]
) -> date:
    """The first day after ``on`` on which the case's indexed clock columns (light, deadline) may
    change with the date alone: a light turning yellow or red, a special procedure reaching its
    notified end. ``NEVER`` for a closed case or one whose clocks all stand still."""
    if case.status in CLOSED_STATUSES:
        return NEVER
    th = thresholds(item)
    days: list[date] = []
    try:
        for st in states.values():
            if st.stopped_on is not None or st.paused:
                continue
            days += _light_days(cal, on, st.used_wd, st.limit_wd, st.deadline, th)
        for sp in (case.clock_inputs or {}).get("special", []):
            if sp.get("stopped_on") is None:
                days.append(special_end(cal, sp) + timedelta(days=1))
    except Exception:  # noqa: BLE001 - beyond the calendar's range: look again tomorrow
        return on + timedelta(days=1)
    later = [d for d in days if d > on]
    return min(later) if later else NEVER


def next_step_change(
    started: date, limit: int, props: dict[str, Any], item: ServiceItem, cal: WorkCalendar, on: date
) -> date:
    """The first day after ``on`` on which an open step's light may change (see next_light_change)."""
    try:
        due = cal.add_workdays(started, limit).date
        used = max(cal.count_workdays(started, on), 0)
        days = _light_days(cal, on, used, limit, due, thresholds(item, props))
    except Exception:  # noqa: BLE001 - beyond the calendar's range: look again tomorrow
        return on + timedelta(days=1)
    later = [d for d in days if d > on]
    return min(later) if later else NEVER
