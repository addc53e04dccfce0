"""Project an engine snapshot onto the case row and its task rows (same transaction as the state).

Only engine facts are projected here (state, waits, timers, open tasks). What a change *means* — the
status, clocks, documents — is decided by the capabilities subscribed to case events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import Case, CaseTask, Session, utcnow
from app.models.vocab import CLOSED_STATUSES, OPEN_STATUSES, OPEN_TASK_STATES, TaskState
from engine.events import PROP_SPECIAL
from engine.runtime import CaseRun, CaseSnapshot
from engine.workcal import local_date

# Kept for the modules that filter open rows by these names.
OPEN_STATES = OPEN_TASK_STATES
__all__ = ["CLOSED_STATUSES", "OPEN_STATES", "OPEN_STATUSES", "apply_snapshot", "case_summary"]


def case_summary(case: Case) -> dict[str, Any]:
    """What an audit event records as before/after of a case."""
    return {
        "status": case.status,
        "open_tasks": sorted(t.bpmn_id for t in case.tasks if t.state in OPEN_TASK_STATES),
        "outcome": case.outcome,
        "version": case.process_version,
    }


def apply_snapshot(
    case: Case, run: CaseRun, snapshot: CaseSnapshot, now: datetime | None = None
) -> list[CaseTask]:
    """Store state and projections; returns the task rows created."""
    at = now or utcnow()
    definition = run.definition
    case.state = run.dump()
    case.outcome = snapshot.end_event
    case.waiting_for = snapshot.waiting_messages[0] if snapshot.waiting_messages else None
    case.next_timer_due = snapshot.next_timer_due
    case.data = dict(snapshot.data)
    if snapshot.completed and case.completed_at is None:
        case.completed_at = at

    ready_ids = {t.id for t in snapshot.ready}
    open_rows = {t.spiff_task_id: t for t in case.tasks if t.state in OPEN_TASK_STATES}
    for spiff_id, row in open_rows.items():
        if spiff_id not in ready_ids:
            row.state = TaskState.CANCELLED
            row.completed_at = at
    created = []
    for ready in snapshot.ready:
        if ready.id in open_rows:
            continue
        ca_props = definition.call_activities.get(ready.call_activity or "", {})
        special = ca_props.get(PROP_SPECIAL) or None
        props = dict(ready.properties)
        if special and ca_props.get("time_limit_wd"):
            props["procedure_limit_wd"] = ca_props["time_limit_wd"]
        row = CaseTask(
            case=case,
            item_id=case.item_id if case.item_id is not None else case.item.id,
            spiff_task_id=ready.id,
            bpmn_id=ready.task_id,
            name=ready.name,
            role=ready.lane or "clerk",
            department_code=case.department_code,
            state=TaskState.READY,
            form=ready.form,
            special_procedure=special,
            properties=props,
            created_at=at,
            # the step clock starts on the change's day (clocks.transitions sets it otherwise): in the
            # INSERT, not an UPDATE after it
            started_on=local_date(now) if now is not None else None,
        )
        Session.add(row)
        created.append(row)
    return created
