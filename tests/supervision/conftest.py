"""Fixtures of the supervision tests: people, cases on a frozen clock, a real SMTP server, a timer process."""

from __future__ import annotations

import socket
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, select

from app.models import Case, ProcessVersion, ServiceItem, Session, User
from app.services.auth import Actor
from app.services.cases import submit_application
from app.services.context import ctx
from app.services.tasks import complete_task
from tests.conftest import empty_case_tables
from tests.factories import applicant_of, scenario

try:  # the JSON endpoints attach to the API blueprint when imported (before the app is created)
    import app.api.supervision  # noqa: F401
except ImportError:  # pragma: no cover - written in a later step
    pass

CST = timezone(timedelta(hours=8))


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


def actor(username: str) -> Actor:
    return Actor.of(Session.scalar(select(User).where(User.username == username)))


@pytest.fixture
def people(app):
    with app.app_context():
        yield {u.username: Actor.of(u) for u in Session.scalars(select(User))}
        Session.remove()


def submit(
    people, day: str, slug: str = "eia_report_form", hour: int = 10, scenario_name: str = "accept_approve"
) -> Case:
    application = scenario(slug, scenario_name)["application"]
    return submit_application(
        people["applicant"], slug, applicant_of(application), application, now=at(day, hour)
    )


def complete(people, case: Case, bpmn_id: str, user: str, data: dict, day: str) -> Case:
    Session.refresh(case)
    task = next(t for t in case.tasks if t.bpmn_id == bpmn_id and t.state in ("ready", "claimed"))
    complete_task(people[user], task.id, data, now=at(day))
    Session.refresh(case)
    return case


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """Messages a real aiosmtpd server on loopback received: the staff's alert mail in ``messages``; the
    applicants' case notices (subject 【通办】…, tested in tests/portal/test_notifications.py) apart."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.applicant_messages: list[dict] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler API
        from email import message_from_bytes
        from email.header import decode_header, make_header

        msg = message_from_bytes(envelope.content)
        entry = {"to": list(envelope.rcpt_tos), "subject": str(make_header(decode_header(msg["Subject"])))}
        with self.lock:
            (self.applicant_messages if entry["subject"].startswith("【通办】") else self.messages).append(
                entry
            )
        return "250 OK"


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = ctx().settings
    saved = (settings.smtp_host, settings.smtp_port)
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    try:
        yield inbox
    finally:
        settings.smtp_host, settings.smtp_port = saved
        controller.stop()


TIMER_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="http://tongban.test">
  <bpmn:collaboration id="collab"><bpmn:participant id="p" processRef="road_cert_reissue" /></bpmn:collaboration>
  <bpmn:process id="road_cert_reissue" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="lane_clerk" name="clerk"><bpmn:flowNodeRef>handle</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="cool_off" />
    <bpmn:intermediateCatchEvent id="cool_off">
      <bpmn:timerEventDefinition><bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="cool_off" targetRef="handle" />
    <bpmn:userTask id="handle" name="办理" />
    <bpmn:sequenceFlow id="f3" sourceRef="handle" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def timer_version(app):
    """A process version of the 即办件 whose case waits one day on a BPMN timer before the clerk acts."""
    version = "tsuptimer0001"
    with app.app_context():
        item = Session.scalar(select(ServiceItem).where(ServiceItem.slug == "road_cert_reissue"))
        current = Session.get(ProcessVersion, item.current_version)
        Session.add(
            ProcessVersion(
                version=version,
                item_id=item.id,
                process_id="road_cert_reissue",
                files={"road_cert_reissue.bpmn": TIMER_BPMN},
                forms=dict(current.forms),
            )
        )
        Session.commit()
        Session.remove()
    yield version
    # Cases are never deleted one by one (every foreign key to case_file is RESTRICT): empty the case
    # tables as the suite does after each test, then drop the test version.
    empty_case_tables(app)
    with app.app_context():
        Session.execute(delete(ProcessVersion).where(ProcessVersion.version == version))
        Session.commit()
        Session.remove()


def start_timer_case(people, version: str, day: str) -> Case:
    """A case moved onto the timer version right after submission: it waits on the timer, no task open."""
    from app.services.catalogue import definition_for
    from app.services.projection import apply_snapshot
    from engine.runtime import CaseRun

    case = submit(people, day, "road_cert_reissue", scenario_name="issue")
    run = CaseRun.start(definition_for(version), dict(case.data), now=at(day))
    case.process_version = version
    apply_snapshot(case, run, run.snapshot())  # the open 'handle' task of the real version is cancelled
    Session.commit()
    return case
