"""Bulk recomputation of the open clocks: the daily sweep and calendar changes (set-based, no ORM)."""

from __future__ import annotations

import gc
from datetime import date
from typing import Any

import orjson
from sqlalchemy import String, cast, select

from app.models import Case, CaseTask, ServiceItem, Session
from app.models.base import table_of
from app.models.vocab import OPEN_STATUSES, OPEN_TASK_STATES
from app.services.clocks.model import (
    compute_case,
    next_light_change,
    next_step_change,
    projection,
    step_values,
)
from app.services.workdays import get_calendar, record_sweep_day, today

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
CASE_WRITE = (*CASE_COLUMNS, "light_changes_on", "clocks_computed_on")
TASK_WRITE = (*TASK_COLUMNS, "light_changes_on", "clocks_computed_on")


class _Row:
    """What compute_case and projection read of a case, without an ORM instance per row."""

    __slots__ = ("clock_inputs", "status")

    def __init__(self) -> None:
        self.clock_inputs: Any = None
        self.status: Any = None


def _bulk_update(table: Any, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """One driver-level executemany: building SQLAlchemy parameters per row costs more than the UPDATE."""
    conn = Session.connection()
    if conn.dialect.name == "postgresql":
        _pg_bulk_update(conn, table, columns, rows)
        return
    style = conn.dialect.paramstyle
    mark = "?" if style == "qmark" else "%s"
    # table and column names are module constants (CASE_COLUMNS, TASK_COLUMNS), never user input
    sql = f"UPDATE {table.name} SET " + ", ".join(f"{c} = {mark}" for c in columns) + f" WHERE id = {mark}"  # noqa: S608
    sqlite = conn.dialect.name == "sqlite"

    def value(v: Any) -> Any:
        return v.isoformat() if sqlite and isinstance(v, date) else v

    conn.exec_driver_sql(sql, [tuple(value(r[c]) for c in columns) + (r["_id"],) for r in rows])


def _pg_bulk_update(conn: Any, table: Any, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the whole batch in ONE statement, ``UPDATE … FROM unnest(arrays)`` — one executor
    start and one round trip for thousands of rows instead of one per row."""
    if not rows:
        return
    types = [table.c[c].type.compile(dialect=conn.dialect) for c in columns]
    id_type = table.c["id"].type.compile(dialect=conn.dialect)
    sets = ", ".join(f"{c} = v.{c}" for c in columns)
    arrays = ", ".join(f"%s::{typ}[]" for typ in types)
    names = ", ".join(columns)
    # table, column and type names come from the model (CASE_WRITE, TASK_WRITE), never from input
    sql = (
        f"UPDATE {table.name} AS t SET {sets} "  # noqa: S608
        f"FROM unnest({arrays}, %s::{id_type}[]) AS v({names}, _id) WHERE t.id = v._id"
    )
    params = [[r[c] for r in rows] for c in columns] + [[r["_id"] for r in rows]]
    conn.exec_driver_sql(sql, tuple(params))


def recompute_open_clocks(
    on: date | None = None, commit: bool = True, batch: int = 5000, *, only_due: bool = False
) -> dict[str, int]:
    """Recompute open cases' and open steps' deadline, light and light change date; write what changed.

    ``only_due`` (the daily sweep): only the rows whose light change date has come (an indexed range);
    otherwise (a calendar change, the first run after the upgrade) every open row. Used/remaining days
    are stored as of ``clocks_computed_on`` and moved on when read, so a row whose light, deadline and
    change date stand is not rewritten just because a day passed.

    Column-level UPDATEs (no lock_version bump): a sweep never makes a caseworker's save conflict.
    The cyclic garbage collector is paused meanwhile: the rows are acyclic, and its full collections
    over a process holding 100,000 fresh objects cost more than the computation itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _recompute_open_clocks(on, commit, batch, only_due)
    finally:
        if enabled:
            gc.enable()


def _shift(cal: Any, since: date | None, on: date, moving: bool) -> int:
    """Working days the stored used/remaining days have moved by on ``on`` (as the models read them)."""
    if since is None or not moving or on <= since:
        return 0
    return int(cal.count_workdays(since, on))


def _recompute_open_clocks(on: date | None, commit: bool, batch: int, only_due: bool) -> dict[str, int]:
    cal = get_calendar()
    on = on or today()
    items = {i.id: i for i in Session.scalars(select(ServiceItem))}
    case_t, task_t = table_of(Case), table_of(CaseTask)
    # One read per table (100,000 small rows fit easily); keyset pages made SQLite rescan per page.
    cols = [
        case_t.c.id,
        case_t.c.item_id,
        case_t.c.status,
        case_t.c.clock_inputs,
        case_t.c.clocks_computed_on,
        case_t.c.light_changes_on,
        *[case_t.c[c] for c in CASE_COLUMNS],
    ]
    cond: Any = case_t.c.status.in_(OPEN_STATUSES)
    if only_due:
        cond = cond & (case_t.c.light_changes_on <= on)  # a pure index range (migration 0052)
    rows = Session.execute(select(*cols).where(cond)).all()
    row_view = _Row()
    updates = []
    for row in rows:
        row_view.status, row_view.clock_inputs = row.status, row.clock_inputs
        states = compute_case(row_view, items[row.item_id], cal, on, for_projection=True)
        new = projection(row_view, states)
        new["light_changes_on"] = next_light_change(row_view, items[row.item_id], cal, on, states)
        new["clocks_computed_on"] = on
        moving = row.light is not None and not row.clock_paused
        old = {c: getattr(row, c) for c in CASE_COLUMNS}
        shift = _shift(cal, row.clocks_computed_on, on, moving)
        old["used_wd"] = None if row.used_wd is None else row.used_wd + shift
        old["remaining_wd"] = None if row.remaining_wd is None else row.remaining_wd - shift
        if row.light_changes_on != new["light_changes_on"] or any(old[c] != new[c] for c in CASE_COLUMNS):
            updates.append({"_id": row.id, **new})
    for lo in range(0, len(updates), batch):
        _bulk_update(case_t, CASE_WRITE, updates[lo : lo + batch])
    changed_cases = len(updates)
    props_cache: dict[tuple[int, str], dict[str, Any]] = {}
    props_text = cast(task_t.c.properties, String)
    tcols = [
        task_t.c.id,
        task_t.c.started_on,
        task_t.c.limit_wd,
        task_t.c.clocks_computed_on,
        task_t.c.light_changes_on,
        props_text.label("props"),
        case_t.c.item_id,
        *[task_t.c[c] for c in TASK_COLUMNS],
    ]
    tcond: Any = task_t.c.state.in_(OPEN_TASK_STATES) & task_t.c.limit_wd.is_not(None)
    if only_due:
        tcond = tcond & (task_t.c.light_changes_on <= on)
    rows = Session.execute(select(*tcols).join(case_t, case_t.c.id == task_t.c.case_id).where(tcond)).all()
    updates = []
    for row in rows:
        key = (row.item_id, row.props or "{}")
        props = props_cache.get(key)
        if props is None:  # steps of one BPMN task share their properties: parse each text once
            props = props_cache[key] = orjson.loads(key[1])
        item = items[row.item_id]
        new = step_values(row.started_on, row.limit_wd, props, item, cal, on)
        new["light_changes_on"] = next_step_change(row.started_on, row.limit_wd, props, item, cal, on)
        new["clocks_computed_on"] = on
        old = {c: getattr(row, c) for c in TASK_COLUMNS}
        shift = _shift(cal, row.clocks_computed_on, on, row.light is not None)
        old["used_wd"] = None if row.used_wd is None else row.used_wd + shift
        old["remaining_wd"] = None if row.remaining_wd is None else row.remaining_wd - shift
        if row.light_changes_on != new["light_changes_on"] or any(old[c] != new[c] for c in TASK_COLUMNS):
            updates.append({"_id": row.id, **new})
    for lo in range(0, len(updates), batch):
        _bulk_update(task_t, TASK_WRITE, updates[lo : lo + batch])
    if commit:
        Session.commit()
    return {"cases_changed": changed_cases, "tasks_changed": len(updates)}


def refresh_lights(on: date | None = None) -> dict[str, int]:
    """The daily sweep: only the clocks whose light change date has come."""
    on = on or today()
    result = recompute_open_clocks(on, commit=False, only_due=True)
    record_sweep_day(on)
    Session.commit()
    return result
