"""Project an engine snapshot onto the case row and its task rows (same transaction as the state)."""

from __future__ import annotations

from typing import Any

from app.models import Case, CaseTask, Session, utcnow
from engine.runtime import CaseRun, CaseSnapshot

OPEN_STATES = ("ready", "claimed")
# Case statuses (status_of below). Filter open cases with IN (OPEN_STATUSES): it can use the status index.
OPEN_STATUSES = ("accepting", "correcting", "in_progress", "special_procedure")
CLOSED_STATUSES = ("completed", "refused", "withdrawn")


def status_of(snapshot: CaseSnapshot, special_procedures: set[str]) -> str:
    if snapshot.completed:
        return "refused" if snapshot.end_event == "refused" else "completed"
    if "supplement" in snapshot.waiting_messages:
        return "correcting"
    if any(ca in special_procedures for ca in snapshot.active_call_activities):
        return "special_procedure"
    if any(t.task_id in ("accept", "handle") for t in snapshot.ready):
        return "accepting"
    return "in_progress"


def case_summary(case: Case) -> dict[str, Any]:
    """What an audit event records as before/after of a case."""
    return {
        "status": case.status,
        "open_tasks": sorted(t.bpmn_id for t in case.tasks if t.state in OPEN_STATES),
        "outcome": case.outcome,
    }


def apply_snapshot(case: Case, run: CaseRun, snapshot: CaseSnapshot) -> list[CaseTask]:
    """Store state and projections; returns the task rows created."""
    definition = run.definition
    special = {ca for ca, props in definition.call_activities.items() if props.get("special_procedure")}
    case.state = run.dump()
    case.status = status_of(snapshot, special)
    case.outcome = snapshot.end_event
    case.waiting_for = snapshot.waiting_messages[0] if snapshot.waiting_messages else None
    case.next_timer_due = snapshot.next_timer_due
    case.data = dict(snapshot.data)
    if snapshot.completed and case.completed_at is None:
        case.completed_at = utcnow()

    ready_ids = {t.id for t in snapshot.ready}
    open_rows = {t.spiff_task_id: t for t in case.tasks if t.state in OPEN_STATES}
    for spiff_id, row in open_rows.items():
        if spiff_id not in ready_ids:
            row.state = "cancelled"
            row.completed_at = utcnow()
    created = []
    for ready in snapshot.ready:
        if ready.id in open_rows:
            continue
        ca_props = definition.call_activities.get(ready.call_activity or "", {})
        row = CaseTask(
            case=case,
            spiff_task_id=ready.id,
            bpmn_id=ready.task_id,
            name=ready.name,
            role=ready.lane or "clerk",
            department_code=case.department_code,
            state="ready",
            form=ready.form,
            special_procedure=ready.properties.get("special_procedure") or ca_props.get("special_procedure"),
            properties={
                **dict(ready.properties),
                **(
                    {"procedure_limit_wd": ca_props["time_limit_wd"]} if ca_props.get("time_limit_wd") else {}
                ),
            },
        )
        Session.add(row)
        created.append(row)
    return created
