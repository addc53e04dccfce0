"""SMS and e-mail channels for applicants: a real local HTTP gateway, a real local SMTP server, the outbox.

Delivery is recorded on the message row; failures are retried later and never reach the caller.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.portal.helpers import fresh_mobile


class Gateway:
    """A local SMS gateway: records requests and answers with the status it is told to."""

    def __init__(self):
        self.received: list[dict] = []
        self.status = 200
        self.answer = b'{"ok": true}'
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append({"json": json.loads(body), "auth": self.headers.get("Authorization")})
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(gateway.answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    g = Gateway()
    yield g
    g.close()


def _queue_sms(app, mobile, text="【通办】测试短信"):
    from app.models import Session
    from app.services import channels

    with app.app_context():
        row = channels.enqueue_sms(mobile, text, "test")
        Session.commit()
        return row.id


def _row(mid):
    from app.models import OutboundMessage, Session

    Session.remove()
    return Session.get(OutboundMessage, mid)


def test_http_gateway_delivers_json_with_the_token_and_the_row_says_sent(app, gateway):
    from app.services import channels
    from app.services.sms import HttpGatewaySmsChannel

    mobile = fresh_mobile()
    mid = _queue_sms(app, mobile, "【通办】您的验证码为 123456")
    with app.app_context():
        counts = channels.deliver(
            ids=[mid], channels={"sms": HttpGatewaySmsChannel(gateway.url, token="t0k")}
        )
    assert counts == {"sent": 1, "retry": 0, "failed": 0}
    assert gateway.received == [
        {"json": {"mobile": mobile, "text": "【通办】您的验证码为 123456"}, "auth": "Bearer t0k"}
    ]
    row = _row(mid)
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None) and row.sent_at is not None


def test_gateway_errors_are_retried_later_then_recorded_as_failed(app, gateway):
    from app.models import utcnow
    from app.services import channels
    from app.services.sms import HttpGatewaySmsChannel

    gateway.status = 503
    sms = {"sms": HttpGatewaySmsChannel(gateway.url)}
    mid = _queue_sms(app, fresh_mobile())
    now = utcnow()
    with app.app_context():
        assert channels.deliver(now, channels=sms)["retry"] == 1
        row = _row(mid)
        assert row.status == "pending" and "503" in row.last_error and row.next_attempt_at > now
        assert channels.deliver(now, channels=sms)["retry"] == 0  # not due yet: nothing is sent
        later = now
        for _ in range(channels.MAX_ATTEMPTS - 1):
            later = later + timedelta(hours=2)
            channels.deliver(later, channels=sms)
    row = _row(mid)
    assert (row.status, row.attempts) == ("failed", channels.MAX_ATTEMPTS)
    assert len(gateway.received) == channels.MAX_ATTEMPTS


def test_a_gateway_that_says_ok_false_is_a_failure(app, gateway):
    from app.services import channels
    from app.services.sms import HttpGatewaySmsChannel

    gateway.answer = b'{"ok": false, "error": "blocked number"}'
    mid = _queue_sms(app, fresh_mobile())
    with app.app_context():
        channels.deliver(ids=[mid], channels={"sms": HttpGatewaySmsChannel(gateway.url)})
    assert "blocked number" in _row(mid).last_error


def test_an_unreachable_gateway_never_blocks_the_registration_code(app, monkeypatch):
    """The code request succeeds and the message waits for the retry job."""
    from app.models import MobileVerification, OutboundMessage, Session
    from app.services import accounts

    settings = app.config["TONGBAN"]
    monkeypatch.setattr(settings, "sms_channel", "http")
    monkeypatch.setattr(settings, "sms_gateway_url", "http://127.0.0.1:9/sms")  # discard port: refused
    mobile = fresh_mobile()
    with app.app_context():
        sent = accounts.request_mobile_code(mobile)
    assert sent.mobile == mobile
    Session.remove()
    assert Session.scalar(select(MobileVerification).where(MobileVerification.mobile == mobile)) is not None
    row = Session.scalar(select(OutboundMessage).where(OutboundMessage.recipient == mobile))
    assert row.status == "pending" and row.attempts == 1 and "unreachable" in row.last_error


def test_outbox_channel_keeps_the_message_for_developers(app):
    from app.services import channels, sms

    mobile = fresh_mobile()
    mid = _queue_sms(app, mobile, "【通办】开发环境短信")
    with app.app_context():
        channels.deliver(ids=[mid])  # the configured channel of the tests: the outbox
        (row,) = sms.outbox(mobile)
    assert row.body == "【通办】开发环境短信" and _row(mid).status == "sent"


def test_smtp_delivers_the_registration_mail_to_a_local_server(app, monkeypatch):
    pytest.importorskip("aiosmtpd")
    from aiosmtpd.controller import Controller

    from tests.portal.helpers import PASSWORD, fresh_resident_id, sms_code

    class Sink:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    from tests.conftest import _free_port

    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings = app.config["TONGBAN"]
        monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
        monkeypatch.setattr(settings, "smtp_port", port)
        from app.models import OutboundMessage, Session
        from app.services import accounts

        mobile = fresh_mobile()
        with app.app_context():
            accounts.request_mobile_code(mobile)
            actor = accounts.register_applicant(
                {
                    "kind": "person",
                    "name": "邮件用户",
                    "id_no": fresh_resident_id(),
                    "mobile": mobile,
                    "code": sms_code(mobile),
                    "password": PASSWORD,
                    "email": "mail.user@example.cn",
                }
            )
        Session.remove()
        row = Session.scalar(select(OutboundMessage).where(OutboundMessage.user_id == actor.id))
        assert row.channel == "email" and row.status == "sent"
        ((rcpts, content),) = sink.messages
        message = email.message_from_string(content, policy=email.policy.default)
        assert rcpts == ["mail.user@example.cn"] and message["Subject"] == "【通办】注册成功"
        assert mobile in message.get_content()
    finally:
        controller.stop()


def test_a_failing_smtp_server_leaves_the_mail_queued_and_the_account_created(app, monkeypatch):
    from app.models import OutboundMessage, Session, User
    from app.services import accounts
    from tests.portal.helpers import PASSWORD, fresh_resident_id, sms_code

    settings = app.config["TONGBAN"]
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", 9)
    mobile = fresh_mobile()
    with app.app_context():
        accounts.request_mobile_code(mobile)
        accounts.register_applicant(
            {
                "kind": "person",
                "name": "无邮件",
                "id_no": fresh_resident_id(),
                "mobile": mobile,
                "code": sms_code(mobile),
                "password": PASSWORD,
                "email": "nobody@example.cn",
            }
        )
    Session.remove()
    user = Session.scalar(select(User).where(User.username == mobile))
    row = Session.scalar(select(OutboundMessage).where(OutboundMessage.user_id == user.id))
    assert row.status == "pending" and row.last_error


def test_the_scheduler_job_delivers_due_messages(app):
    from app.jobs.runner import run_job
    from app.models import utcnow

    mid = _queue_sms(app, fresh_mobile())
    with app.app_context():
        result = run_job("deliver_messages", utcnow() + timedelta(seconds=1), use_lease=False)
    assert result["sent"] >= 1 and _row(mid).status == "sent"


def test_the_outbox_command_prints_the_messages(app):
    from app.cli.sms import command

    mobile = fresh_mobile()
    mid = _queue_sms(app, mobile, "【通办】命令行可见")
    with app.app_context():
        from app.services import channels

        channels.deliver(ids=[mid])
    result = app.test_cli_runner().invoke(command, ["outbox", "--mobile", mobile])
    assert result.exit_code == 0 and "【通办】命令行可见" in result.output and mobile in result.output
