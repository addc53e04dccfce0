"""The cockpit's daily summary (table ``daily_summary``): kept by the case events, rebuildable.

A subscriber of ``CaseAdvanced`` (the last event of every change, registered last in
app.capabilities) adds this change's facts in the change's own transaction: a case submitted, a case
completed (on time or not, with the working days it used), steps completed (with how long they took,
under the day they were created). ``rebuild_summary`` recomputes the same rows from the cases and
steps; a test proves the two agree. The cockpit's trends, rates and heat map read only this table
(plus the open steps, live).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select

from app.models import Case, CaseTask, DailySummary, ServiceItem, Session
from app.models.base import dialect_insert, table_of
from app.models.vocab import TaskState
from app.services.events import EventBus, EventContext
from app.services.workdays import get_calendar
from engine.events import CaseAdvanced, Completed, Submitted, Withdrawn
from engine.workcal import local_date

CASE_ROW = ""  # the ``step`` of a case-level row
COUNTERS = (
    "submitted",
    "decided",
    "timed",
    "on_time",
    "used_wd",
    "promised_wd",
    "tasks_done",
    "task_seconds",
    "task_wd",
)

Key = tuple[date, int, str, str]


def _seconds(start: datetime, end: datetime) -> float:
    return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()


def _case_facts(
    case: Case, promised: int, out: dict[Key, dict[str, Any]], *, submitted: bool, decided: bool
) -> None:
    if submitted:
        key = (local_date(case.submitted_at), case.item_id, case.department_code, CASE_ROW)
        out[key]["submitted"] += 1
    if decided and case.completed_at is not None:
        key = (local_date(case.completed_at), case.item_id, case.department_code, CASE_ROW)
        row = out[key]
        row["decided"] += 1
        if case.stored_used_wd is None:
            return
        limit = promised + (case.extension_wd or 0)
        row["timed"] += 1
        row["on_time"] += 1 if case.stored_used_wd <= limit else 0
        row["used_wd"] += case.stored_used_wd
        row["promised_wd"] += limit


def _task_facts(case: Case, task: CaseTask, out: dict[Key, dict[str, Any]]) -> None:
    if task.state != TaskState.COMPLETED or task.completed_at is None:
        return
    key = (local_date(task.created_at), case.item_id, case.department_code, task.bpmn_id)
    row = out[key]
    row["step_name"] = task.name
    row["tasks_done"] += 1
    row["task_seconds"] += _seconds(task.created_at, task.completed_at)
    row["task_wd"] += waited_wd(task.created_at, task.completed_at)


def waited_wd(opened: datetime, ended: datetime | date, cal: Any = None) -> int:
    """Working days a step waited: (day opened, day ended] on the official calendar, never negative."""
    end = ended if not isinstance(ended, datetime) else local_date(ended)
    return max(0, int((cal or get_calendar()).count_workdays(local_date(opened), end)))


def _empty() -> dict[str, Any]:
    return {**dict.fromkeys(COUNTERS, 0), "task_seconds": 0.0, "step_name": ""}


def _add(rows: dict[Key, dict[str, Any]]) -> None:
    """Add the counters to their rows (an upsert per row: one statement for all of them)."""
    if not rows:
        return
    table = table_of(DailySummary)
    values = [
        {"day": k[0], "item_id": k[1], "department_code": k[2], "step": k[3], **v} for k, v in rows.items()
    ]
    stmt = dialect_insert(table).values(values)
    excluded = stmt.excluded
    # on the connection, not the session: counters need no flush of the change first, so the case's
    # own rows go out once, at commit (an autoflush here wrote the case twice in one filing)
    Session.connection().execute(
        stmt.on_conflict_do_update(
            index_elements=["day", "item_id", "department_code", "step"],
            set_={
                "step_name": excluded.step_name,
                **{c: table.c[c] + excluded[c] for c in COUNTERS},
            },
        )
    )


def on_case_advanced(_event: CaseAdvanced, ctx: EventContext) -> None:
    case = ctx.case
    submitted = any(isinstance(e, Submitted) for e in ctx.events)
    # the change that ended the workflow (completed_at is set once, by that change)
    decided = case.completed_at is not None and any(isinstance(e, Completed | Withdrawn) for e in ctx.events)
    rows: dict[Key, dict[str, Any]] = defaultdict(_empty)
    if submitted or decided:
        promised = (
            case.item.promised_wd
            if case.item is not None
            else Session.get_one(ServiceItem, case.item_id).promised_wd
        )
        _case_facts(case, promised, rows, submitted=submitted, decided=decided)
    if ctx.task is not None:  # the step this change completed (the others it closed are cancelled)
        _task_facts(case, ctx.task, rows)
    _add(rows)


def subscribe(bus: EventBus) -> None:
    bus.subscribe(CaseAdvanced, on_case_advanced)


def rebuild_summary(batch: int = 4_000) -> int:  # 14 parameters a row: PostgreSQL allows 65,535 a statement
    """Recompute every summary row from the cases and their steps, in one transaction; the row count."""
    promised = {i.id: i.promised_wd for i in Session.scalars(select(ServiceItem))}
    rows: dict[Key, dict[str, Any]] = defaultdict(_empty)
    c = table_of(Case)
    for r in Session.execute(
        select(
            c.c.submitted_at,
            c.c.completed_at,
            c.c.item_id,
            c.c.department_code,
            c.c.used_wd,
            c.c.extension_wd,
        )
    ):
        day = local_date(r.submitted_at)
        rows[(day, r.item_id, r.department_code, CASE_ROW)]["submitted"] += 1
        if r.completed_at is not None:
            row = rows[(local_date(r.completed_at), r.item_id, r.department_code, CASE_ROW)]
            row["decided"] += 1
            if r.used_wd is None:
                continue
            limit = promised[r.item_id] + (r.extension_wd or 0)
            row["timed"] += 1
            row["on_time"] += 1 if r.used_wd <= limit else 0
            row["used_wd"] += r.used_wd
            row["promised_wd"] += limit
    t = table_of(CaseTask)
    cal = get_calendar()
    for r in Session.execute(
        select(t.c.created_at, t.c.completed_at, t.c.bpmn_id, t.c.name, c.c.item_id, c.c.department_code)
        .join(c, c.c.id == t.c.case_id)
        .where(t.c.state == TaskState.COMPLETED, t.c.completed_at.is_not(None))
    ):
        row = rows[(local_date(r.created_at), r.item_id, r.department_code, r.bpmn_id)]
        row["step_name"] = r.name
        row["tasks_done"] += 1
        row["task_seconds"] += _seconds(r.created_at, r.completed_at)
        row["task_wd"] += waited_wd(r.created_at, r.completed_at, cal)
    Session.execute(delete(DailySummary))
    items = list(rows.items())
    for lo in range(0, len(items), batch):
        _add(dict(items[lo : lo + batch]))
    Session.commit()
    return len(rows)


def summary_rows() -> list[tuple[Any, ...]]:
    """Every row, sorted (what the test compares before and after a rebuild)."""
    s = table_of(DailySummary)
    cols = [s.c.day, s.c.item_id, s.c.department_code, s.c.step, s.c.step_name, *[s.c[c] for c in COUNTERS]]
    out = []
    for r in Session.execute(select(*cols).order_by(s.c.day, s.c.item_id, s.c.department_code, s.c.step)):
        vals = list(r)
        vals[-2] = round(float(vals[-2]), 3)  # task_seconds
        if any(vals[5:]):
            out.append(tuple(vals))
    return out
