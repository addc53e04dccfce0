"""Reuse instead of paper (凡是电子证照库已有的电子证照都要100%应用): a material whose item.yaml entry
names ``licence_types`` is satisfied by a valid e-licence the platform holds for the same holder.

The licence must exist, be of one of those types, be valid today (not revoked, annulled or expired),
carry intact signatures, and belong to the case's applicant (same ID number / credit code). Anything else
is refused with the material's field named, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.models import Case, Licence, LicenceUse, Session, utcnow
from app.models.vocab import OPEN_STATUSES
from app.services import audit, licences
from app.services.auth import Actor
from app.services.cases import get_case
from app.services.errors import Conflict, Forbidden, ValidationFailed
from app.services.i18n import t
from engine.workcal import local_date


def reusable_types(item_definition: Mapping[str, Any]) -> dict[str, list[str]]:
    """material code -> licence types that satisfy it."""
    out = {}
    for m in item_definition.get("materials") or []:
        types = m.get("licence_types") if isinstance(m, dict) else None
        if isinstance(types, list) and types:
            out[str(m["code"])] = [str(t) for t in types]
    return out


def holder_licences(
    actor: Actor, item_definition: Mapping[str, Any], now: datetime | None = None
) -> dict[str, list[Licence]]:
    """For the application page: the applicant's valid licences per material that accepts them."""
    types = reusable_types(item_definition)
    if not actor.is_applicant or not types:
        return {}
    today = local_date(now or utcnow())
    wanted = {t for ts in types.values() for t in ts}
    rows = list(
        Session.scalars(
            select(Licence).where(
                Licence.holder_user_id == actor.id,
                Licence.status == "valid",
                Licence.licence_type.in_(wanted),
            )
        )
    )
    rows = [r for r in rows if licences.effective_status(r, today) == "valid"]
    return {
        code: [r for r in rows if r.licence_type in ts]
        for code, ts in types.items()
        if any(r.licence_type in ts for r in rows)
    }


def check_licence_for(
    item_definition: Mapping[str, Any], holder_id_no: str, code: str, licence_no: Any, now: datetime
) -> tuple[Licence | None, str | None]:
    """(licence, None) when it may stand for material ``code``, else (None, the reason)."""
    types = reusable_types(item_definition).get(code)
    if not types:
        return None, t("该材料不能以电子证照代替")
    lic = licences.load_licence(str(licence_no or ""))
    if lic is None or lic.holder_id_no != holder_id_no:
        # someone else's licence answers like a missing one
        return None, t("未找到申请人名下的该电子证照")
    if lic.licence_type not in types:
        return None, t("证照类型不符：需要 %(types)s", types="、".join(types))
    status = licences.effective_status(lic, local_date(now))
    if status != "valid":
        refusals = {
            "revoked": t("该电子证照已撤销，不能使用"),
            "annulled": t("该电子证照已注销，不能使用"),
            "expired": t("该电子证照已过期，不能使用"),
        }
        return None, refusals.get(status) or t("该电子证照%(status)s，不能使用", status=status)
    if not licences.signature_ok(lic):
        return None, t("该电子证照未通过签名核验")
    return lic, None


def use_licence(actor: Actor, case: Case, code: str, lic: Licence, now: datetime) -> LicenceUse:
    """Record the reuse (no commit)."""
    row = LicenceUse(case_id=case.id, material_code=code, licence_id=lic.id, used_by_id=actor.id, used_at=now)
    Session.add(row)
    audit.record(
        actor,
        "licence.reuse",
        case.id,
        target=lic.licence_no,
        before=None,
        after={"material": code, "licence_no": lic.licence_no},
    )
    return row


def reuse_licence(
    actor: Actor, case_no: str, code: Any, licence_no: Any, now: datetime | None = None
) -> LicenceUse:
    """``POST /cases/{case_no}/materials`` with ``{code, licence_no}``: the applicant (or the case's
    department) uses a held licence for a material of an open case."""
    at = now or utcnow()
    case = get_case(actor, case_no)
    if not (
        (actor.is_applicant and case.applicant_user_id == actor.id) or actor.holds_in(case.department_code)
    ):
        raise Forbidden(t("无权为该办件提交材料"), code="material_forbidden")
    if case.status not in OPEN_STATUSES:
        raise Conflict(t("办件已办结，不能再提交材料"), code="case_closed")
    if not isinstance(code, str) or not code:
        raise ValidationFailed(t("code 必填"), [{"field": "code", "message": "required"}])
    lic, problem = check_licence_for(case.item.definition or {}, case.applicant_id_no, code, licence_no, at)
    if lic is None:
        raise ValidationFailed(
            problem or "", [{"field": "licence_no", "message": problem or ""}], code="licence_refused"
        )
    if Session.scalar(
        select(LicenceUse.id).where(LicenceUse.case_id == case.id, LicenceUse.material_code == code)
    ):
        raise Conflict(t("该材料已使用电子证照"), code="already_reused")
    row = use_licence(actor, case, code, lic, at)
    Session.commit()
    return row


def uses_of_case(case_id: int) -> list[LicenceUse]:
    return list(
        Session.scalars(select(LicenceUse).where(LicenceUse.case_id == case_id).order_by(LicenceUse.id))
    )


def use_view(row: LicenceUse, case_no: str | None = None) -> dict[str, Any]:
    return {
        "case_no": case_no,
        "code": row.material_code,
        "licence_no": row.licence.licence_no,
        "licence_type": row.licence.licence_type,
        "type_name": row.licence.type_name,
        "status": row.licence.status,
        "valid_until": row.licence.valid_until,
        "used_at": row.used_at,
    }
