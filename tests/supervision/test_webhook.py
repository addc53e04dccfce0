"""The webhook channel against a real HTTP server on loopback: body, content type, retries, failures.

The server is the standard library's ``http.server`` in a thread on 127.0.0.1 (a free port); each test
scripts the status codes it answers with. Alerts come from the real sweep on a frozen clock.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.models import Notification, Session
from app.services import alerts, notify
from app.services.context import ctx
from tests.supervision.conftest import at, submit


class Hook:
    """What the server received, and what it answers next (200 once the script runs out)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[int] = []
        self.hang = False
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.url = ""


def make_handler(hook: Hook):
    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> int:
            length = int(self.headers.get("Content-Length") or 0)
            with hook.lock:
                hook.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": self.rfile.read(length),
                    }
                )
                return hook.script.pop(0) if hook.script else 200

        def _answer(self, status: int) -> None:
            if hook.hang:
                hook.release.wait(30)  # longer than the channel's timeout; released at teardown
                return
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):  # noqa: N802 - http.server's handler API
            self._answer(self._record())

        def do_GET(self):  # noqa: N802 - a followed redirect would arrive here
            self._answer(self._record())

        def log_message(self, *args):  # keep the test output clean
            pass

    return Handler


@pytest.fixture
def hook(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)  # loopback must not go through a proxy
    state = Hook()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/notify"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def webhook_url(app, hook):
    """TONGBAN_WEBHOOK_URL pointed at the loopback server (the configured channel, not a test double)."""
    settings = ctx().settings
    saved = settings.webhook_url
    settings.webhook_url = hook.url
    try:
        yield hook.url
    finally:
        settings.webhook_url = saved


def webhook_rows() -> list[Notification]:
    return list(
        Session.scalars(
            select(Notification).where(Notification.channel == "webhook").order_by(Notification.id)
        )
    )


def two_alerts(people):
    """A case whose acceptance clock turns yellow and whose accept step turns red: two alerts."""
    case = submit(people, "2026-03-02")
    alerts.sweep(None, at("2026-03-05"))
    return case


def test_each_new_alert_is_posted_once_as_utf8_json_to_the_configured_url(people, webhook_url, hook):
    assert isinstance(notify.channels()["webhook"], notify.WebhookChannel)
    case = two_alerts(people)
    first = notify.dispatch_pending(at("2026-03-05", 10))
    second = notify.dispatch_pending(at("2026-03-05", 11))
    assert (first["sent"], second["sent"]) == (2, 0)
    assert len(hook.requests) == 2
    bodies = []
    for req in hook.requests:
        assert (req["method"], req["path"]) == ("POST", "/notify")
        assert req["headers"]["Content-Type"] == "application/json; charset=utf-8"
        body = json.loads(req["body"].decode("utf-8"))
        assert set(body) == {"to", "subject", "body"}
        assert (
            body["to"] == "env_decider" and case.case_no in body["subject"] and case.case_no in body["body"]
        )
        bodies.append(body)
    assert {b["subject"][:6] for b in bodies} == {"【黄灯预警】", "【红灯预警】"}
    assert {(r.status, r.attempts, r.error) for r in webhook_rows()} == {("sent", 1, None)}


def test_a_5xx_answer_is_retried_on_the_next_dispatch_until_it_is_accepted(people, webhook_url, hook):
    two_alerts(people)
    hook.script = [500, 503]
    passes = [notify.dispatch_pending(at("2026-03-05", 10 + i)) for i in range(3)]
    # a failing endpoint pauses the channel for the rest of the pass: the second row waits untouched
    assert [(p["sent"], p["failed"], p["deferred"]) for p in passes] == [(0, 1, 1), (0, 1, 1), (2, 0, 0)]
    first, second = webhook_rows()
    assert (first.status, first.attempts, first.error) == ("sent", 3, None)
    assert (second.status, second.attempts) == ("sent", 1)
    assert len(hook.requests) == 4
    assert hook.requests[0]["body"] == hook.requests[1]["body"] == hook.requests[2]["body"]


def test_an_endpoint_that_keeps_failing_is_recorded_as_failed_after_three_attempts(people, webhook_url, hook):
    two_alerts(people)
    hook.script = [500] * 10
    for i in range(7):
        notify.dispatch_pending(at("2026-03-05", 10 + i))
    rows = webhook_rows()
    assert {(r.status, r.attempts) for r in rows} == {("failed", 3)}
    assert all(r.error == "HTTP Error 500: Internal Server Error" for r in rows)
    assert len(hook.requests) == 6  # three attempts per message, none after it failed
    # the in-app messages were not held up by the webhook
    inapp = Session.scalars(select(Notification).where(Notification.channel == "inapp")).all()
    assert {r.status for r in inapp} == {"delivered"} and len(inapp) == 2
    assert len(notify.list_inbox(people["env_decider"])) == 2


def test_a_4xx_answer_fails_that_message_at_once_and_the_next_one_still_goes(people, webhook_url, hook):
    two_alerts(people)
    hook.script = [400]
    result = notify.dispatch_pending(at("2026-03-05", 10))
    assert (result["sent"], result["failed"], result["deferred"]) == (1, 1, 0)
    first, second = webhook_rows()
    assert (first.status, first.attempts, first.error) == ("failed", 1, "HTTP 400 Bad Request")
    assert (second.status, second.attempts) == ("sent", 1)
    notify.dispatch_pending(at("2026-03-05", 11))
    assert len(hook.requests) == 2


def test_a_redirect_is_not_followed_and_counts_as_a_failure(people, webhook_url, hook):
    two_alerts(people)
    hook.script = [302, 307]
    result = notify.dispatch_pending(at("2026-03-05", 10))
    assert (result["sent"], result["failed"]) == (0, 2)
    assert [r.error for r in webhook_rows()] == ["HTTP 302 Found", "HTTP 307 Temporary Redirect"]
    assert [(r["method"], r["path"]) for r in hook.requests] == [("POST", "/notify")] * 2


def test_a_hanging_endpoint_costs_one_timeout_per_pass_and_e_mail_still_goes_out(people, hook, smtp):
    hook.hang = True
    notify.register_channel(notify.WebhookChannel(hook.url, timeout=0.5))
    try:
        two_alerts(people)
        result = notify.dispatch_pending(at("2026-03-05", 10))
    finally:
        notify.unregister_channel("webhook")
    assert (result["sent"], result["failed"], result["deferred"]) == (2, 1, 1)  # the two e-mails were sent
    assert len(smtp.messages) == 2 and len(hook.requests) == 1
    first, second = webhook_rows()
    assert (first.status, first.attempts) == ("pending", 1) and "timed out" in first.error
    assert (second.status, second.attempts, second.error) == ("pending", 0, None)


def test_a_url_that_is_not_http_is_refused_without_retry(people, hook):
    notify.register_channel(notify.WebhookChannel("file:///etc/passwd"))
    try:
        two_alerts(people)
        notify.dispatch_pending(at("2026-03-05", 10))
        notify.dispatch_pending(at("2026-03-05", 11))
    finally:
        notify.unregister_channel("webhook")
    rows = webhook_rows()
    assert {(r.status, r.attempts) for r in rows} == {("failed", 1)}
    assert all(r.error == "webhook URL must be http(s): file:///etc/passwd" for r in rows)
    assert hook.requests == []
