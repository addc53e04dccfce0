"""Every notice of a case reaches its applicant: in the portal's message list (with the unread count),
by SMS (the outbox, or a real local HTTP gateway) and by e-mail (a real local SMTP server); queued in
the step's own transaction, sent after its commit, retried and recorded; a dead channel never blocks
the case, and a refused step queues nothing."""

from __future__ import annotations

import email
import email.policy

import pytest
from sqlalchemy import func, select

from tests.conftest import _free_port
from tests.factories import applicant_of, open_task, scenario, submit
from tests.portal.helpers import bearer, register_person, token_of
from tests.portal.test_channels import Gateway
from tests.web.helpers import web_login


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def sms_gateway():
    g = Gateway()
    yield g
    g.close()


@pytest.fixture
def smtp(app, monkeypatch):
    pytest.importorskip("aiosmtpd")
    from aiosmtpd.controller import Controller

    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings = app.config["TONGBAN"]
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", port)
    yield sink
    controller.stop()


def _messages(case_no: str):
    from app.models import Case, OutboundMessage, Session

    Session.remove()
    case_id = Session.scalar(select(Case.id).where(Case.case_no == case_no))
    return list(
        Session.scalars(
            select(OutboundMessage).where(OutboundMessage.case_id == case_id).order_by(OutboundMessage.id)
        )
    )


def _file(api, token: str, person: dict, slug: str = "eia_report_form") -> str:
    application = dict(scenario(slug, "accept_approve")["application"])
    application |= {"contact_phone": person["mobile"]}
    resp = api.client.post(
        "/api/v1/cases",
        json={"item_code": slug, "applicant": applicant_of(application), "data": application},
        headers=bearer(token),
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case_no"]


def test_each_notice_goes_out_by_sms_and_email_and_waits_unread_in_the_portal(app, api, smtp):
    from app.services import sms

    person = register_person(api, email="lin.xiao@example.cn")
    token = token_of(api, person["mobile"])
    smtp.messages.clear()  # the registration mail
    case_no = _file(api, token, person)
    task = open_task(api, case_no, "accept")
    correction = {
        "accept_outcome": "correct",
        "deficient_materials": [{"material": "eia_report", "reason": "缺少编制单位签章页"}],
    }
    assert (
        api.post(f"/tasks/{task['id']}/complete", "env_clerk", json={"data": correction}).status_code == 200
    )

    sent = _messages(case_no)
    assert [(m.channel, m.status) for m in sent] == [
        ("sms", "sent"),
        ("email", "sent"),
        ("sms", "sent"),
        ("email", "sent"),
    ]
    assert all(m.recipient in (person["mobile"], "lin.xiao@example.cn") for m in sent)
    texts = [row.body for row in reversed(sms.outbox(person["mobile"]))]
    assert texts[-2].startswith("【通办】已收到您的申请") and case_no in texts[-2] and "查询码" in texts[-2]
    assert texts[-1].startswith("【通办】请补正材料") and "1 项材料" in texts[-1]
    assert [rcpts for rcpts, _content in smtp.messages] == [["lin.xiao@example.cn"]] * 2
    mail = email.message_from_string(smtp.messages[-1][1], policy=email.policy.default)
    assert mail["Subject"] == f"【通办】请补正材料（{case_no}）" and "补正" in mail.get_content()

    listing = api.client.get("/api/v1/messages", headers=bearer(token)).get_json()
    assert listing["unread"] == 2 and [m["event"] for m in listing["messages"]] == [
        "correction_requested",
        "submitted",
    ]
    assert (
        listing["messages"][0]["deliveries"][0]["recipient"]
        == person["mobile"][:3] + "****" + person["mobile"][-4:]
    )
    newest = listing["messages"][0]["id"]
    read = api.client.post(f"/api/v1/messages/{newest}/read", headers=bearer(token)).get_json()
    assert read == {"changed": 1, "unread": 1}


def test_a_dead_sms_gateway_never_blocks_the_step_and_the_retry_job_delivers_later(
    app, api, sms_gateway, monkeypatch
):
    from datetime import timedelta

    from app.models import Case, Session, utcnow
    from app.services import channels

    gateway = sms_gateway
    person = register_person(api)  # the code arrives through the outbox
    token = token_of(api, person["mobile"])
    settings = app.config["TONGBAN"]
    monkeypatch.setattr(settings, "sms_channel", "http")
    monkeypatch.setattr(settings, "sms_gateway_url", gateway.url)
    gateway.status = 503
    case_no = _file(api, token, person)
    Session.remove()
    assert Session.scalar(select(Case.status).where(Case.case_no == case_no)) == "accepting"
    (row,) = _messages(case_no)
    assert (row.status, row.attempts) == ("pending", 1) and "503" in row.last_error
    assert row.notice_id is not None

    gateway.status = 200
    with app.app_context():
        channels.deliver(utcnow() + timedelta(minutes=2))  # the job, after the first back-off
    (row,) = _messages(case_no)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)
    assert gateway.received[-1]["json"]["mobile"] == person["mobile"]


def test_a_window_case_without_an_account_is_told_by_sms_on_the_phone_of_the_application(app, client):
    from app.services import sms
    from tests.portal.test_intake import REISSUE, REISSUE_REQUIRED, _files, _form

    token = web_login(client, "window_clerk")
    form = _form("road_cert_reissue", contact_phone="13712345678")
    data = form | {"csrf_token": token, "id_checked": "on", "id_no_read": form["applicant_id_number"]}
    resp = client.post(
        f"/window/new/{REISSUE}", data=data | _files(REISSUE_REQUIRED), content_type="multipart/form-data"
    )
    assert resp.status_code == 303
    case_no = resp.headers["Location"].rsplit("/", 1)[-1]
    (row,) = _messages(case_no)
    assert (row.channel, row.recipient, row.user_id, row.status) == ("sms", "13712345678", None, "sent")
    assert case_no in sms.outbox("13712345678")[0].body


def test_a_refused_step_queues_no_message(app, api):
    from app.models import OutboundMessage, Session

    person = register_person(api)
    case_no = _file(api, token_of(api, person["mobile"]), person)
    Session.remove()
    before = Session.scalar(select(func.count()).select_from(OutboundMessage))
    task = open_task(api, case_no, "accept")
    # a correction without the materials is refused by the form: nothing of the step is written
    resp = api.post(
        f"/tasks/{task['id']}/complete", "env_clerk", json={"data": {"accept_outcome": "correct"}}
    )
    assert resp.status_code == 422
    Session.remove()
    assert Session.scalar(select(func.count()).select_from(OutboundMessage)) == before


def test_the_portal_shows_the_unread_count_and_reading_the_case_page_reads_its_messages(app, api, client):
    person = register_person(api)
    case_no = _file(api, token_of(api, person["mobile"]), person)
    client.get("/account/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    client.post(
        "/account/login",
        data={"identifier": person["mobile"], "password": "Portal-pass-1", "csrf_token": csrf},
    )
    home = client.get("/my/cases").data.decode()
    assert 'class="badge unread-count"' in home and ">1</span>" in home.split('id="nav-messages"')[1][:300]
    listing = client.get("/my/messages").data.decode()
    assert "已收到您的申请" in listing and "未读" in listing and "短信 " in listing
    page = client.get(f"/my/cases/{case_no}").data.decode()
    assert 'id="notices"' in page and "已收到您的申请" in page
    after = client.get("/my/cases").data.decode()
    assert 'class="badge unread-count"' not in after


def test_another_applicants_message_is_not_found_and_staff_have_no_messages(app, api):
    owner = register_person(api)
    case_no = _file(api, token_of(api, owner["mobile"]), owner)
    mine = api.client.get("/api/v1/messages", headers=bearer(token_of(api, owner["mobile"]))).get_json()
    message_id = mine["messages"][0]["id"]
    other = register_person(api)
    resp = api.client.post(
        f"/api/v1/messages/{message_id}/read", headers=bearer(token_of(api, other["mobile"]))
    )
    assert resp.status_code == 404
    assert api.get("/messages", "env_clerk").status_code == 403
    again = api.client.get("/api/v1/messages?unread=true", headers=bearer(token_of(api, owner["mobile"])))
    assert again.get_json()["unread"] == 1 and case_no == again.get_json()["messages"][0]["case_no"]


def test_messages_read_in_english_are_refilled_from_their_parameters(app, api, client):
    from tests.portal.test_supplement_withdraw import _login

    case_no = submit(api)
    task = open_task(api, case_no, "accept")
    data = {
        "accept_outcome": "correct",
        "deficient_materials": [{"material": "eia_report", "reason": "缺页"}],
    }
    assert api.post(f"/tasks/{task['id']}/complete", "env_clerk", json={"data": data}).status_code == 200
    _login(client)
    client.get("/lang/en")
    page = client.get("/my/messages").data.decode()
    assert "Please correct your materials" in page and "1 material(s) corrected" in page
    assert "Approval of the environmental impact report form of a construction project" in page
    assert "请补正材料" not in page
