"""双公示: every licensing decision is published within 7 WD of the decision, withdrawn within 3 WD when
revoked — each its own working-day clock, yellow/red and supervised like a step.

``Decided`` on an item with ``power_type: licensing`` creates the entry (approvals and denials; a public
service such as the certificate reissue is not a licensing decision and is never published). An officer
of the department publishes it, or the item publishes automatically (``publication.auto``). A revoked or
annulled licence starts the withdrawal clock (automatic items are withdrawn at once). The public list
shows published entries only, a natural person's name and ID number masked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select

from app.models import Case, CaseDocument, Publication, Session, utcnow
from app.models.vocab import Role
from app.services import audit, org, result_alerts
from app.services.auth import Actor
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.events import EventBus, EventContext
from app.services.i18n import t
from app.services.workdays import get_calendar
from engine.clocks import Thresholds, light_of
from engine.events import Decided
from engine.identity import mask_party
from engine.workcal import local_date

PUBLISH_WD = 7
WITHDRAW_WD = 3
THRESHOLDS = Thresholds(yellow_remaining_wd=2, yellow_consumed_pct=70)
PUBLIC_STATES = ("published", "withdrawing")
STATES = ("pending", "published", "withdrawing", "withdrawn")
OFFICER_ROLES = (Role.CLERK, Role.DECIDER, Role.HEAD)


def is_licensing(case: Case) -> bool:
    return (case.item.definition or {}).get("power_type") == "licensing"


def _auto(case_or_item_definition: dict[str, Any]) -> bool:
    return bool((case_or_item_definition.get("publication") or {}).get("auto"))


def _deadline(start: date, wd: int) -> tuple[date, bool]:
    res = get_calendar().add_workdays(start, wd)
    return res.date, res.confirmed


def clock_light(start: date, deadline: date, limit: int, today: date) -> str:
    cal = get_calendar()
    used = cal.count_workdays(start, today) if today > start else 0
    return light_of(today, deadline, used, limit, THRESHOLDS)


def _set_clock(pub: Publication, kind: str | None, start: date | None, wd: int, today: date) -> None:
    pub.clock, pub.clock_start = kind, start
    if kind is None or start is None:
        pub.deadline, pub.light = None, None
        return
    pub.deadline, pub.deadline_confirmed = _deadline(start, wd)
    pub.light = clock_light(start, pub.deadline, wd, today)


def on_decided(event: Decided, ctx: EventContext) -> None:
    case = ctx.case
    if not is_licensing(case) or Session.scalar(select(Publication.id).where(Publication.case_id == case.id)):
        return
    Session.flush()  # the decision document of this step (documents capability, just before)
    document = Session.scalar(
        select(CaseDocument.number)
        .where(
            CaseDocument.case_id == case.id, CaseDocument.kind.in_(("approval_decision", "denial_decision"))
        )
        .order_by(CaseDocument.id.desc())
        .limit(1)
    )
    today = ctx.today
    reason = ctx.data.get("deny_reason") if not event.approved else ctx.data.get("decision_reason")
    pub = Publication(
        case_id=case.id,
        item_id=case.item_id,
        department_code=case.department_code,
        authority=org.name(case.department_code),
        document_no=document,
        counterpart_kind=case.applicant_kind,
        counterpart_name=case.applicant_name,
        counterpart_id_no=case.applicant_id_no,
        decision="approved" if event.approved else "denied",
        decided_on=today,
        content=(str(reason)[:1000] if reason else None),
        state="pending",
        created_at=ctx.now,
        publish_deadline=_deadline(today, PUBLISH_WD)[0],
    )
    _set_clock(pub, "publish", today, PUBLISH_WD, today)
    Session.add(pub)
    if _auto(case.item.definition or {}):
        _publish(None, pub, ctx.now)


def attach_licence(case_id: int, licence: Any) -> None:
    """The licence issued for this decision: the entry shows its number's validity."""
    pub = Session.scalar(select(Publication).where(Publication.case_id == case_id))
    if pub is not None:
        pub.licence_id, pub.valid_from, pub.valid_until = licence.id, licence.valid_from, licence.valid_until


def subscribe(bus: EventBus) -> None:
    bus.subscribe(Decided, on_decided)


# -- officers' actions --------------------------------------------------------------------------------


def _entry_for(actor: Actor, pub_id: int) -> Publication:
    pub = Session.get(Publication, pub_id)
    if pub is None or not (actor.is_oversight or actor.holds_in(pub.department_code)):
        raise NotFound(t("公示记录 %(pub_id)s 不存在", pub_id=pub_id), code="publication_not_found")
    if not actor.holds_in(pub.department_code, *OFFICER_ROLES):
        raise Forbidden(
            t("只有本部门的受理、决定人员或负责人可以公示或撤下"),
            code="not_department_officer",
        )
    return pub


def _publish(actor: Actor | None, pub: Publication, now: datetime) -> None:
    if pub.id is None:
        Session.flush()
    pub.state, pub.published_on, pub.published_at = "published", local_date(now), now
    pub.published_by_id = actor.id if actor else None
    _set_clock(pub, None, None, 0, local_date(now))
    result_alerts.resolve(result_alerts.PUBLICATION, pub.id, now)
    audit.record(
        actor,
        "publication.publish",
        pub.case_id,
        target=f"publication#{pub.id}",
        before={"state": "pending"},
        after={"state": "published", "on_time": pub.published_on <= pub.publish_deadline},
    )


def publish_entry(actor: Actor, pub_id: int, now: datetime | None = None) -> Publication:
    at = now or utcnow()
    pub = _entry_for(actor, pub_id)
    if pub.state != "pending":
        raise Conflict(t("该记录状态为 %(state)s，不能公示", state=pub.state), code="publication_not_pending")
    _publish(actor, pub, at)
    Session.commit()
    return pub


def _withdraw(actor: Actor | None, pub: Publication, now: datetime) -> None:
    before = pub.state
    pub.state, pub.withdrawn_on = "withdrawn", local_date(now)
    pub.withdrawn_by_id = actor.id if actor else None
    _set_clock(pub, None, None, 0, local_date(now))
    result_alerts.resolve(result_alerts.PUBLICATION, pub.id, now)
    result_alerts.resolve(result_alerts.WITHDRAWAL, pub.id, now)
    audit.record(
        actor,
        "publication.withdraw",
        pub.case_id,
        target=f"publication#{pub.id}",
        before={"state": before},
        after={"state": "withdrawn"},
    )


def start_withdrawal(actor: Actor | None, case_id: int, reason: str, now: datetime) -> None:
    """A decision or licence was revoked: the entry must come down within 3 WD (no commit)."""
    pub = Session.scalar(select(Publication).where(Publication.case_id == case_id))
    if pub is None or pub.state == "withdrawn":
        return
    today = local_date(now)
    pub.withdraw_reason = reason[:1000]
    if pub.state == "pending":  # never shown: nothing to take down, and it must not be published now
        _withdraw(actor, pub, now)
        return
    pub.state, pub.withdraw_deadline = "withdrawing", _deadline(today, WITHDRAW_WD)[0]
    _set_clock(pub, "withdraw", today, WITHDRAW_WD, today)
    item_definition = pub_item_definition(pub)
    if _auto(item_definition):
        _withdraw(actor, pub, now)


def pub_item_definition(pub: Publication) -> dict[str, Any]:
    from app.models import ServiceItem

    item = Session.get(ServiceItem, pub.item_id)
    return (item.definition or {}) if item else {}


def withdraw_entry(actor: Actor, pub_id: int, now: datetime | None = None) -> Publication:
    at = now or utcnow()
    pub = _entry_for(actor, pub_id)
    if pub.state != "withdrawing":
        raise Conflict(
            t("只有决定或证照被撤销的公示才能撤下"),
            code="publication_not_withdrawing",
        )
    _withdraw(actor, pub, at)
    Session.commit()
    return pub


# -- reading ----------------------------------------------------------------------------------------


def public_view(pub: Publication, item_names: dict[int, tuple[str, str]]) -> dict[str, Any]:
    name, id_no = mask_party(pub.counterpart_kind, pub.counterpart_name, pub.counterpart_id_no)
    zh, en = item_names.get(pub.item_id, ("", ""))
    return {
        "id": pub.id,
        "authority": pub.authority,
        "document_no": pub.document_no,
        "counterpart_name": name,
        "counterpart_id_no": id_no,
        "counterpart_kind": pub.counterpart_kind,
        "item_name": zh,
        "item_name_en": en,
        "decision": pub.decision,
        "decided_on": pub.decided_on,
        "valid_from": pub.valid_from,
        "valid_until": pub.valid_until,
        "content": pub.content,
        "published_on": pub.published_on,
        "state": pub.state,
    }


def _item_names() -> dict[int, tuple[str, str]]:
    from app.models import ServiceItem

    return {i.id: (i.name_zh, i.name_en) for i in Session.scalars(select(ServiceItem))}


def _bounded(page: Any, per_page: Any) -> tuple[int, int]:
    problems = []
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= 100_000:
        problems.append({"field": "page", "message": "1–100000"})
    if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= 100:
        problems.append({"field": "per_page", "message": "1–100"})
    if problems:
        raise ValidationFailed(t("分页参数有误"), problems)
    return page, per_page


def search_public(q: str | None = None, decision: str | None = None, page: int = 1, per_page: int = 20):
    """The public list: published entries, newest first; ``q`` matches authority, item, document number
    and a legal entity's name or code (a natural person's name is not searchable: it is masked)."""
    page, per_page = _bounded(page, per_page)
    if decision is not None and decision not in ("approved", "denied"):
        raise ValidationFailed(
            "decision: approved | denied", [{"field": "decision", "message": "approved|denied"}]
        )
    from app.models import ServiceItem

    stmt = select(Publication).where(Publication.state.in_(PUBLIC_STATES))
    if decision:
        stmt = stmt.where(Publication.decision == decision)
    text = (q or "").strip()[:100]
    if text:
        like = f"%{text}%"
        items = select(ServiceItem.id).where(
            or_(ServiceItem.name_zh.like(like), ServiceItem.name_en.like(like))
        )
        entity = (Publication.counterpart_kind == "entity") & or_(
            Publication.counterpart_name.like(like), Publication.counterpart_id_no == text.upper()
        )
        stmt = stmt.where(
            or_(
                Publication.authority.like(like),
                Publication.document_no.like(like),
                Publication.item_id.in_(items),
                entity,
            )
        )
    total = Session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = Session.scalars(
        stmt.order_by(Publication.published_on.desc(), Publication.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    names = _item_names()
    return [public_view(p, names) for p in rows], total, page, per_page


def department_entries(actor: Actor, state: str | None = None) -> list[Publication]:
    """The workspace list: entries of the actor's department (oversight: all) still needing action."""
    if not (actor.is_staff or actor.is_oversight):
        raise Forbidden(t("无权查看公示"), code="publication_forbidden")
    if state is not None and state not in STATES:
        raise ValidationFailed(t("state 取值无效"), [{"field": "state", "message": "|".join(STATES)}])
    stmt = select(Publication)
    if not actor.is_oversight:
        stmt = stmt.where(Publication.department_code.in_(actor.departments()))
    if state:
        stmt = stmt.where(Publication.state == state)
    else:
        stmt = stmt.where(Publication.state.in_(("pending", "withdrawing")))
    return list(Session.scalars(stmt.order_by(Publication.deadline, Publication.id).limit(500)))


def staff_view(pub: Publication) -> dict[str, Any]:
    view = public_view(pub, _item_names())
    case = Session.get(Case, pub.case_id)
    view.update(
        case_no=case.case_no if case else None,
        clock=pub.clock,
        deadline=pub.deadline,
        light=pub.light,
        publish_deadline=pub.publish_deadline,
        withdraw_deadline=pub.withdraw_deadline,
        withdraw_reason=pub.withdraw_reason,
        department_code=pub.department_code,
    )
    return view


def refresh_clocks(today: date) -> int:
    """The daily sweep: deadlines (the calendar may have changed) and lights of the running clocks."""
    changed = 0
    for pub in Session.scalars(select(Publication).where(Publication.clock.is_not(None))):
        limit = PUBLISH_WD if pub.clock == "publish" else WITHDRAW_WD
        if pub.clock_start is None:
            continue
        deadline, confirmed = _deadline(pub.clock_start, limit)
        light = clock_light(pub.clock_start, deadline, limit, today)
        if (pub.deadline, pub.deadline_confirmed, pub.light) != (deadline, confirmed, light):
            pub.deadline, pub.deadline_confirmed, pub.light = deadline, confirmed, light
            if pub.clock == "publish":
                pub.publish_deadline = deadline
            else:
                pub.withdraw_deadline = deadline
            changed += 1
    return changed
