"""The scheduler: timers woken when due, catch-up after downtime, exactly once under two schedulers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.jobs import lease
from app.jobs.runner import run_once
from app.models import Alert, AuditEvent, Case, CaseTask, Notification, SchedulerLease, Session, make_engine
from tests.supervision.conftest import at, start_timer_case, submit


def count(model, *where) -> int:
    return Session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_due_timer_is_fired_and_the_case_moves_on(people, timer_version):
    case = start_timer_case(people, timer_version, "2026-03-02")
    assert case.next_timer_due is not None and not [t for t in case.tasks if t.state == "ready"]
    early = run_once(at("2026-03-02", 20), jobs=["wake_timers"])
    assert early["wake_timers"] == {"woken": []}
    due = run_once(case.next_timer_due + timedelta(seconds=1), jobs=["wake_timers"])
    assert due["wake_timers"] == {"woken": [case.case_no]}
    Session.refresh(case)
    assert case.next_timer_due is None and [t.bpmn_id for t in case.tasks if t.state == "ready"] == ["handle"]
    assert count(AuditEvent, AuditEvent.action == "case.timer_fired") == 1


def test_a_scheduler_down_for_days_catches_up_on_its_first_pass(people, timer_version):
    waiting = start_timer_case(people, timer_version, "2026-03-02")
    late = submit(people, "2026-03-02")  # nobody accepts it: deemed accepted after 5 WD (Art. 32)
    result = run_once(at("2026-03-12", 8))  # the first pass after ten days of downtime
    assert result["wake_timers"] == {"woken": [waiting.case_no]}
    assert result["legal_defaults"] == {"deemed_accepted": [late.case_no], "withdrawn": [], "alerted": []}
    Session.refresh(late)
    assert late.deemed_accepted and late.accepted_on.isoformat() == "2026-03-02"
    # the law closed the late acceptance step; the case itself is on its promised clock from 03-02:
    # 8 of 10 working days used on 03-12 -> yellow (80 % consumed), one case alert
    assert [t.bpmn_id for t in late.tasks if t.state == "ready"] == ["review"]
    assert late.light == "yellow"
    assert count(Alert, Alert.case_id == late.id, Alert.subject_kind == "case", Alert.level == "yellow") == 1
    assert count(Alert, Alert.case_id == late.id, Alert.subject_kind == "task") == 0
    second = run_once(at("2026-03-12", 9))["sweep"]
    assert (second["case_alerts"], second["task_alerts"]) == (0, 0)


def test_a_lease_is_held_by_one_process_until_released_or_expired(app):
    engine = app.extensions["tongban.engine"]
    assert lease.acquire(engine, "t", "a") and not lease.acquire(engine, "t", "b")
    assert lease.acquire(engine, "t", "a")  # the holder may renew
    lease.release(engine, "t", "a", "done")
    assert lease.acquire(engine, "t", "b", ttl=timedelta(seconds=-1))  # b takes it, and it is expired at once
    assert lease.acquire(engine, "t", "a")
    with app.app_context():
        assert Session.get(SchedulerLease, "t").holder == "a"
        Session.remove()


@pytest.mark.parametrize("use_lease", [True, False], ids=["with-leases", "without-leases-unique-keys-only"])
def test_two_schedulers_at_once_fire_each_alert_timer_and_mail_exactly_once(
    app, people, timer_version, smtp, database_url, use_lease
):
    waiting = [start_timer_case(people, timer_version, "2026-03-02") for _ in range(3)]
    late = [submit(people, "2026-03-02") for _ in range(4)]
    Session.remove()
    now = at("2026-03-05", 9)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def scheduler(name: str) -> None:
        engine = make_engine(database_url)  # its own engine and connections, like a second process
        try:
            Session.remove()
            Session(bind=engine)
            with app.app_context():
                for _ in range(3):
                    barrier.wait(timeout=60)
                    run_once(now, holder=name, use_lease=use_lease)
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            errors.append(exc)
        finally:
            Session.remove()
            engine.dispose()

    threads = [threading.Thread(target=scheduler, args=(n,)) for n in ("scheduler-a", "scheduler-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    with app.app_context():
        for case in waiting:
            assert (
                count(AuditEvent, AuditEvent.action == "case.timer_fired", AuditEvent.case_id == case.id) == 1
            )
            assert [t.bpmn_id for t in Session.get(Case, case.id).tasks if t.state == "ready"] == ["handle"]
        alerts = Session.scalars(select(Alert)).all()
        # one alert per lit case and step, at its light; the late cases: yellow case, red 'accept' step
        lit = [
            (c.id, "case", c.light)
            for c in Session.scalars(select(Case).where(Case.light.in_(("yellow", "red"))))
        ]
        lit += [
            (t.case_id, "task", t.light)
            for t in Session.scalars(select(CaseTask).where(CaseTask.light.in_(("yellow", "red"))))
        ]
        assert sorted((a.case_id, a.subject_kind, a.level) for a in alerts) == sorted(lit)
        assert {(c.id, "case", "yellow") for c in late} | {(c.id, "task", "red") for c in late} <= set(lit)
        assert count(AuditEvent, AuditEvent.action == "alert.raised") == len(alerts)
        mails = count(Notification, Notification.channel == "email")
        assert mails == len(alerts) and count(Notification, Notification.status == "sent") == mails
        Session.remove()
    assert len(smtp.messages) == len(alerts)
    assert len({m["subject"] for m in smtp.messages}) == len(alerts)
