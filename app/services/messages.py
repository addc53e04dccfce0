"""The applicant's messages: every notice of their case (case_notice) in the portal's message list, and
by SMS and/or e-mail.

A capability on the case-event bus, subscribed right after the notices (app.capabilities): for each
event that wrote a notice it queues one ``outbound_message`` per channel in the same transaction as the
case change, and asks for delivery after the commit. Delivery is the channels' (app.services.channels):
recorded per attempt, retried by the ``deliver_messages`` job, and a failing channel never touches
the case — the step is committed before anything is sent.

Who receives: an applicant with an account gets the SMS on the mobile number verified at registration
(else the phone of the application) and e-mail at their account's address; a case filed at a window
for someone without an account gets the SMS on the phone given in the application.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select, update

from app.models import Case, CaseNotice, OutboundMessage, Session, User, utcnow
from app.models.portal import ApplicantProfile
from app.services import channels, notices
from app.services.auth import Actor
from app.services.cases import get_case
from app.services.errors import Forbidden, NotFound
from app.services.events import EventBus, EventContext
from app.services.i18n import t
from engine.events import (
    Accepted,
    CaseEvent,
    CorrectionRequested,
    Decided,
    Delivered,
    ExtensionApproved,
    Refused,
    SpecialProcedureRenotified,
    SpecialProcedureStarted,
    Submitted,
    Withdrawn,
)

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
PURPOSE = "case_notice"
# the events the notices capability writes a notice for (app.services.notices.subscribe)
NOTICE_EVENTS: tuple[type[CaseEvent], ...] = (
    Submitted,
    Accepted,
    CorrectionRequested,
    Refused,
    SpecialProcedureStarted,
    SpecialProcedureRenotified,
    ExtensionApproved,
    Decided,
    Delivered,
    Withdrawn,
)


@dataclass(frozen=True)
class Recipients:
    mobile: str | None
    email: str | None
    user_id: int | None


def recipients_of(case: Case) -> Recipients:
    phone = "".join((case.applicant_phone or "").split())
    mobile = phone if MOBILE_RE.match(phone) else None
    if case.applicant_user_id is None:
        return Recipients(mobile, None, None)
    # one query for both (not the user with its roles and the profile one by one), on the connection:
    # accounts are not written by a case's change, so it needs no flush of that change first
    row = (
        Session.connection()
        .execute(
            select(User.email, ApplicantProfile.user_id, ApplicantProfile.mobile)
            .outerjoin(ApplicantProfile, ApplicantProfile.user_id == User.id)
            .where(User.id == case.applicant_user_id)
        )
        .first()
    )
    return Recipients(
        row.mobile if row is not None and row.user_id is not None else mobile,
        (row.email or None) if row is not None else None,
        case.applicant_user_id,
    )


def sms_text(case: Case, notice: CaseNotice) -> str:
    text = f"【通办】{notice.title}：{notice.body}"
    if case.case_no and case.case_no not in text:
        text += f"（办件编号 {case.case_no}）"
    if notice.event == "submitted" and case.query_code:
        text += f"查询码 {case.query_code}，可在网上办事大厅查询进度。"
    return text


def email_text(case: Case, notice: CaseNotice) -> tuple[str, str]:
    subject = f"【通办】{notice.title}（{case.case_no}）"
    lines = [
        f"{case.applicant_name}：",
        "",
        notice.body,
        "",
        f"办件编号：{case.case_no}",
        f"事项：{case.item.name_zh}",
    ]
    if notice.document_id is not None:
        lines.append("相关文书可登录网上办事大厅，在“我的办件”中下载。")
    if case.query_code:
        lines.append(f"查询码：{case.query_code}（凭办件编号和查询码可在“进度查询”中查看进度）")
    lines += ["", "通办 网上办事大厅 · 政务服务热线 12345"]
    return subject, "\n".join(lines) + "\n"


def on_notice_event(_event: CaseEvent, ctx: EventContext) -> None:
    """Queue the SMS and e-mail of the notice the notices capability just wrote for this event."""
    available = channels.channel_names()
    if not available:
        return  # no channel to send over: neither the notice nor its recipients need looking up
    case = ctx.case
    written = [n for n in ctx.issued if isinstance(n, CaseNotice)]
    if written:
        notice: CaseNotice | None = written[-1]  # written by the notices capability just before
    else:
        Session.flush()
        notice = Session.scalar(
            select(CaseNotice).where(CaseNotice.case_id == case.id).order_by(CaseNotice.id.desc()).limit(1)
        )
    if notice is None:
        return
    to = recipients_of(case)
    if (("sms" in available and to.mobile) or ("email" in available and to.email)) and notice.id is None:
        Session.flush()  # the messages carry the notice's id
    queued: list[OutboundMessage] = []
    if "sms" in available and to.mobile:
        queued.append(
            channels.enqueue_sms(
                to.mobile,
                sms_text(case, notice),
                PURPOSE,
                user_id=to.user_id,
                case_id=case.id,
                notice_id=notice.id,
            )
        )
    if "email" in available and to.email:
        subject, body = email_text(case, notice)
        queued.append(
            channels.enqueue_email(
                to.email, subject, body, PURPOSE, user_id=to.user_id, case_id=case.id, notice_id=notice.id
            )
        )
    if not queued:
        return
    Session.flush()
    ids = [m.id for m in queued]
    ctx.after_commit.append(lambda: channels.deliver_soon(ids))


def subscribe(bus: EventBus) -> None:
    for event_type in NOTICE_EVENTS:
        bus.subscribe(event_type, on_notice_event)


# -- the applicant's message list (in-app) ----------------------------------------------------------


def _own(actor: Actor):
    if not actor.is_applicant:
        raise Forbidden(t("仅申请人有消息"), code="applicants_only")
    return CaseNotice.case_id.in_(select(Case.id).where(Case.applicant_user_id == actor.id))


@dataclass(frozen=True)
class MessagePage:
    rows: list[tuple[CaseNotice, str]]  # (notice, case number)
    unread: int
    total: int


def list_messages(
    actor: Actor, *, unread_only: bool = False, limit: int = 50, offset: int = 0
) -> MessagePage:
    """The applicant's notices of all their cases, newest first, with the unread count."""
    mine = _own(actor)
    conds = [mine] + ([CaseNotice.read_at.is_(None)] if unread_only else [])
    rows = Session.execute(
        select(CaseNotice, Case.case_no)
        .join(Case, Case.id == CaseNotice.case_id)
        .where(*conds)
        .order_by(CaseNotice.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    total = Session.scalar(select(func.count()).select_from(CaseNotice).where(*conds)) or 0
    return MessagePage([(n, no or "") for n, no in rows], unread_count(actor), total)


def unread_count(actor: Actor) -> int:
    if not actor.is_applicant:
        return 0
    return (
        Session.scalar(
            select(func.count()).select_from(CaseNotice).where(_own(actor), CaseNotice.read_at.is_(None))
        )
        or 0
    )


def case_messages(actor: Actor, case_no: str) -> list[tuple[CaseNotice, list[OutboundMessage]]]:
    """The notices of one case with the SMS and e-mail sent for each, oldest first."""
    case = get_case(actor, case_no)
    notices = list(
        Session.scalars(select(CaseNotice).where(CaseNotice.case_id == case.id).order_by(CaseNotice.id))
    )
    sent = deliveries_of([n.id for n in notices])
    return [(n, sent.get(n.id, [])) for n in notices]


def mark_read(actor: Actor, notice_id: int | None = None, *, case_no: str | None = None) -> int:
    """Mark one message, every message of one case, or all of them read; returns how many changed."""
    conds = [_own(actor), CaseNotice.read_at.is_(None)]
    if case_no is not None:
        conds.append(CaseNotice.case_id == get_case(actor, case_no).id)
    if notice_id is not None:
        if Session.scalar(select(CaseNotice.id).where(_own(actor), CaseNotice.id == notice_id)) is None:
            raise NotFound(t("消息 %(notice_id)s 不存在", notice_id=notice_id), code="message_not_found")
        conds.append(CaseNotice.id == notice_id)
    changed = Session.execute(update(CaseNotice).where(*conds).values(read_at=utcnow()))
    Session.commit()
    return int(getattr(changed, "rowcount", 0) or 0)


def deliveries_of(notice_ids: list[int]) -> dict[int, list[OutboundMessage]]:
    """The SMS and e-mail sent (or being sent) for each notice."""
    if not notice_ids:
        return {}
    out: dict[int, list[OutboundMessage]] = {}
    for m in Session.scalars(
        select(OutboundMessage).where(OutboundMessage.notice_id.in_(notice_ids)).order_by(OutboundMessage.id)
    ):
        if m.notice_id is not None:
            out.setdefault(m.notice_id, []).append(m)
    return out


def notice_text_of(notice: CaseNotice, *, english: bool = False) -> tuple[str, str]:
    """Title and body of a message in the reader's language."""
    if not english:
        return notice.title, notice.body
    case = Session.get(Case, notice.case_id)
    return (
        notices.notice_text(notice, case, english=True) if case is not None else (notice.title, notice.body)
    )


def masked(recipient: str) -> str:
    """A recipient as the applicant's page shows it: 139****1234, l***@example.com."""
    if "@" in recipient:
        name, _, domain = recipient.partition("@")
        return f"{name[:1]}***@{domain}"
    return recipient[:3] + "****" + recipient[-4:] if len(recipient) >= 8 else "****"
