"""An e-licence's end: 撤销/注销 by the issuing department's head, and the daily expiry (split from
app.services.licences, which issues, signs and reads them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.models import CaseNotice, Licence, Session, utcnow
from app.models.vocab import Role
from app.services import audit, publication
from app.services.auth import Actor
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.i18n import t
from app.services.licences import ENDINGS, REASON_MAX, _may_read, _sign_status, _summary, load_licence
from engine.workcal import local_date


def _notify_holder(lic: Licence, title: str, body: str, now: datetime) -> None:
    from app.services import channels

    Session.add(
        CaseNotice(
            case_id=lic.case_id,
            event=f"licence_{lic.status}"[:40],
            title=title,
            body=body,
            params={"licence_no": lic.licence_no},
            created_at=now,
        )
    )
    phone = lic.case.applicant_phone
    if phone:
        channels.enqueue_sms(phone, body, "licence", user_id=lic.holder_user_id, case_id=lic.case_id)


def end_licence(
    actor: Actor, licence_no: str, action: str, reason: Any, now: datetime | None = None
) -> Licence:
    """撤销 (revoke) or 注销 (annul) by the issuing department's head, with a reason; audited, notified."""
    at = now or utcnow()
    if action not in ENDINGS:
        raise ValidationFailed("action: revoke | annul", [{"field": "action", "message": "revoke|annul"}])
    lic = load_licence(licence_no)
    if lic is None or not (_may_read(actor, lic) or actor.is_staff):
        raise NotFound(t("证照 %(licence_no)s 不存在", licence_no=licence_no), code="licence_not_found")
    if not actor.holds_in(lic.department_code, Role.HEAD):
        raise Forbidden(
            t("只有发证部门的负责人可以撤销或注销证照"),
            code="not_issuing_head",
        )
    text = reason.strip() if isinstance(reason, str) else ""
    if not text or len(text) > REASON_MAX:
        raise ValidationFailed(
            t("请写明撤销或注销的理由（最长 1000 字）"),
            [{"field": "reason", "message": "required, 1–1000 characters"}],
            code="reason_required",
        )
    if lic.status != "valid":
        ended = {"revoked": t("证照已撤销"), "annulled": t("证照已注销"), "expired": t("证照已过期")}
        raise Conflict(
            ended.get(lic.status) or t("证照已%(status)s", status=lic.status), code="licence_not_valid"
        )
    before = _summary(lic)
    lic.status, lic.status_reason = ENDINGS[action], text
    lic.status_changed_at, lic.status_changed_by_id = at, actor.id
    _sign_status(lic)
    publication.start_withdrawal(
        actor, lic.case_id, f"证照已{'撤销' if action == 'revoke' else '注销'}：{text}", at
    )
    audit.record(
        actor, f"licence.{action}", lic.case_id, target=lic.licence_no, before=before, after=_summary(lic)
    )
    word = "撤销" if action == "revoke" else "注销"
    _notify_holder(
        lic,
        f"电子证照已{word}",
        f"您的{lic.type_name}（编号 {lic.licence_no}）已由{lic.issuer_name}依法{word}，理由：{text}",
        at,
    )
    Session.commit()
    return lic


def expire_licences(now: datetime) -> list[str]:
    """The daily job: valid licences past their last day become ``expired`` (re-signed status)."""
    today = local_date(now)
    rows = list(
        Session.scalars(
            select(Licence).where(
                Licence.status == "valid", Licence.valid_until.is_not(None), Licence.valid_until < today
            )
        )
    )
    for lic in rows:
        before = _summary(lic)
        lic.status, lic.status_reason, lic.status_changed_at = "expired", "有效期届满", now
        _sign_status(lic)
        audit.record(
            None, "licence.expire", lic.case_id, target=lic.licence_no, before=before, after=_summary(lic)
        )
    Session.commit()
    return [lic.licence_no for lic in rows]
