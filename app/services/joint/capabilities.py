"""一件事: what the master does when a component or the master moves (event reactions).

Master and component steps that belong together commit together (``advance.step_case``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import Case, Session
from app.models.vocab import CaseStatus
from app.services import org
from app.services.advance import (
    Advanced,
    DeliverMessage,
    Record,
    Withdraw,
    all_or_nothing,
    step_case,
)
from app.services.auth import Actor
from app.services.clocks.model import new_clock, stop
from app.services.errors import Conflict
from app.services.events import EventBus, EventContext
from app.services.i18n import t
from app.services.joint import pause
from app.services.joint.spec import (
    MESSAGE,
    components_of,
    is_closed,
    is_master,
    master_of,
    to_joint,
)
from engine.events import (
    Accepted,
    Completed,
    CorrectionRequested,
    Refused,
    SpecialProcedureEnded,
    SpecialProcedureRenotified,
    SpecialProcedureStarted,
    Withdrawn,
)
from engine.workcal import local_date


def _answered(child: Case) -> bool:
    """The department has answered on acceptance: accepted, refused, or asked for a correction."""
    return child.accepted_on is not None or is_closed(child) or child.waiting_for == "supplement"


def _last_request(child: Case) -> list[tuple[str, str]]:
    done = [
        task
        for task in child.tasks
        if task.bpmn_id == "accept" and task.data and task.completed_at is not None
    ]
    if not done:
        return []
    rows = (done[-1].data or {}).get("deficient_materials") or []
    return [(str(r.get("material", "")), str(r.get("reason", ""))) for r in rows if isinstance(r, dict)]


def _merge_corrections(master: Case, ctx: EventContext) -> None:
    """Once every component has answered, the open requests become ONE notice from the master."""
    kids = components_of(master)
    if not all(_answered(k) for k in kids):
        return  # another department is still checking its part: wait, so the applicant is told once
    joint = dict((master.data or {}).get("joint") or {})
    notified = dict(joint.get("notified") or {})
    asking = [
        k
        for k in kids
        if k.waiting_for == "supplement"
        and notified.get(k.item.slug) != len((k.clock_inputs or {}).get("correction") or [])
    ]
    if not asking:
        return
    pairs: list[tuple[str, str]] = []
    for k in asking:
        dept = org.name(k.department_code)
        pairs += [
            (to_joint(master, k.item.slug, code), f"{dept}：{reason}") for code, reason in _last_request(k)
        ]
        notified[k.item.slug] = len((k.clock_inputs or {}).get("correction") or [])
    master.data = {**(master.data or {}), "joint": {**joint, "notified": notified}}
    rows = [{"material": code, "reason": reason} for code, reason in pairs]
    notice = Record(CorrectionRequested(materials=tuple(pairs)), {"deficient_materials": rows})
    _step(ctx, master, notice, "joint.correction_notice")


def _step(ctx: EventContext, case: Case, action: Any, audit_action: str) -> None:
    stepped = step_case(ctx.actor, case, action, audit_action=audit_action, at=ctx.now)
    if stepped is not None:
        ctx.after_commit.extend(stepped[1].after_commit)


def on_accepted(event: Accepted, ctx: EventContext) -> None:
    case = ctx.case
    if is_master(case):
        kids = components_of(case)
        waiting = [k for k in kids if k.accepted_on is None and not is_closed(k)]
        if waiting or not any(k.accepted_on is not None for k in kids):
            names = "、".join(org.name(k.department_code) for k in waiting) or t("无")
            raise Conflict(
                t("各部门预审通过后才能统一受理；尚未受理的部门：%(names)s", names=names),
                code="components_not_accepted",
            )
        if all(is_closed(k) for k in kids):
            master_id, actor, now = case.id, ctx.actor, ctx.now
            ctx.after_commit.append(lambda: _release_after_acceptance(master_id, actor, now))
        return
    master = master_of(case)
    if master is not None:
        _merge_corrections(master, ctx)


def on_component_answered(_event: CorrectionRequested | Refused, ctx: EventContext) -> None:
    master = master_of(ctx.case)
    if master is not None:
        _merge_corrections(master, ctx)


def _release(
    master: Case, kids: list[Case], actor: Actor | None, now: datetime
) -> tuple[Advanced, EventContext] | None:
    """Every component has ended: the master's decision clocks stop, its delivery clock starts, and the
    message opens ``collect``. Returns what ``step_case`` returns (the caller commits)."""
    today = local_date(now)
    ci = dict(master.clock_inputs or {})
    for kind in ("promised", "statutory"):
        stop(ci, kind, today)
    ci["delivery"] = new_clock(today, int((master.item.definition or {})["limits"].get("delivery_wd") or 10))
    master.clock_inputs = ci
    master.decided_on = today
    master.status = CaseStatus.DECIDED
    results = {k.item.slug: {"case_no": k.case_no, "outcome": k.outcome, "status": k.status} for k in kids}
    return step_case(
        actor, master, DeliverMessage(MESSAGE, results), audit_action="joint.components_decided", at=now
    )


def on_component_completed(_event: Completed, ctx: EventContext) -> None:
    """The last component to end releases the master: its clock stops, ``collect`` opens."""
    master = master_of(ctx.case)
    if master is None or master.waiting_for != MESSAGE:
        return
    kids = components_of(master)
    if all(is_closed(k) for k in kids):
        stepped = _release(master, kids, ctx.actor, ctx.now)
        if stepped is not None:
            ctx.after_commit.extend(stepped[1].after_commit)


def _release_after_acceptance(master_id: int, actor: Actor | None, now: datetime) -> None:
    """Every component ended before the window accepted the master: release it right after."""
    with all_or_nothing():
        master = Session.get_one(Case, master_id)
        kids = components_of(master)
        if master.waiting_for != MESSAGE or not all(is_closed(k) for k in kids):
            return
        stepped = _release(master, kids, actor, now)
        Session.commit()
    if stepped is not None:
        for work in stepped[1].after_commit:
            work()


def on_master_ended(_event: Refused, ctx: EventContext) -> None:
    """The window refuses the joint application (不予受理): the open components end with it."""
    if not is_master(ctx.case):
        return
    for kid in components_of(ctx.case):
        if not is_closed(kid):
            reason = t("“一件事”联合申请不予受理（主办件 %(case_no)s）", case_no=ctx.case.case_no)
            _step(ctx, kid, Withdraw(reason), "joint.refused")


def subscribe(bus: EventBus) -> None:
    for special in (SpecialProcedureStarted, SpecialProcedureRenotified, SpecialProcedureEnded, Withdrawn):
        bus.subscribe(special, pause.on_component_special)  # the master pauses for the union (Art. 45)
    bus.subscribe(Accepted, on_accepted)
    bus.subscribe(CorrectionRequested, on_component_answered)
    bus.subscribe(Refused, on_component_answered)
    bus.subscribe(Refused, on_master_ended)
    bus.subscribe(Completed, on_component_completed)
