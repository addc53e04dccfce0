"""Tasks: the inbox, claim and release, and completing a task with its form data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from app.models import Case, CaseTask, Session, utcnow
from app.models.base import rowcount
from app.models.vocab import OPEN_TASK_STATES, TaskState
from app.services import access, audit
from app.services.advance import CompleteTask, advance_case, all_or_nothing
from app.services.auth import Actor
from app.services.catalogue import forms_for
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.forms import get_form, validate_form
from app.services.i18n import t


def list_inbox(actor: Actor, limit: int = 50, offset: int = 0) -> list[CaseTask]:
    if not actor.staff_grants():
        return []
    stmt = (
        select(CaseTask)
        .where(access.open_tasks(actor))
        .options(joinedload(CaseTask.case))
        .order_by(CaseTask.id)
        .limit(limit)
        .offset(offset)
    )
    return list(Session.scalars(stmt).unique())


_TASK = (
    select(CaseTask)
    .where(CaseTask.id == bindparam("task_id"))
    # the task, its case and the case's tasks in one query (a join, not a second SELECT)
    .options(joinedload(CaseTask.case).joinedload(Case.tasks))
)


def _load_task(task_id: int) -> CaseTask:
    row = Session.execute(_TASK, {"task_id": task_id}).unique().scalar_one_or_none()
    if row is None:
        raise NotFound(t("任务 %(id)s 不存在", id=task_id), code="task_not_found")
    return row


def _check_may_act(actor: Actor, row: CaseTask) -> None:
    if not actor.may_act(row.role, row.department_code):
        raise Forbidden(
            t("任务 %(id)s 不是您的任务：它由其他岗位或部门办理", id=row.id), code="not_your_task"
        )
    if row.state == TaskState.CLAIMED and row.assignee_id != actor.id:
        raise Conflict(t("任务 %(id)s 已被他人签收", id=row.id), code="claimed_by_other")
    if row.state == TaskState.COMPLETED:
        raise Conflict(t("任务 %(id)s 已办结", id=row.id), code="task_closed")
    if row.state not in OPEN_TASK_STATES:
        raise Conflict(t("任务 %(id)s 已取消", id=row.id), code="task_closed")


def may_act(actor: Actor, row: CaseTask) -> bool:
    """Whether the actor could take and complete this task now (the task page shows the form)."""
    return (
        row.state in OPEN_TASK_STATES
        and actor.may_act(row.role, row.department_code)
        and not (row.state == TaskState.CLAIMED and row.assignee_id != actor.id)
    )


def get_task(actor: Actor, task_id: int) -> tuple[CaseTask, dict[str, Any]]:
    row = _load_task(task_id)
    # the task pages are the office's: oversight, or staff of the case's department (not applicants)
    if not (
        actor.is_oversight
        or actor.holds_in(row.case.department_code)
        or actor.may_act(row.role, row.department_code)
    ):
        raise NotFound(t("任务 %(id)s 不存在", id=task_id), code="task_not_found")
    form = forms_for(row.case.process_version).get(row.form) or {}
    return row, form


def _take_case_lock(row: CaseTask) -> bool:
    """Bump the case's optimistic-lock version if it is still the one read with the task.

    Claim and release take part in the same lock as completion (whose ORM update of the case row is
    versioned), so of two concurrent operations on one task the second finds the version moved: on
    PostgreSQL it waits on the row lock and then matches no row; on SQLite the writers queue.
    """
    result = Session.execute(
        update(Case)
        .where(Case.id == row.case_id, Case.lock_version == row.case.lock_version)
        .values(lock_version=Case.lock_version + 1)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def _lost_race(actor: Actor, task_id: int, code: str) -> Conflict:
    """The 409 for the loser of a race: said with the winner's result (closed, claimed by another)."""
    Session.rollback()
    row = _load_task(task_id)
    try:
        _check_may_act(actor, row)
    except Conflict as exc:
        return exc
    return Conflict(t("任务 %(id)s 状态已变化，请刷新", id=task_id), code=code)


def claim_task(actor: Actor, task_id: int) -> CaseTask:
    row = _load_task(task_id)
    _check_may_act(actor, row)
    if row.state == TaskState.CLAIMED:
        return row
    now = utcnow()
    if not _take_case_lock(row):
        raise _lost_race(actor, task_id, "claim_conflict")
    result = Session.execute(
        update(CaseTask)
        .where(CaseTask.id == task_id, CaseTask.state == TaskState.READY)
        .values(state=TaskState.CLAIMED, assignee_id=actor.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise _lost_race(actor, task_id, "claim_conflict")
    audit.record(
        actor,
        "task.claim",
        row.case_id,
        target=f"{row.bpmn_id}#{row.id}",
        before={"state": "ready"},
        after={"state": "claimed", "assignee": actor.username},
    )
    Session.commit()
    Session.expire(row.case, ["lock_version"])  # bumped in SQL above
    Session.refresh(row)
    return row


def release_task(actor: Actor, task_id: int) -> CaseTask:
    row = _load_task(task_id)
    _check_may_act(actor, row)
    if row.state != TaskState.CLAIMED:
        raise Conflict(t("任务 %(id)s 未被签收", id=task_id), code="not_claimed")
    if not _take_case_lock(row):
        raise _lost_race(actor, task_id, "release_conflict")
    result = Session.execute(
        update(CaseTask)
        .where(CaseTask.id == task_id, CaseTask.state == TaskState.CLAIMED, CaseTask.assignee_id == actor.id)
        .values(state=TaskState.READY, assignee_id=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        raise _lost_race(actor, task_id, "release_conflict")
    audit.record(
        actor,
        "task.release",
        row.case_id,
        target=f"{row.bpmn_id}#{row.id}",
        before={"state": "claimed", "assignee": actor.username},
        after={"state": "ready"},
    )
    Session.commit()
    Session.expire(row.case, ["lock_version"])  # bumped in SQL above
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
