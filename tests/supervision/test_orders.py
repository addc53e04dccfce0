"""Supervision orders (督办): issue, reply, reminders, escalation of an unanswered order, red cards."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.models import AuditEvent, DepartmentCard, Notification, Session, SupervisionOrder
from app.services import supervision
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.supervision.conftest import at, submit


def test_an_order_is_due_after_its_working_days_and_reaches_the_responsible_department(people):
    case = submit(people, "2026-03-02")
    order = supervision.issue_order(
        people["supervisor"], case.case_no, "请说明受理延迟原因", 2, now=at("2026-03-06")
    )
    # Fri 03-06 + 2 WD: Mon 09, Tue 10
    assert (order.department_code, order.issued_on, order.reply_due, order.state, order.light) == (
        "env",
        date(2026, 3, 6),
        date(2026, 3, 10),
        "open",
        "green",
    )
    told = {
        (n.user_id, n.kind)
        for n in Session.scalars(select(Notification).where(Notification.channel == "inapp"))
    }
    # the department's head, decider and window: whoever may reply (督办 goes to the leadership too)
    assert told == {
        (people["env_head"].id, "order"),
        (people["env_decider"].id, "order"),
        (people["env_clerk"].id, "order"),
    }
    assert [o.id for o in supervision.list_orders(people["env_clerk"])] == [order.id]
    assert supervision.list_orders(people["tr_decider"]) == []


@pytest.mark.parametrize(
    "instruction, reply_wd, field",
    [
        ("", 3, "instruction"),
        ("请回复", 0, "reply_wd"),
        ("请回复", "3", "reply_wd"),
        ("请回复", 31, "reply_wd"),
    ],
)
def test_a_bad_order_is_refused_and_nothing_is_written(people, instruction, reply_wd, field):
    case = submit(people, "2026-03-02")
    with pytest.raises(ValidationFailed) as err:
        supervision.issue_order(
            people["supervisor"], case.case_no, instruction, reply_wd, now=at("2026-03-06")
        )
    assert [d["field"] for d in err.value.details] == [field]
    assert Session.scalar(select(func.count()).select_from(SupervisionOrder)) == 0


def test_only_supervisors_issue_orders_and_only_the_department_replies(people):
    case = submit(people, "2026-03-02")
    with pytest.raises(Forbidden):
        supervision.issue_order(people["env_decider"], case.case_no, "x", 2)
    with pytest.raises(NotFound):
        supervision.issue_order(people["supervisor"], "TB-20260302-NOPE", "x", 2)
    order = supervision.issue_order(people["supervisor"], case.case_no, "请说明", 2, now=at("2026-03-06"))
    with pytest.raises(NotFound):
        supervision.reply_order(people["tr_decider"], order.id, "不关我事")
    with pytest.raises(Forbidden):
        supervision.reply_order(people["env_reviewer"], order.id, "我来回复")
    replied = supervision.reply_order(
        people["env_decider"], order.id, "已督促窗口当日受理", now=at("2026-03-09")
    )
    assert (replied.state, replied.reply, replied.replied_by_id) == (
        "replied",
        "已督促窗口当日受理",
        people["env_decider"].id,
    )
    with pytest.raises(Conflict):
        supervision.reply_order(people["env_clerk"], order.id, "再回复一次")


def test_an_unanswered_order_turns_yellow_on_its_day_then_red_and_escalates_once(people):
    case = submit(people, "2026-03-02")
    order = supervision.issue_order(
        people["supervisor"], case.case_no, "请说明受理延迟原因", 2, now=at("2026-03-06")
    )
    assert supervision.check_orders(None, at("2026-03-09")) == {"reminders": 0, "escalated": 0}
    on_the_day = supervision.check_orders(None, at("2026-03-10"))
    Session.refresh(order)
    assert (
        order.light == "yellow" and on_the_day["reminders"] == 3 and on_the_day["escalated"] == 0
    )  # head, decider, clerk
    after = supervision.check_orders(None, at("2026-03-11", 9))
    Session.refresh(order)
    assert after["escalated"] == 1
    # one level up: the city bureau's parent, the provincial department, with its own 2 WD deadline
    assert (order.escalated_to, order.escalation_level, order.state) == ("fj_env", 1, "open")
    assert (order.reply_due.isoformat(), order.light) == ("2026-03-13", "green")
    cards = Session.scalars(select(DepartmentCard)).all()
    assert [(c.department_code, c.color, c.rule, c.source_kind) for c in cards] == [
        ("env", "red", "order_escalated", "escalation")
    ]
    events = Session.scalars(
        select(AuditEvent).where(AuditEvent.action == "supervision.order_escalated")
    ).all()
    assert len(events) == 1 and events[0].after["department"] == "fj_env" and events[0].case_id == case.id
    escalation_to = {
        n.user_id for n in Session.scalars(select(Notification).where(Notification.kind == "escalation"))
    }
    assert {people["supervisor"].id, people["admin"].id, people["fj_env_head"].id} <= escalation_to
    assert people["env_decider"].id not in escalation_to
    assert supervision.check_orders(None, at("2026-03-12")) == {"reminders": 0, "escalated": 0}
    assert Session.scalar(select(func.count()).select_from(DepartmentCard)) == 1
    # the province is the top of the chain: missing its deadline turns the order red, no further level
    assert supervision.check_orders(None, at("2026-03-16"))["escalated"] == 0
    Session.refresh(order)
    assert (order.light, order.escalation_level) == ("red", 1)
    # the escalated order can still be answered by the department
    supervision.reply_order(people["env_decider"], order.id, "已整改", now=at("2026-03-12"))


def test_a_missed_reply_climbs_the_chain_one_level_per_missed_deadline(people):
    """District bureau → city bureau → provincial department: each level its own deadline, card, audit."""
    case = submit(people, "2026-03-02", slug="road_freight_permit")
    order = supervision.issue_order(people["supervisor"], case.case_no, "请说明", 1, now=at("2026-03-06"))
    assert order.department_code == "transport" and order.reply_due.isoformat() == "2026-03-09"
    assert supervision.check_orders(None, at("2026-03-10"))["escalated"] == 1
    Session.refresh(order)
    assert (order.escalated_to, order.escalation_level, order.reply_due.isoformat()) == (
        "xm_transport",
        1,
        "2026-03-11",
    )
    # the city bureau may now answer; the provincial department may not yet see it
    assert supervision.may_reply(people["xm_tr_head"], order)
    with pytest.raises(NotFound):
        supervision.get_order(people["fj_tr_head"], order.id)
    assert supervision.check_orders(None, at("2026-03-11"))["escalated"] == 0  # its reply day
    assert supervision.check_orders(None, at("2026-03-12"))["escalated"] == 1
    Session.refresh(order)
    assert (order.escalated_to, order.escalation_level) == ("fj_transport", 2)
    steps = [(e.level, e.from_department, e.to_department) for e in order.escalations]
    assert steps == [(1, "transport", "xm_transport"), (2, "xm_transport", "fj_transport")]
    cards = Session.scalars(select(DepartmentCard).order_by(DepartmentCard.id)).all()
    assert [c.department_code for c in cards] == ["transport", "xm_transport"]
    audits = Session.scalars(
        select(AuditEvent).where(AuditEvent.action == "supervision.order_escalated").order_by(AuditEvent.id)
    ).all()
    assert [(a.before["department"], a.after["department"], a.after["level"]) for a in audits] == [
        ("transport", "xm_transport", 1),
        ("xm_transport", "fj_transport", 2),
    ]
    # every department the order has reached sees it and may answer it
    for username in ("tr_decider", "xm_tr_head", "fj_tr_head"):
        assert supervision.get_order(people[username], order.id).id == order.id
    listed = [o.id for o in supervision.list_orders(people["xm_tr_head"])]
    assert order.id in listed
    replied = supervision.reply_order(
        people["fj_tr_head"], order.id, "已责成湖里区局限期办结", now=at("2026-03-13")
    )
    assert replied.state == "replied"
