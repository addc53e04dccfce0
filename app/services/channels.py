"""Messages to applicants over SMS and e-mail: queued with the change that causes them, delivered after.

``enqueue_*`` adds an ``outbound_message`` row inside the caller's transaction (no commit). ``deliver``
claims due rows one by one (a conditional UPDATE, so two schedulers never send one message twice),
sends each over its channel, and records the outcome: ``sent``, or back to ``pending`` with the next
attempt after a growing delay, or ``failed`` after MAX_ATTEMPTS. A channel that fails or hangs (bounded
by its timeout) is recorded and never raises into the caller: the case, the registration, the page
go on. The scheduler job ``deliver_messages`` retries what is due; with the job engine on
(app.services.jobqueue) each message has its own job, queued with the row, and the engine retries it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from app.models import OutboundMessage, Session, utcnow
from app.services import jobqueue
from app.services.context import ctx
from app.services.notify import SmtpChannel, claimable
from app.services.sms import HttpGatewaySmsChannel, OutboxSmsChannel

log = logging.getLogger("tongban.channels")

MAX_ATTEMPTS = 5
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
STALE_CLAIM = timedelta(minutes=10)


def enqueue_sms(
    mobile: str,
    text: str,
    purpose: str,
    *,
    user_id: int | None = None,
    case_id: int | None = None,
    notice_id: int | None = None,
) -> OutboundMessage:
    row = OutboundMessage(
        channel="sms",
        recipient=mobile,
        body=text,
        purpose=purpose,
        user_id=user_id,
        case_id=case_id,
        notice_id=notice_id,
    )
    Session.add(row)
    _queue_job(row)
    return row


def enqueue_email(
    address: str,
    subject: str,
    body: str,
    purpose: str,
    *,
    user_id: int | None = None,
    case_id: int | None = None,
    notice_id: int | None = None,
) -> OutboundMessage:
    row = OutboundMessage(
        channel="email",
        recipient=address,
        subject=subject[:200],
        body=body,
        purpose=purpose,
        user_id=user_id,
        case_id=case_id,
        notice_id=notice_id,
    )
    Session.add(row)
    _queue_job(row)
    return row


def _queue_job(row: OutboundMessage) -> None:
    if jobqueue.engine_on():
        Session.flush()  # the job carries the message's id
        jobqueue.enqueue(jobqueue.DELIVER_MESSAGE, message_id=row.id)


def channel_names() -> set[str]:
    """Which channels this deployment delivers over (no channel objects made): "sms", "email"."""
    settings = ctx().settings
    names = set()
    if settings.sms_channel == "outbox" or (settings.sms_channel == "http" and settings.sms_gateway_url):
        names.add("sms")
    if settings.smtp_host:
        names.add("email")
    return names


def configured_channels() -> dict[str, Any]:
    """The channels of this deployment: "sms" from TONGBAN_SMS_CHANNEL, "email" when SMTP is set."""
    settings = ctx().settings
    out: dict[str, Any] = {}
    if settings.sms_channel == "outbox":
        out["sms"] = OutboxSmsChannel()
    elif settings.sms_channel == "http" and settings.sms_gateway_url:
        out["sms"] = HttpGatewaySmsChannel(settings.sms_gateway_url, settings.sms_gateway_token)
    if settings.smtp_host:
        out["email"] = SmtpChannel(settings.smtp_host, settings.smtp_port, settings.mail_from)
    return out


def _load(mid: int) -> OutboundMessage:
    row = Session.get(OutboundMessage, mid, populate_existing=True)
    if row is None:  # deleted under us: nothing to send
        raise LookupError(mid)
    return row


def _send(channel: Any, row: OutboundMessage) -> None:
    if row.channel == "sms":
        channel.send(row.recipient, row.body)
    else:
        channel.send(row.recipient, row.subject, row.body)


def deliver_message(
    mid: int,
    now: datetime,
    *,
    final: bool | None = None,
    retry_at: datetime | None = None,
    available: Mapping[str, Any] | None = None,
) -> str:
    """Claim one pending message and send it: "sent", or "taken" (not pending: sent already, or another
    sender has it). A failure is recorded (attempts, last error) and re-raised: the row goes back to
    pending with its next attempt at ``retry_at`` (by default after BACKOFF), or is failed when this was
    the last attempt (``final``; by default after MAX_ATTEMPTS). The background job and the in-process
    ``deliver`` both send through here."""
    t: Any = OutboundMessage.__table__
    claimed: int = Session.execute(  # type: ignore[attr-defined]  # UPDATE results have a rowcount
        update(t)
        .where(t.c.id == mid, claimable(t, now))
        .values(status="sending", claimed_at=now, attempts=t.c.attempts + 1)
    ).rowcount
    Session.commit()
    if claimed != 1:
        return "taken"
    available = configured_channels() if available is None else available
    try:
        row = _load(mid)
        channel = available.get(row.channel)
        if channel is None:
            raise RuntimeError(f"channel {row.channel!r} is not configured in this process")
        _send(channel, row)
    except LookupError:
        return "taken"
    except Exception as exc:
        Session.rollback()
        row = _load(mid)
        log.warning("message %s over %s failed (attempt %s): %s", mid, row.channel, row.attempts, exc)
        row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        if row.attempts >= MAX_ATTEMPTS if final is None else final:
            row.status = "failed"
        else:
            row.status = "pending"
            row.next_attempt_at = retry_at or now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
        Session.commit()
        raise
    row.status, row.sent_at, row.last_error = "sent", now, None
    Session.commit()
    return "sent"


def deliver(
    now: datetime | None = None,
    *,
    ids: Iterable[int] | None = None,
    channels: Mapping[str, Any] | None = None,
    limit: int = 200,
) -> dict[str, int]:
    """Send due messages (or just ``ids``); returns counts. Never raises for a channel's failure."""
    now = now or utcnow()
    available = configured_channels() if channels is None else dict(channels)
    t: Any = OutboundMessage.__table__
    Session.execute(
        update(t).where(t.c.status == "sending", t.c.claimed_at < now - STALE_CLAIM).values(status="pending")
    )
    Session.commit()
    stmt = select(t.c.id).where(t.c.status == "pending", t.c.channel.in_(list(available)))
    if ids is not None:
        stmt = stmt.where(t.c.id.in_(list(ids)))
    else:
        stmt = stmt.where(t.c.next_attempt_at <= now)
    due = list(Session.scalars(stmt.order_by(t.c.id).limit(limit)))
    counts = {"sent": 0, "retry": 0, "failed": 0}
    for mid in due:
        try:
            outcome = deliver_message(mid, now, available=available)
        except Exception:  # noqa: BLE001 - recorded on the row by deliver_message
            status = Session.scalar(select(t.c.status).where(t.c.id == mid))
            counts["failed" if status == "failed" else "retry"] += 1
        else:
            if outcome == "sent":
                counts["sent"] += 1
    return counts


def deliver_soon(ids: Iterable[int], now: datetime | None = None) -> None:
    """Best effort right after the caller's commit; whatever fails stays queued for the job. With the
    job engine on, the message's own job (queued with it) delivers it instead."""
    if jobqueue.engine_on():
        return
    try:
        deliver(now, ids=list(ids))
    except Exception:  # noqa: BLE001 - delivery must never break the caller's request
        Session.rollback()
        log.exception("immediate delivery failed; the scheduler job will retry")


def messages_for(user_id: int | None = None, recipient: str | None = None) -> list[OutboundMessage]:
    stmt = select(OutboundMessage).order_by(OutboundMessage.id)
    if user_id is not None:
        stmt = stmt.where(OutboundMessage.user_id == user_id)
    if recipient is not None:
        stmt = stmt.where(OutboundMessage.recipient == recipient)
    return list(Session.scalars(stmt))
