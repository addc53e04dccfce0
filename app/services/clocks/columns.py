"""Write a case's computed clocks into its indexed columns, and its open steps' (same transaction)."""

from __future__ import annotations

from datetime import date

from app.models import Case, CaseTask, ServiceItem, Session
from app.models.vocab import OPEN_TASK_STATES, TaskState
from app.services.clocks.model import (
    compute_case,
    next_light_change,
    next_step_change,
    projection,
    step_values,
)
from app.services.workdays import get_calendar, today
from engine.workcal import WorkCalendar, local_date


def refresh_case(case: Case, on: date | None = None, cal: WorkCalendar | None = None) -> None:
    """Recompute the case's and its open tasks' clock columns (inside the caller's transaction)."""
    cal = cal or get_calendar()
    on = on or today()
    item = case.item or Session.get_one(ServiceItem, case.item_id)
    states = compute_case(case, item, cal, on, for_projection=True)
    for key, value in projection(case, states).items():
        setattr(case, key, value)
    case.clocks_computed_on = on
    case.light_changes_on = next_light_change(case, item, cal, on, states)
    for task in case.tasks:
        if task.state in OPEN_TASK_STATES:
            refresh_task(task, item, cal, on)
        elif task.light is not None and task.state in (TaskState.COMPLETED, TaskState.CANCELLED):
            task.light = None


def refresh_task(task: CaseTask, item: ServiceItem, cal: WorkCalendar, on: date) -> None:
    props = task.properties or {}
    raw = props.get("time_limit_wd")
    if raw in (None, ""):
        return
    task.limit_wd = int(raw)
    task.started_on = task.started_on or (local_date(task.created_at) if task.created_at else on)
    for key, value in step_values(task.started_on, task.limit_wd, props, item, cal, on).items():
        setattr(task, key, value)
    task.clocks_computed_on = on
    task.light_changes_on = next_step_change(task.started_on, task.limit_wd, props, item, cal, on)
