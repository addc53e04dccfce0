"""The supervision sweep on a frozen clock: alerts once per level, resolution, officers, cards, e-mail."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models import Alert, AuditEvent, DepartmentCard, Notification, Session
from app.services import alerts, notify
from app.services.tasks import claim_task
from tests.supervision.conftest import at, complete, submit


def alert_set():
    return {(a.subject_kind, a.subject_id, a.level, a.state) for a in Session.scalars(select(Alert))}


def test_green_cases_raise_no_alert(people):
    submit(people, "2026-03-02")
    result = alerts.sweep(None, at("2026-03-02", 18))
    assert (result["case_alerts"], result["task_alerts"]) == (0, 0)
    assert Session.scalar(select(func.count()).select_from(Alert)) == 0


def test_sweep_raises_one_alert_per_level_for_the_case_and_its_late_step(people):
    case = submit(people, "2026-03-02")  # acceptance due Mon 03-09 (5 WD); step 'accept' due Wed 03-04 (2 WD)
    accept = next(t for t in case.tasks if t.bpmn_id == "accept")
    first = alerts.sweep(None, at("2026-03-05"))
    assert alert_set() == {("case", case.id, "yellow", "open"), ("task", accept.id, "red", "open")}
    assert (first["case_alerts"], first["task_alerts"]) == (1, 1)
    again = alerts.sweep(None, at("2026-03-05", 16))
    assert (again["case_alerts"], again["task_alerts"]) == (0, 0)
    later = alerts.sweep(None, at("2026-03-10"))  # acceptance overdue now
    assert later["case_alerts"] == 1
    assert ("case", case.id, "red", "open") in alert_set()
    assert len(alert_set()) == 3
    raised = Session.scalars(select(AuditEvent.target).where(AuditEvent.action == "alert.raised")).all()
    assert sorted(raised) == sorted(f"alert#{a.id}" for a in Session.scalars(select(Alert)))


def test_alerts_name_the_department_and_go_to_its_decider_when_nobody_holds_the_task(people):
    case = submit(people, "2026-03-02")
    alerts.sweep(None, at("2026-03-05"))
    rows = Session.scalars(select(Alert)).all()
    assert {a.department_code for a in rows} == {"env"} and {a.officer_id for a in rows} == {None}
    to = {(n.kind, n.user_id, n.channel) for n in Session.scalars(select(Notification))}
    assert to == {("alert", people["env_decider"].id, "inapp")}  # two alerts, one recipient, in-app only
    inbox = notify.list_inbox(people["env_decider"])
    assert len(inbox) == 2 and all(case.case_no in m["subject"] for m in inbox)


def test_the_alert_of_a_claimed_step_goes_to_its_assignee(people):
    case = submit(people, "2026-03-02")
    accept = next(t for t in case.tasks if t.bpmn_id == "accept")
    claim_task(people["env_clerk"], accept.id)
    alerts.sweep(None, at("2026-03-05"))
    task_alert = Session.scalar(select(Alert).where(Alert.subject_kind == "task"))
    case_alert = Session.scalar(select(Alert).where(Alert.subject_kind == "case"))
    assert task_alert.officer_id == people["env_clerk"].id and case_alert.officer_id == people["env_clerk"].id
    assert {n.user_id for n in Session.scalars(select(Notification))} == {people["env_clerk"].id}


def test_closing_the_step_resolves_its_alert_at_once_and_the_audit_trail_keeps_both(people):
    case = submit(people, "2026-03-02")
    alerts.sweep(None, at("2026-03-05"))
    complete(people, case, "accept", "env_clerk", {"accept_outcome": "accept"}, "2026-03-05")
    task_alert = Session.scalar(select(Alert).where(Alert.subject_kind == "task"))
    # resolved by the step itself (a case event), not at the next sweep
    assert task_alert.state == "resolved" and task_alert.resolved_at == at("2026-03-05")
    assert alerts.sweep(None, at("2026-03-05", 17))["resolved"] == 0
    actions = Session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert actions.count("alert.raised") == 2 and actions.count("alert.resolved") == 1


def test_acknowledging_keeps_the_alert_until_the_subject_closes(people):
    submit(people, "2026-03-02")
    alerts.sweep(None, at("2026-03-05"))
    alert = Session.scalar(select(Alert).where(Alert.subject_kind == "case"))
    alerts.acknowledge_alert(people["env_decider"], alert.id, "正在处理", now=at("2026-03-05", 11))
    Session.refresh(alert)
    assert (alert.state, alert.acknowledged_by_id, alert.note) == (
        "acknowledged",
        people["env_decider"].id,
        "正在处理",
    )
    alerts.sweep(None, at("2026-03-05", 12))
    Session.refresh(alert)
    assert alert.state == "acknowledged"


def test_a_red_alert_unresolved_for_three_working_days_gives_the_department_a_yellow_card(people):
    submit(people, "2026-03-02")
    alerts.sweep(None, at("2026-03-05"))  # step red raised Thu 03-05
    alerts.sweep(None, at("2026-03-09"))  # Fri, Mon: 2 WD
    assert Session.scalar(select(func.count()).select_from(DepartmentCard)) == 0
    result = alerts.sweep(None, at("2026-03-10"))  # Fri, Mon, Tue: 3 WD
    cards = Session.scalars(select(DepartmentCard)).all()
    assert result["yellow_cards"] == 1 and [(c.department_code, c.color, c.rule) for c in cards] == [
        ("env", "yellow", "red_alert_unresolved")
    ]
    alerts.sweep(None, at("2026-03-11"))
    # the case's own red alert (raised 03-10) is not three days old yet: still one card
    assert Session.scalar(select(func.count()).select_from(DepartmentCard)) == 1


def test_alert_mail_goes_out_once_through_smtp(people, smtp):
    case = submit(people, "2026-03-02")
    alerts.sweep(None, at("2026-03-05"))
    first = notify.dispatch_pending(at("2026-03-05", 10))
    second = notify.dispatch_pending(at("2026-03-05", 11))
    assert (first["sent"], second["sent"]) == (2, 0)
    assert len(smtp.messages) == 2
    assert all(
        m["to"] == ["env_decider@tongban.local"] and case.case_no in m["subject"] for m in smtp.messages
    )
    assert {m["subject"][:6] for m in smtp.messages} == {"【黄灯预警】", "【红灯预警】"}


def test_mail_that_cannot_be_delivered_is_retried_then_marked_failed(people, smtp):
    from app.services.context import ctx

    submit(people, "2026-03-02")
    alerts.sweep(None, at("2026-03-05"))
    ctx().settings.smtp_port = 1  # nothing listens there
    # a failing server pauses the channel for the rest of a pass: one attempt per pass, 2 rows x 3 attempts
    for _ in range(7):
        notify.dispatch_pending(at("2026-03-05", 12))
    rows = Session.scalars(select(Notification).where(Notification.channel == "email")).all()
    assert {(r.status, r.attempts) for r in rows} == {("failed", 3)} and smtp.messages == []


class Recorder:
    """A third channel (an SMS gateway, say), plugged in through the channel interface."""

    name = "sms"

    def __init__(self):
        self.sent = []

    def address_of(self, user):
        return None if user.username == "nobody" else f"+86-{user.id}"

    def send(self, address, subject, body):
        self.sent.append((address, subject))


def test_a_plugged_in_channel_gets_every_new_alert_once(people):
    channel = Recorder()
    notify.register_channel(channel)
    try:
        submit(people, "2026-03-02")
        alerts.sweep(None, at("2026-03-05"))
        alerts.sweep(None, at("2026-03-05", 15))
        notify.dispatch_pending(at("2026-03-05", 16))
        notify.dispatch_pending(at("2026-03-05", 17))
    finally:
        notify.unregister_channel("sms")
    decider = people["env_decider"].id
    assert [address for address, _ in channel.sent] == [f"+86-{decider}"] * 2
    assert {subject[:6] for _, subject in channel.sent} == {"【黄灯预警】", "【红灯预警】"}
