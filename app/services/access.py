"""What an actor may see or take, as SQL predicates built from their role-in-department grants.

One home for the set-based form of the authorisation rules (the per-row checks live beside their
services: ``cases.can_view``, ``tasks.may_act``), so the inbox, the task API and the case search
agree on them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, false, or_

from app.models import Case, CaseTask
from app.models.vocab import TaskState
from app.services.auth import Actor


def group_tasks(actor: Actor) -> Any:
    """READY tasks of any (role, department) group the actor belongs to."""
    pairs = actor.staff_grants()
    if not pairs:
        return false()
    return and_(
        CaseTask.state == TaskState.READY,
        or_(*[and_(CaseTask.department_code == dept, CaseTask.role == role) for role, dept in pairs]),
    )


def open_task_branches(actor: Actor) -> list[Any]:
    """``open_tasks`` as disjoint parts, each a range of one inbox index: my claimed tasks, then the
    ready tasks of each (role, department) group."""
    groups = sorted(set(actor.staff_grants()))
    return [
        and_(CaseTask.assignee_id == actor.id, CaseTask.state == TaskState.CLAIMED),
        *(
            and_(CaseTask.department_code == dept, CaseTask.role == role, CaseTask.state == TaskState.READY)
            for role, dept in groups
        ),
    ]


def open_tasks(actor: Actor) -> Any:
    """The actor's inbox: tasks they claimed, and their groups' claimable tasks."""
    return or_(
        and_(CaseTask.assignee_id == actor.id, CaseTask.state == TaskState.CLAIMED), group_tasks(actor)
    )


def visible_cases(actor: Actor) -> Any | None:
    """Cases the actor may see; None: every case (oversight). ``false()`` when none."""
    if actor.is_oversight:
        return None
    mine: list[Any] = []
    depts = actor.departments()
    if depts:
        mine.append(Case.department_code.in_(sorted(depts)))
    if actor.is_applicant:
        mine.append(Case.applicant_user_id == actor.id)
    return or_(*mine) if mine else false()
