"""Supervision orders (督办), department cards (黄牌/红牌), and the scheduler's case work (timers).

Card rules (documented for supervisors in the cockpit):
- yellow card (黄牌): a red alert still unresolved ``RED_ALERT_CARD_WD`` working days after it was
  raised → one yellow card for the alert's department (once per alert);
- red card (红牌): a supervision order left unanswered past its reply deadline is escalated one level
  up the chain (Department.parent_code) → one red card for the department that failed to reply (once
  per level). The new level gets its own reply deadline (the order's ``reply_wd`` working days from
  the day of the escalation); unanswered again, the order climbs again, until the top of the chain.
An order is green until its reply day, yellow on the reply day itself, red from the first day after
it (and escalated, where there is a level above).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, String, cast, exists, func, literal, or_, select, update

from app.models import (
    Alert,
    Case,
    DepartmentCard,
    Session,
    SupervisionEscalation,
    SupervisionOrder,
    User,
    UserRole,
)
from app.models.base import UTCDateTime, dialect_insert, rowcount, table_of
from app.models.vocab import OPEN_STATUSES, OVERSIGHT_ROLES, Light, Role
from app.services import audit, notify, org
from app.services.auth import Actor
from app.services.cases import get_case
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.i18n import t
from app.services.workdays import get_calendar
from engine.workcal import local_date

log = logging.getLogger("tongban.supervision")

RED_ALERT_CARD_WD = 3
MAX_REPLY_WD = 30
OVERSIGHT = tuple(OVERSIGHT_ROLES)
REPLY_ROLES = (Role.HEAD, Role.DECIDER, Role.CLERK)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now().astimezone()


# -- orders ----------------------------------------------------------------------------------------


def responsible_case(case: Case) -> Case:
    """一件事: an order on a master case goes to the component that is late — red, then yellow, then the
    nearest deadline; with no component open, to the master's own department (the window delivers)."""
    kids = list(
        Session.scalars(select(Case).where(Case.parent_case_id == case.id, Case.status.in_(OPEN_STATUSES)))
    )
    if not kids:
        return case
    rank: dict[str, int] = {Light.RED.value: 0, Light.YELLOW.value: 1, Light.GREEN.value: 2}
    return min(kids, key=lambda k: (rank.get(k.light or "", 3), k.deadline or date.max, k.id))


def issue_order(
    actor: Actor, case_no: str, instruction: Any, reply_wd: Any, now: datetime | None = None
) -> SupervisionOrder:
    if not actor.is_oversight:
        raise Forbidden(t("只有电子监察人员可以督办"), code="not_supervisor")
    problems = []
    if not isinstance(instruction, str) or not instruction.strip() or len(instruction) > 2000:
        problems.append({"field": "instruction", "message": t("必填，最长 2000 字")})
    if isinstance(reply_wd, bool) or not isinstance(reply_wd, int) or not 1 <= reply_wd <= MAX_REPLY_WD:
        problems.append({"field": "reply_wd", "message": t("1–%(max)s 个工作日", max=MAX_REPLY_WD)})
    if problems:
        raise ValidationFailed(t("督办单有误"), problems)
    case = responsible_case(get_case(actor, case_no))
    at = _now(now)
    issued_on = local_date(at)
    due, confirmed = get_calendar().add_workdays(issued_on, reply_wd)
    order = SupervisionOrder(
        case_id=case.id,
        department_code=case.department_code,
        issued_by_id=actor.id,
        instruction=instruction.strip(),
        reply_wd=reply_wd,
        issued_on=issued_on,
        reply_due=due,
        reply_due_confirmed=confirmed,
        state="open",
        light="green",
        created_at=at,
    )
    Session.add(order)
    Session.flush()
    audit.record(
        actor,
        "supervision.order_issued",
        case.id,
        target=f"order#{order.id}",
        before=None,
        after={
            "department": order.department_code,
            "reply_due": due.isoformat(),
            "instruction": order.instruction,
        },
    )
    notify.queue("order", _dept_recipients(order.id, order.department_code, REPLY_ROLES), at)
    Session.commit()
    return order


def _dept_recipients(order_id: int, department: str, roles: tuple[str, ...]):
    return select(literal(order_id), User.id).where(notify.department_users(literal(department), roles))


def order_chain(order: SupervisionOrder) -> list[str]:
    """The departments an order has been with so far: the responsible one, then each level above."""
    return org.chain(order.department_code)[: order.escalation_level + 1]


def may_reply(actor: Actor, order: SupervisionOrder) -> bool:
    """An open order is answered by the head, a decider or a clerk of any department it has reached."""
    return order.state == "open" and any(actor.holds_in(d, *REPLY_ROLES) for d in order_chain(order))


def _visible(actor: Actor, order: SupervisionOrder) -> bool:
    return actor.is_oversight or any(actor.holds_in(d) for d in order_chain(order))


def get_order(actor: Actor, order_id: int) -> SupervisionOrder:
    order = Session.get(SupervisionOrder, order_id)
    if order is None or not _visible(actor, order):
        raise NotFound(t("督办单 %(id)s 不存在", id=order_id), code="order_not_found")
    return order


def orders_query(actor: Actor, state: str | None = None):
    if state is not None and state not in ("open", "replied"):
        raise ValidationFailed(t("状态取值无效"), [{"field": "state", "message": t("须为待回复或已回复")}])
    stmt = select(SupervisionOrder)
    if not actor.is_oversight:
        if not actor.is_staff:
            raise Forbidden(t("无权查看督办单"), code="not_allowed")
        depts = sorted(actor.departments())
        reached = select(SupervisionEscalation.order_id).where(SupervisionEscalation.to_department.in_(depts))
        stmt = stmt.where(or_(SupervisionOrder.department_code.in_(depts), SupervisionOrder.id.in_(reached)))
    if state:
        stmt = stmt.where(SupervisionOrder.state == state)
    return stmt


def list_orders(actor: Actor, state: str | None = None, limit: int = 200) -> list[SupervisionOrder]:
    return list(Session.scalars(orders_query(actor, state).order_by(SupervisionOrder.id.desc()).limit(limit)))


def reply_order(actor: Actor, order_id: int, reply: Any, now: datetime | None = None) -> SupervisionOrder:
    order = get_order(actor, order_id)
    if order.state != "open":
        raise Conflict(t("督办单 %(id)s 已回复", id=order_id), code="order_closed")
    if not may_reply(actor, order):
        raise Forbidden(t("只有督办单所到部门的负责人、决定人或窗口人员可以回复"), code="not_responsible")
    if not isinstance(reply, str) or not reply.strip() or len(reply) > 4000:
        raise ValidationFailed(t("回复有误"), [{"field": "reply", "message": t("必填，最长 4000 字")}])
    at = _now(now)
    done = rowcount(
        Session.execute(
            update(SupervisionOrder)
            .where(SupervisionOrder.id == order.id, SupervisionOrder.state == "open")
            .values(state="replied", reply=reply.strip(), replied_by_id=actor.id, replied_at=at)
        )
    )
    if done != 1:
        Session.rollback()
        raise Conflict(t("督办单 %(id)s 已回复", id=order_id), code="order_closed")
    audit.record(
        actor,
        "supervision.order_replied",
        order.case_id,
        target=f"order#{order.id}",
        before={"state": "open"},
        after={"state": "replied", "reply": reply.strip()},
    )
    Session.commit()
    Session.refresh(order)
    return order


def order_dict(order: SupervisionOrder) -> dict[str, Any]:
    return {
        "id": order.id,
        "case_no": order.case.case_no if order.case else None,
        "department_code": order.department_code,
        "instruction": order.instruction,
        "reply_wd": order.reply_wd,
        "issued_on": order.issued_on.isoformat(),
        "reply_due": order.reply_due.isoformat(),
        "reply_due_confirmed": order.reply_due_confirmed,
        "state": order.state,
        "light": order.light,
        "reply": order.reply,
        "replied_at": order.replied_at.isoformat() if order.replied_at else None,
        "escalation_level": order.escalation_level,
        "escalated_to": order.escalated_to,
        "escalated_at": order.escalated_at.isoformat() if order.escalated_at else None,
        "escalations": [
            {
                "level": e.level,
                "from_department": e.from_department,
                "to_department": e.to_department,
                "missed_due": e.missed_due.isoformat(),
                "reply_due": e.reply_due.isoformat(),
                "at": e.created_at.isoformat(),
            }
            for e in order.escalations
        ],
    }


def check_orders(actor: Actor | None, now: datetime) -> dict[str, int]:
    """Lights of open orders, reminders on the reply day, escalation after it (each exactly once).

    An order past its reply deadline climbs one level per missed deadline: each pass escalates every
    overdue order whose current department has a parent; at the top of the chain it stays red.
    """
    today = local_date(now)
    o = table_of(SupervisionOrder)
    Session.execute(
        update(o)
        .where(o.c.state == "open", o.c.reply_due > today, o.c.light != "green")
        .values(light="green")
    )
    Session.execute(
        update(o)
        .where(o.c.state == "open", o.c.reply_due == today, o.c.light == "green")
        .values(light="yellow")
    )
    Session.execute(
        update(o).where(o.c.state == "open", o.c.reply_due < today, o.c.light != "red").values(light="red")
    )
    current = func.coalesce(o.c.escalated_to, o.c.department_code)
    due_today = (
        select(o.c.id, User.id)
        .join(User, notify.department_users(current, REPLY_ROLES))
        .where(o.c.state == "open", o.c.reply_due == today)
    )
    reminders = notify.queue("order_reminder", due_today, now)
    escalated = 0
    for order in Session.scalars(
        select(SupervisionOrder).where(SupervisionOrder.state == "open", SupervisionOrder.reply_due < today)
    ).all():
        escalated += _escalate(actor, order, today, now)
    Session.commit()
    return {"reminders": reminders, "escalated": escalated}


def _escalate(actor: Actor | None, order: SupervisionOrder, today: date, now: datetime) -> int:
    """One level up the chain, if there is one; the new level gets its own reply deadline."""
    here = order.escalated_to or order.department_code
    info = org.department(here)
    target = info.parent if info is not None else None
    if target is None:
        return 0  # the top of the chain: the order stays red with the supervisors
    level = order.escalation_level + 1
    due, confirmed = get_calendar().add_workdays(today, order.reply_wd)
    won = rowcount(
        Session.execute(
            update(SupervisionOrder)
            .where(
                SupervisionOrder.id == order.id,
                SupervisionOrder.state == "open",
                SupervisionOrder.escalation_level == order.escalation_level,
            )
            .values(
                escalation_level=level,
                escalated_to=target,
                escalated_at=now,
                reply_due=due,
                reply_due_confirmed=confirmed,
                light="green",
            )
        )
    )
    if won != 1:
        return 0  # another scheduler escalated it first
    missed = order.reply_due
    step = SupervisionEscalation(
        order_id=order.id,
        level=level,
        from_department=here,
        to_department=target,
        missed_due=missed,
        reply_due=due,
        reply_due_confirmed=confirmed,
        created_at=now,
    )
    Session.add(step)
    Session.flush()
    audit.record(
        actor,
        "supervision.order_escalated",
        order.case_id,
        target=f"order#{order.id}",
        before={"department": here, "reply_due": missed.isoformat(), "level": level - 1},
        after={"department": target, "reply_due": due.isoformat(), "level": level},
    )
    card = (
        dialect_insert(table_of(DepartmentCard))
        .values(
            department_code=here,
            color="red",
            rule="order_escalated",
            source_kind="escalation",
            source_id=step.id,
            case_id=order.case_id,
            issued_on=today,
            created_at=now,
            reason=t(
                "督办单 #%(id)s 逾期（%(due)s）未回复，已升级至上级部门",
                id=order.id,
                due=missed.isoformat(),
            ),
        )
        .on_conflict_do_nothing()
    )
    Session.execute(card)
    oversight = (
        select(literal(step.id), User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_(OVERSIGHT), User.active.is_(True))
    )
    target_staff = select(literal(step.id), User.id).where(
        notify.department_users(literal(target), REPLY_ROLES)
    )
    notify.queue("escalation", target_staff.union(oversight), now)
    Session.refresh(order)
    return 1


# -- cards ----------------------------------------------------------------------------------------


def card_threshold_day(today: date, n: int = RED_ALERT_CARD_WD) -> date:
    """The latest day D with at least ``n`` working days in (D, today]."""
    cal = get_calendar()
    d = today
    while cal.count_workdays(d, today) < n:
        d -= timedelta(days=1)
    return d


def issue_alert_cards(today: date, now: datetime) -> int:
    """Yellow card for each red alert unresolved ``RED_ALERT_CARD_WD`` working days after it was raised."""
    a, k = table_of(Alert), table_of(DepartmentCard)
    limit_day = card_threshold_day(today)
    sel = select(
        a.c.department_code,
        literal("yellow", String()),
        literal("red_alert_unresolved", String()),
        literal("alert", String()),
        a.c.id,
        a.c.case_id,
        literal(today, Date()),
        literal(now, UTCDateTime()),
        literal("红灯预警 #", String())
        + cast(a.c.id, String())
        + literal(f" 超过 {RED_ALERT_CARD_WD} 个工作日未解除", String()),  # card_reason() translates it
    ).where(
        a.c.level == "red",
        a.c.state != "resolved",
        a.c.raised_on <= limit_day,
        ~exists().where(k.c.source_kind == "alert", k.c.source_id == a.c.id, k.c.color == "yellow"),
    )  # department_card is small (one row per card ever issued); the unique key stays the arbiter
    cols = [
        "department_code",
        "color",
        "rule",
        "source_kind",
        "source_id",
        "case_id",
        "issued_on",
        "created_at",
        "reason",
    ]
    return len(
        Session.execute(
            dialect_insert(k).from_select(cols, sel).on_conflict_do_nothing().returning(k.c.id)
        ).all()
    )


def list_cards(actor: Actor, department: str | None = None, limit: int = 500) -> list[DepartmentCard]:
    if not actor.is_oversight and not actor.is_staff:
        raise Forbidden(t("无权查看黄牌红牌"), code="not_allowed")
    stmt = select(DepartmentCard).order_by(DepartmentCard.id.desc()).limit(limit)
    if not actor.is_oversight:
        stmt = stmt.where(DepartmentCard.department_code.in_(sorted(actor.departments())))
    elif department:
        stmt = stmt.where(DepartmentCard.department_code == department)
    return list(Session.scalars(stmt))


def card_reason(card: DepartmentCard) -> str:
    """Why the card was issued, as a translatable sentence (the stored reason is its Chinese text)."""
    if card.source_kind == "alert":
        return t("红灯预警 #%(id)s 超过 %(n)s 个工作日未解除", id=card.source_id, n=RED_ALERT_CARD_WD)
    if card.source_kind == "escalation":
        step = Session.get(SupervisionEscalation, card.source_id)
        if step is not None:
            return t(
                "督办单 #%(id)s 逾期（%(due)s）未回复，已升级至上级部门",
                id=step.order_id,
                due=step.missed_due.isoformat(),
            )
    return card.reason


def card_dict(card: DepartmentCard) -> dict[str, Any]:
    return {
        "id": card.id,
        "department_code": card.department_code,
        "color": card.color,
        "rule": card.rule,
        "source_kind": card.source_kind,
        "source_id": card.source_id,
        "issued_on": card.issued_on.isoformat(),
        "reason": card_reason(card),
    }
