"""Who may file an application on an applicant's behalf, and the comprehensive window (综合窗口).

一窗受理: a ``window`` clerk of the service centre registers walk-in applications for items of ANY
department (前台综合受理); the case is handled by the item's department (后台分类审批). The window
keeps sight of the cases it registered: it may read them and upload their scanned materials.
"""

from __future__ import annotations

from sqlalchemy import select

from app.models import Case, ServiceItem, Session, WindowIntake
from app.models.vocab import Role
from app.services.auth import Actor
from app.services.events import EventBus, EventContext
from engine.events import Submitted

WINDOW_ROLE = Role.WINDOW
ID_DOCUMENTS = {"person": "resident_id_card", "entity": "business_licence"}


def is_window(actor: Actor) -> bool:
    return bool(actor.departments(Role.WINDOW))


def may_file_for_others(actor: Actor, item: ServiceItem) -> bool:
    """The item department's own clerks, and every comprehensive window."""
    return actor.may_act(Role.CLERK, item.department_code) or is_window(actor)


def registered_by_window(actor: Actor, case: Case) -> bool:
    if not is_window(actor):
        return False
    row = Session.get(WindowIntake, case.id)
    return row is not None and row.department_code in actor.departments(Role.WINDOW)


def intake_department(case: Case) -> str | None:
    """The service centre whose window registered the case (None: filed online)."""
    row = Session.get(WindowIntake, case.id)
    return row.department_code if row is not None else None


def window_intakes(actor: Actor, limit: int = 50) -> list[Case]:
    """The latest cases registered at the actor's service centre."""
    if not is_window(actor):
        return []
    ids = select(WindowIntake.case_id).where(WindowIntake.department_code.in_(actor.departments(Role.WINDOW)))
    return list(Session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id.desc()).limit(limit)))


def on_submitted(_event: Submitted, ctx: EventContext) -> None:
    """Inside the filing transaction: a case filed by a window is that window's intake."""
    actor = ctx.actor
    if actor is not None and is_window(actor):
        Session.add(
            WindowIntake(
                case_id=ctx.case.id,
                clerk_id=actor.id,
                department_code=sorted(actor.departments(Role.WINDOW))[0],
                id_document=ID_DOCUMENTS.get(ctx.case.applicant_kind, "other"),
                id_checked_at=ctx.now,
                created_at=ctx.now,
            )
        )


def subscribe(bus: EventBus) -> None:
    bus.subscribe(Submitted, on_submitted)
