"""Notifications of supervision events: in-app inbox, e-mail over SMTP, and pluggable channels.

A notification row is one message to one user over one channel; the unique key
(kind, ref_id, channel, user_id) makes queuing idempotent, and a conditional UPDATE claims a row
before it is sent, so two scheduler processes never send the same message twice. Text is rendered
at send/read time from the alert or order it refers to, so rows can be queued set-based. With the job
engine on (app.services.jobqueue) each e-mail/webhook row gets its delivery job in the same transaction.
"""

from __future__ import annotations

import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from http.client import HTTPMessage
from typing import IO, Any, Protocol

from sqlalchemy import CompoundSelect, Select, and_, exists, func, literal, or_, select, true, update
from sqlalchemy.types import String

from app.models import (
    Alert,
    Case,
    Notification,
    ServiceItem,
    Session,
    SupervisionEscalation,
    SupervisionOrder,
    User,
    UserRole,
)
from app.models.base import UTCDateTime, dialect_insert, rowcount, table_of
from app.services import jobqueue, org
from app.services.auth import Actor
from app.services.context import ctx
from app.services.errors import NotFound
from app.services.i18n import N_, t

log = logging.getLogger("tongban.notify")

MAX_ATTEMPTS = 3
STALE_CLAIM = timedelta(minutes=10)  # a claim older than this belongs to a crashed sender


class Channel(Protocol):
    """A delivery channel. ``address_of`` picks the user's address (None: cannot reach them)."""

    name: str

    def address_of(self, user: User) -> str | None: ...

    def send(self, address: str, subject: str, body: str) -> None: ...


class InAppChannel:
    """The notification row itself is the in-app message: nothing to send."""

    name = "inapp"

    def address_of(self, user: User) -> str | None:
        return str(user.id)

    def send(self, address: str, subject: str, body: str) -> None:
        return None


@dataclass
class SmtpChannel:
    host: str
    port: int
    mail_from: str
    timeout: float = 10.0
    name: str = "email"

    def address_of(self, user: User) -> str | None:
        return user.email or None

    def send(self, address: str, subject: str, body: str) -> None:
        msg = EmailMessage()
        msg["From"] = self.mail_from
        msg["To"] = address
        msg["Subject"] = subject
        msg.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(msg)


class PermanentFailure(Exception):
    """The channel refused this message for good (e.g. HTTP 4xx): it is marked failed, not retried."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None  # urllib would re-send a redirected POST as a GET without its body


# 408 Request Timeout, 425 Too Early and 429 Too Many Requests are worth another try; other 4xx are not.
_RETRYABLE_4XX = (408, 425, 429)


@dataclass
class WebhookChannel:
    """POSTs {"to", "subject", "body"} as UTF-8 JSON to a URL (an SMS gateway or a chat bot sits behind it).

    A 2xx answer is success. 5xx, 408/425/429, timeouts and connection errors raise (retried on a later
    dispatch, up to MAX_ATTEMPTS); other 4xx, any 3xx (redirects are not followed: a redirected POST
    loses its body) and a non-http(s) URL raise PermanentFailure.
    """

    url: str
    name: str = "webhook"
    timeout: float = 10.0

    def address_of(self, user: User) -> str | None:
        return user.username

    def send(self, address: str, subject: str, body: str) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise PermanentFailure(f"webhook URL must be http(s): {self.url}")
        data = json.dumps({"to": address, "subject": subject, "body": body}, ensure_ascii=False).encode()
        req = urllib.request.Request(  # noqa: S310 - scheme checked above
            self.url,
            data=data,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "tongban-notify/1"},
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(req, timeout=self.timeout):
                pass
        except urllib.error.HTTPError as exc:
            if 300 <= exc.code < 500 and exc.code not in _RETRYABLE_4XX:
                raise PermanentFailure(f"HTTP {exc.code} {exc.reason}") from exc
            raise


_EXTRA: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    """Add a channel (SMS, webhook …) for this process; new notifications are queued for it too."""
    _EXTRA[channel.name] = channel


def unregister_channel(name: str) -> None:
    _EXTRA.pop(name, None)


def channels() -> dict[str, Channel]:
    out: dict[str, Channel] = {"inapp": InAppChannel()}
    settings = ctx().settings
    if settings.smtp_host:
        out["email"] = SmtpChannel(settings.smtp_host, settings.smtp_port, settings.mail_from)
    if settings.webhook_url:
        out["webhook"] = WebhookChannel(settings.webhook_url)
    out.update(_EXTRA)
    return out


# -- queuing -------------------------------------------------------------------------------------


def queue(kind: str, recipients: Select | CompoundSelect, now: datetime) -> int:
    """Queue ``kind`` notifications for every (ref_id, user_id) row of ``recipients`` on every channel.

    ``recipients`` selects two columns: the referenced id and the user id. Set-based and idempotent:
    the unique key (kind, ref_id, channel, user_id) is the arbiter of ON CONFLICT DO NOTHING.
    """
    rows = recipients.subquery()
    n_t = table_of(Notification)
    total = 0
    for name in channels():
        status = "delivered" if name == "inapp" else "pending"
        sel = select(
            literal(kind, String()),
            rows.c[0],
            literal(name, String()),
            rows.c[1],
            literal(status, String()),
            literal(0),
            literal(now, UTCDateTime()),
        ).where(true())  # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
        stmt = dialect_insert(n_t).from_select(
            ["kind", "ref_id", "channel", "user_id", "status", "attempts", "created_at"], sel
        )
        ids = Session.execute(stmt.on_conflict_do_nothing().returning(n_t.c.id)).scalars().all()
        total += len(ids)
        if name != "inapp":
            jobqueue.enqueue_many(jobqueue.DELIVER_NOTIFICATION, [{"notification_id": i} for i in ids])
    return total


def department_users(dept_col: Any, roles: tuple[str, ...]) -> Any:
    """Join condition: active users holding one of ``roles`` in the department in ``dept_col``."""
    held = exists().where(
        UserRole.user_id == User.id, UserRole.department_code == dept_col, UserRole.role.in_(roles)
    )
    return and_(User.active.is_(True), held)


def queue_alerts(today: Any, now: datetime) -> int:
    """New alerts of today go to their officer, else to the department's deciders."""
    a = table_of(Alert)
    fresh = (a.c.state == "open", a.c.raised_on == today)
    officer = select(a.c.id, User.id).join(User, User.id == a.c.officer_id).where(*fresh)
    deciders = (
        select(a.c.id, User.id)
        .join(User, department_users(a.c.department_code, ("decider",)))
        .where(a.c.officer_id.is_(None), *fresh)
    )
    return queue("alert", officer.union_all(deciders), now)


# -- rendering -----------------------------------------------------------------------------------


# what the alert's sentence names ("…即将超期"): the case, its step, or the result clock's subject
ALERT_SUBJECTS = {
    "case": N_("办件"),
    "task": N_("办理环节"),
    "correction": N_("补正告知期限"),
    "rectification": N_("差评整改"),
    "publication": N_("许可决定公示"),
    "pub_withdraw": N_("撤回公示"),
}


def render(row: Notification) -> tuple[str, str]:
    """(subject, body) as translatable sentences (Text: Chinese, remembering its msgid)."""
    if row.kind == "alert":
        alert = Session.get(Alert, row.ref_id)
        if alert is None:
            return (t("预警已删除"), "")
        case = Session.get(Case, alert.case_id)
        item = Session.get(ServiceItem, case.item_id) if case else None
        case_no = case.case_no if case else ""
        what = ALERT_SUBJECTS.get(alert.subject_kind, N_("办理环节"))
        level = N_("黄灯预警") if alert.level == "yellow" else N_("红灯预警")
        subject = t("【%(level)s】%(what)s %(case_no)s", level=level, what=what, case_no=case_no)
        state = N_("即将超期") if alert.level == "yellow" else N_("已超期")
        body = t(
            "%(what)s%(state)s。\n办件编号：%(case_no)s\n事项：%(item)s\n期限：%(deadline)s\n请及时处理。",
            what=what,
            state=state,
            case_no=case_no,
            item=item.name_zh if item else "",
            deadline=alert.deadline.isoformat() if alert.deadline else "—",
        )
        return subject, body
    step = Session.get(SupervisionEscalation, row.ref_id) if row.kind == "escalation" else None
    order = Session.get(SupervisionOrder, step.order_id if step is not None else row.ref_id)
    if order is None:
        return (t("督办单已删除"), "")
    case_no = order.case.case_no if order.case else ""
    titles = {"order": N_("督办通知"), "order_reminder": N_("督办回复提醒"), "escalation": N_("督办升级")}
    subject = t("【%(title)s】办件 %(case_no)s", title=titles.get(row.kind, N_("督办通知")), case_no=case_no)
    due = step.reply_due if step is not None else order.reply_due
    if step is None:
        return subject, t(
            "督办事项：%(instruction)s\n回复期限：%(due)s", instruction=order.instruction, due=due.isoformat()
        )
    return subject, t(
        "督办事项：%(instruction)s\n回复期限：%(due)s\n%(from)s逾期（%(missed)s）未回复，已升级至%(to)s（第 %(level)s 级）。",
        instruction=order.instruction,
        due=due.isoformat(),
        **{"from": _dept_name(step.from_department)},
        missed=step.missed_due.isoformat(),
        to=_dept_name(step.to_department),
        level=step.level,
    )


def _dept_name(code: str) -> str:
    info = org.department(code)
    return info.name_zh if info is not None else code


# -- dispatch ------------------------------------------------------------------------------------


def claimable(table: Any, now: datetime) -> Any:
    """Pending, or claimed by a sender that died more than STALE_CLAIM ago (its job is run again)."""
    return or_(
        table.c.status == "pending", and_(table.c.status == "sending", table.c.claimed_at < now - STALE_CLAIM)
    )


def deliver_notification(
    nid: int, now: datetime, *, final: bool | None = None, available: dict[str, Channel] | None = None
) -> str:
    """Claim one pending notification and send it: "sent", "skipped" (no address) or "taken" (not
    pending: sent already, or another sender has it). A failure is recorded on the row and re-raised:
    a PermanentFailure marks it failed; any other error leaves it pending for another attempt, or failed
    when this was the last one (``final``; by default after MAX_ATTEMPTS). The background job and the
    in-process dispatch both send through here."""
    n_t = table_of(Notification)
    claimed = rowcount(
        Session.execute(
            update(n_t)
            .where(n_t.c.id == nid, claimable(n_t, now))
            .values(status="sending", claimed_at=now, attempts=n_t.c.attempts + 1)
        )
    )
    Session.commit()
    row = Session.get(Notification, nid, populate_existing=True) if claimed == 1 else None
    if row is None:
        return "taken"
    available = channels() if available is None else available
    try:
        channel = available.get(row.channel)
        if channel is None:
            raise RuntimeError(f"channel {row.channel!r} is not configured in this process")
        user = Session.get(User, row.user_id)
        address = channel.address_of(user) if user is not None else None
        if address is None:
            row.status, row.error = "skipped", "no address"
            Session.commit()
            return "skipped"
        subject, body = render(row)
        channel.send(address, subject, body)
    except Exception as exc:
        Session.rollback()
        row = Session.get(Notification, nid, populate_existing=True)
        if row is not None:
            permanent = isinstance(exc, PermanentFailure)
            log.warning(
                "notification %s over %s failed (attempt %s): %s", nid, row.channel, row.attempts, exc
            )
            last = permanent or (row.attempts >= MAX_ATTEMPTS if final is None else final)
            row.status, row.error = ("failed" if last else "pending"), str(exc)[:500]
            Session.commit()
        raise
    row.status, row.sent_at, row.error = "sent", now, None
    Session.commit()
    return "sent"


def dispatch_pending(now: datetime, limit: int = 500) -> dict[str, int]:
    """Send pending notifications over their channels (the in-process path, TONGBAN_JOBS=inprocess).

    A retryable failure (timeout, connection refused, 5xx) leaves the row pending for a later pass and
    pauses that channel for the rest of this pass: its other rows stay pending untouched ("deferred"),
    so an endpoint that hangs costs one timeout per pass instead of one per message, and the other
    channels are sent as usual. A PermanentFailure marks only its own row failed.
    """
    n_t = table_of(Notification)
    Session.execute(
        update(n_t)
        .where(n_t.c.status == "sending", n_t.c.claimed_at < now - STALE_CLAIM)
        .values(status="pending")
    )
    Session.commit()
    available = channels()
    pending = Session.execute(
        select(n_t.c.id, n_t.c.channel)
        .where(n_t.c.status == "pending", n_t.c.channel.in_(list(available)))
        .order_by(n_t.c.id)
        .limit(limit)
    ).all()
    counts = {"sent": 0, "failed": 0, "skipped": 0, "deferred": 0}
    paused: set[str] = set()
    for nid, channel_name in pending:
        if channel_name in paused:
            counts["deferred"] += 1
            continue
        try:
            outcome = deliver_notification(nid, now, available=available)
        except PermanentFailure:
            counts["failed"] += 1
        except Exception:  # noqa: BLE001 - recorded on the row by deliver_notification; retried later
            counts["failed"] += 1
            paused.add(channel_name)
        else:
            if outcome in counts:
                counts[outcome] += 1
    return counts


# -- the in-app inbox ----------------------------------------------------------------------------


def list_inbox(actor: Actor, limit: int = 50) -> list[dict[str, Any]]:
    rows = Session.scalars(
        select(Notification)
        .where(Notification.user_id == actor.id, Notification.channel == "inapp")
        .order_by(Notification.id.desc())
        .limit(limit)
    ).all()
    out = []
    for row in rows:
        subject, body = render(row)
        out.append(
            {
                "id": row.id,
                "kind": row.kind,
                "ref_id": row.ref_id,
                "subject": subject,
                "body": body,
                "created_at": row.created_at.isoformat(),
                "read": row.read_at is not None,
            }
        )
    return out


def unread_count(actor: Actor) -> int:
    return (
        Session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(
                Notification.user_id == actor.id,
                Notification.channel == "inapp",
                Notification.read_at.is_(None),
            )
        )
        or 0
    )


def mark_read(actor: Actor, notification_id: int, now: datetime) -> None:
    row = Session.get(Notification, notification_id)
    if row is None or row.user_id != actor.id or row.channel != "inapp":
        raise NotFound(
            t("通知 %(notification_id)s 不存在", notification_id=notification_id),
            code="notification_not_found",
        )
    if row.read_at is None:
        row.read_at = now
        Session.commit()
