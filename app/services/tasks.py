"""Tasks: the inbox, claim and release, and completing a task with its form data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import joinedload

from app.models import Case, CaseTask, Session, utcnow
from app.models.base import rowcount
from app.models.vocab import CASEWORKER_ROLES, OPEN_TASK_STATES, TaskState
from app.services import audit
from app.services.advance import CompleteTask, advance_case, all_or_nothing
from app.services.auth import Actor
from app.services.cases import can_view
from app.services.catalogue import forms_for
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.forms import get_form, validate_form

# Built once with bind parameters: constructing the statement costs more than running it.
_INBOX = (
    select(CaseTask)
    .where(
        or_(
            and_(CaseTask.state == TaskState.CLAIMED, CaseTask.assignee_id == bindparam("actor_id")),
            and_(
                CaseTask.state == TaskState.READY,
                CaseTask.role == bindparam("role"),
                CaseTask.department_code == bindparam("dept"),
            ),
        )
    )
    .options(joinedload(CaseTask.case))
    .order_by(CaseTask.id)
    .limit(bindparam("limit"))
    .offset(bindparam("offset"))
)


def list_inbox(actor: Actor, limit: int = 50, offset: int = 0) -> list[CaseTask]:
    if actor.role not in CASEWORKER_ROLES:
        return []
    params = {
        "actor_id": actor.id,
        "role": actor.role,
        "dept": actor.department_code,
        "limit": limit,
        "offset": offset,
    }
    return list(Session.scalars(_INBOX, params).unique())


_TASK = (
    select(CaseTask)
    .where(CaseTask.id == bindparam("task_id"))
    .options(joinedload(CaseTask.case).selectinload(Case.tasks))
)


def _load_task(task_id: int) -> CaseTask:
    row = Session.scalar(_TASK, {"task_id": task_id})
    if row is None:
        raise NotFound(f"任务 {task_id} 不存在 / no task {task_id}", code="task_not_found")
    return row


def _check_may_act(actor: Actor, row: CaseTask) -> None:
    if actor.role != row.role or actor.department_code != row.department_code:
        raise Forbidden(
            f"任务 {row.id} 属于 {row.department_code}/{row.role}，不是您的任务 / task {row.id} is not yours",
            code="not_your_task",
        )
    if row.state == TaskState.CLAIMED and row.assignee_id != actor.id:
        raise Forbidden(
            f"任务 {row.id} 已被他人签收 / task {row.id} is claimed by someone else", code="claimed_by_other"
        )
    if row.state not in OPEN_TASK_STATES:
        raise Conflict(
            f"任务 {row.id} 已{_state_zh(row.state)} / task {row.id} is {row.state}", code="task_closed"
        )


def _state_zh(state: str) -> str:
    return {"completed": "办结", "cancelled": "取消"}.get(state, state)


def get_task(actor: Actor, task_id: int) -> tuple[CaseTask, dict[str, Any]]:
    row = _load_task(task_id)
    if not can_view(actor, row.case) or actor.role == "applicant":
        raise NotFound(f"任务 {task_id} 不存在 / no task {task_id}", code="task_not_found")
    form = forms_for(row.case.process_version).get(row.form) or {}
    return row, form


def claim_task(actor: Actor, task_id: int) -> CaseTask:
    row = _load_task(task_id)
    _check_may_act(actor, row)
    if row.state == TaskState.CLAIMED:
        return row
    now = utcnow()
    result = Session.execute(
        update(CaseTask)
        .where(CaseTask.id == task_id, CaseTask.state == TaskState.READY)
        .values(state=TaskState.CLAIMED, assignee_id=actor.id, claimed_at=now)
    )
    if rowcount(result) != 1:
        Session.rollback()
        raise Conflict(
            f"任务 {task_id} 已被他人签收 / task {task_id} was claimed by someone else", code="claim_conflict"
        )
    audit.record(
        actor,
        "task.claim",
        row.case_id,
        target=f"{row.bpmn_id}#{row.id}",
        before={"state": "ready"},
        after={"state": "claimed", "assignee": actor.username},
    )
    Session.commit()
    Session.refresh(row)
    return row


def release_task(actor: Actor, task_id: int) -> CaseTask:
    row = _load_task(task_id)
    _check_may_act(actor, row)
    if row.state != TaskState.CLAIMED:
        raise Conflict(f"任务 {task_id} 未被签收 / task {task_id} is not claimed", code="not_claimed")
    result = Session.execute(
        update(CaseTask)
        .where(CaseTask.id == task_id, CaseTask.state == TaskState.CLAIMED, CaseTask.assignee_id == actor.id)
        .values(state=TaskState.READY, assignee_id=None, claimed_at=None)
    )
    if rowcount(result) != 1:
        Session.rollback()
        raise Conflict(f"任务 {task_id} 状态已变化 / task {task_id} changed", code="release_conflict")
    audit.record(
        actor,
        "task.release",
        row.case_id,
        target=f"{row.bpmn_id}#{row.id}",
        before={"state": "claimed", "assignee": actor.username},
        after={"state": "ready"},
    )
    Session.commit()
    Session.refresh(row)
    return row


def complete_task(actor: Actor, task_id: int, data: Any, now: datetime | None = None) -> CaseTask:
    """Complete a task with its form data; the step and everything it causes apply wholly or not at all."""
    with all_or_nothing():
        row = _load_task(task_id)
        _check_may_act(actor, row)
        clean = validate_form(get_form(forms_for(row.case.process_version), row.form), data)
    advance_case(actor, row.case, CompleteTask(row, clean), audit_action="task.complete", now=now)
    return row
