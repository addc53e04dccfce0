"""SMS channels for applicants: an interface, a development outbox, and an HTTP gateway client.

The outbox stores every message in the ``sms_outbox`` table (``flask --app app sms outbox`` prints
them), so development and tests need no provider. The HTTP gateway POSTs ``{"mobile", "text"}`` as
JSON to ``TONGBAN_SMS_GATEWAY_URL``; any 2xx answer is a delivery unless its JSON body says
``{"ok": false}``. A provider's own API sits behind such a gateway.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select

from app.models import Session, SmsOutbox


class SmsError(Exception):
    """The channel could not deliver; the message is retried later."""


class SmsChannel(Protocol):
    name: str

    def send(self, mobile: str, text: str) -> None: ...


class OutboxSmsChannel:
    """Development channel: the message lands in sms_outbox, in the dispatcher's transaction."""

    name = "outbox"

    def send(self, mobile: str, text: str) -> None:
        Session.add(SmsOutbox(mobile=mobile, body=text))


@dataclass
class HttpGatewaySmsChannel:
    url: str
    token: str = ""
    timeout: float = 5.0
    name: str = "http"

    def send(self, mobile: str, text: str) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise SmsError(f"SMS gateway URL must be http(s): {self.url!r}")
        data = json.dumps({"mobile": mobile, "text": text}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        req = urllib.request.Request(self.url, data=data, headers=headers, method="POST")  # noqa: S310 - scheme checked above
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - scheme checked above
                body = resp.read(65536)
        except urllib.error.HTTPError as exc:
            raise SmsError(f"gateway answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise SmsError(f"gateway unreachable: {exc}") from exc
        try:
            answer = json.loads(body) if body.strip() else {}
        except ValueError:
            answer = {}
        if isinstance(answer, dict) and answer.get("ok") is False:
            raise SmsError(f"gateway refused the message: {answer.get('error') or answer}")


def outbox(mobile: str | None = None, limit: int = 50) -> list[SmsOutbox]:
    """The latest messages of the development outbox, newest first."""
    stmt = select(SmsOutbox).order_by(SmsOutbox.id.desc()).limit(limit)
    if mobile:
        stmt = stmt.where(SmsOutbox.mobile == mobile)
    return list(Session.scalars(stmt))
