"""E-licences (电子证照): issued from case events, signed with SM2, verified in public, revoked, expired.

Issue: an approving decision issues the item's licence (``licence:`` in item.yaml) — on ``Delivered``
where ``issue_on: delivered`` (the result is made at the delivery step), else on ``Decided(approved)``.
The record holds the metadata (GB/T 36903 style: type, number, holder, issuer, dates, approved content,
the case), its SM3 digest and the issuing department's SM2 signature over the canonical form, all in
the step's transaction. The PDF (2-D code, PAdES signature) is made later (app.services.licence_pdf).

Verification recomputes the canonical record from the row, compares the digest and checks both SM2
signatures (the record and its current status) with the department's public key: a row changed behind
the application's back is reported as ``tampered``. Nobody learns more than the masked holder.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from app.models import Case, CaseDocument, CaseNotice, Licence, Session, utcnow
from app.models.vocab import CaseStatus
from app.services import audit, jobqueue, licence_keys, org, publication
from app.services.auth import Actor
from app.services.errors import Forbidden, NotFound, ValidationFailed
from app.services.events import EventBus, EventContext
from app.services.i18n import t
from app.services.receipts import ALPHABET
from engine.events import Decided, Delivered
from engine.identity import mask_party
from engine.licenceno import is_valid_licence_no, make_licence_no
from engine.workcal import local_date

STATUSES = ("valid", "revoked", "annulled", "expired")
ENDINGS = {"revoke": "revoked", "annul": "annulled"}
REASON_MAX = 1000


def spec_of(case: Case) -> dict[str, Any] | None:
    spec = (case.item.definition or {}).get("licence")
    return spec if isinstance(spec, dict) and spec.get("type") else None


# -- the canonical record and its signatures --------------------------------------------------------


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def canonical_record(lic: Licence) -> bytes:
    """The signed form: sorted keys, no spaces, UTF-8. Everything the public relies on is in it."""
    record = {
        "licence_no": lic.licence_no,
        "verify_code": lic.verify_code,
        "licence_type": lic.licence_type,
        "type_name": lic.type_name,
        "holder": {"kind": lic.holder_kind, "name": lic.holder_name, "id_no": lic.holder_id_no},
        "issuer": {"department": lic.department_code, "name": lic.issuer_name},
        "issued_on": _iso(lic.issued_on),
        "valid_from": _iso(lic.valid_from),
        "valid_until": _iso(lic.valid_until),
        "content": lic.content,
        "case_id": lic.case_id,
        "key_id": lic.key_id,
    }
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _stamp(at: datetime | None) -> str | None:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if at else None


def canonical_status(lic: Licence) -> bytes:
    record = {
        "licence_no": lic.licence_no,
        "status": lic.status,
        "reason": lic.status_reason,
        "changed_at": _stamp(lic.status_changed_at),
    }
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _sign_status(lic: Licence) -> None:
    key = licence_keys.sm2_key_by_id(lic.department_code, lic.key_id) or licence_keys.department_sm2(
        lic.department_code
    )
    data = canonical_status(lic)
    lic.status_digest = licence_keys.sm3_hex(data)
    lic.status_signature = licence_keys.sm2_sign(key, data)


def _sign(lic: Licence) -> None:
    key = licence_keys.department_sm2(lic.department_code)
    lic.key_id = key.key_id
    data = canonical_record(lic)
    lic.digest = licence_keys.sm3_hex(data)
    lic.signature = licence_keys.sm2_sign(key, data)
    _sign_status(lic)


def signature_ok(lic: Licence) -> bool:
    """Both SM2 signatures hold over what the row says now, with the key that signed them."""
    key = licence_keys.sm2_key_by_id(lic.department_code, lic.key_id)
    if key is None:
        return False
    record, status = canonical_record(lic), canonical_status(lic)
    return (
        licence_keys.sm3_hex(record) == lic.digest
        and licence_keys.sm3_hex(status) == lic.status_digest
        and licence_keys.sm2_verify(key.public, lic.signature, record)
        and licence_keys.sm2_verify(key.public, lic.status_signature, status)
    )


# -- issuing ------------------------------------------------------------------------------------------


def _form_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _add_years(d: date, years: int) -> date:
    try:
        end = d.replace(year=d.year + years)
    except ValueError:  # 29 February
        end = d.replace(year=d.year + years, day=28)
    return date.fromordinal(end.toordinal() - 1)


def validity_of(case: Case, spec: dict[str, Any], issued: date, data: dict[str, Any]) -> date | None:
    """The last valid day from item.yaml's rule, or None (open-ended)."""
    rule = spec.get("validity") or {}
    application = (case.data or {}).get("application") or {}
    if rule.get("open_ended"):
        return None
    if rule.get("from_form"):
        return _form_date(data.get(rule["from_form"]))
    if rule.get("inherit_from_material"):
        from app.models import LicenceUse

        use = Session.scalar(
            select(LicenceUse).where(
                LicenceUse.case_id == case.id, LicenceUse.material_code == rule["inherit_from_material"]
            )
        )
        return use.licence.valid_until if use is not None else None
    years = rule.get("years")
    by = rule.get("years_by") or {}
    if by.get("field"):
        years = (by.get("values") or {}).get(application.get(by["field"]), years)
    return _add_years(issued, int(years)) if isinstance(years, int) and years > 0 else None


def _labels(case: Case) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Field titles and the words of enumerated values (people see words, not codes)."""
    from app.services.catalogue import forms_for

    form = forms_for(case.process_version).get("application.json") or {}
    props = (form.get("schema") or {}).get("properties") or {}
    ui = (form.get("ui") or {}).get("fields") or {}
    words = {
        k: {code: str((text or {}).get("zh") or code) for code, text in (f.get("options") or {}).items()}
        for k, f in ui.items()
    }
    return {k: str(v.get("title") or k) for k, v in props.items()}, words


def _words(value: Any, words: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [words.get(v, v) if isinstance(v, str) else v for v in value]
    return words.get(value, value) if isinstance(value, str) else value


def _content(case: Case, spec: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    application = (case.data or {}).get("application") or {}
    labels, words = _labels(case)
    fields = [
        {"name": f, "label": labels.get(f, f), "value": _words(application[f], words.get(f, {}))}
        for f in spec.get("content_fields") or []
        if application.get(f) not in (None, "", [])
    ]
    decision = next(
        (
            t.data
            for t in reversed(case.tasks)
            if t.data and t.data.get("decision") == "approve" or (t.data or {}).get("outcome") == "issue"
        ),
        None,
    )
    document = Session.scalar(
        select(CaseDocument.number)
        .where(CaseDocument.case_id == case.id, CaseDocument.kind == "approval_decision")
        .order_by(CaseDocument.id.desc())
        .limit(1)
    )
    out: dict[str, Any] = {"fields": fields, "item": case.item.name_zh, "case_no": case.case_no}
    if decision:
        out["decision_opinion"] = decision.get("decision_reason") or decision.get("handle_note")
    if document:
        out["decision_document"] = document
    if data.get("result_number"):
        out["paper_number"] = data["result_number"]
    review = (spec.get("validity") or {}).get("review_after_years")
    if review:
        out["review_after_years"] = review
    return out


def issue_licence(actor: Actor | None, case: Case, data: dict[str, Any], now: datetime) -> Licence | None:
    """Issue (and sign) the licence of an approved case, once; no commit (the step's transaction)."""
    spec = spec_of(case)
    if spec is None:
        return None
    Session.flush()
    if Session.scalar(select(Licence.id).where(Licence.case_id == case.id)) is not None:
        return None
    issued = _form_date(data.get("issue_date")) or local_date(now)
    region = case.item.code[:6]
    name = spec.get("name") or {}
    lic = Licence(
        licence_no=make_licence_no(str(spec.get("type_code") or "DZZZ"), region, issued.year, case.id),
        verify_code="".join(secrets.choice(ALPHABET) for _ in range(8)),
        licence_type=spec["type"],
        type_name=name.get("zh") or spec["type"],
        case_id=case.id,
        item_id=case.item_id,
        department_code=case.department_code,
        issuer_name=org.name(case.department_code),
        holder_kind=case.applicant_kind,
        holder_name=case.applicant_name,
        holder_id_no=case.applicant_id_no,
        holder_user_id=_holder_of(case),
        issued_on=issued,
        valid_from=issued,
        valid_until=validity_of(case, spec, issued, data),
        content=_content(case, spec, data),
        status="valid",
        status_changed_at=now,
        created_at=now,
    )
    _sign(lic)
    Session.add(lic)
    Session.flush()
    jobqueue.enqueue(jobqueue.LICENCE_PDF, licence_id=lic.id)  # the PDF is made after the step commits
    publication.attach_licence(case.id, lic)
    audit.record(actor, "licence.issue", case.id, target=lic.licence_no, before=None, after=_summary(lic))
    Session.add(
        CaseNotice(
            case_id=case.id,
            event="licence_issued",
            title="电子证照已签发",
            body=f"您的“{case.item.name_zh}”电子证照（{lic.type_name}，编号 {lic.licence_no}）已签发，可在“我的证照”中下载。",
            params={"licence_no": lic.licence_no},
            created_at=now,
        )
    )
    return lic


def _summary(lic: Licence) -> dict[str, Any]:
    return {
        "licence_no": lic.licence_no,
        "type": lic.licence_type,
        "status": lic.status,
        "valid_until": _iso(lic.valid_until),
        "digest": lic.digest,
    }


def on_decided(event: Decided, ctx: EventContext) -> None:
    spec = spec_of(ctx.case)
    if event.approved and spec and spec.get("issue_on") == "decided":
        issue_licence(ctx.actor, ctx.case, ctx.data, ctx.now)


def on_delivered(_event: Delivered, ctx: EventContext) -> None:
    spec = spec_of(ctx.case)
    if spec and spec.get("issue_on", "delivered") == "delivered" and ctx.case.status == CaseStatus.DECIDED:
        issue_licence(ctx.actor, ctx.case, ctx.data, ctx.now)


def subscribe(bus: EventBus) -> None:
    bus.subscribe(Decided, on_decided)
    bus.subscribe(Delivered, on_delivered)


# -- reading ----------------------------------------------------------------------------------------


def effective_status(lic: Licence, today: date) -> str:
    if lic.status == "valid" and lic.valid_until is not None and lic.valid_until < today:
        return "expired"
    return lic.status


def _holder_of(case: Case) -> int | None:
    """The applicant's account; a joint case's component holds none of its own: the master's applicant."""
    if case.applicant_user_id is not None or case.parent_case_id is None:
        return case.applicant_user_id
    return Session.scalar(select(Case.applicant_user_id).where(Case.id == case.parent_case_id))


def sees_everything(actor: Actor | None, lic: Licence) -> bool:
    """The holder and the issuing department see the ID number unmasked; everyone else masked."""
    if actor is None:
        return False
    if actor.is_applicant and lic.holder_user_id == actor.id:
        return True
    return actor.holds_in(lic.department_code)


def _may_read(actor: Actor, lic: Licence) -> bool:
    return sees_everything(actor, lic) or actor.is_oversight


def licence_view(lic: Licence, actor: Actor | None, today: date) -> dict[str, Any]:
    full = sees_everything(actor, lic)
    name, id_no = (
        (lic.holder_name, lic.holder_id_no)
        if full
        else mask_party(lic.holder_kind, lic.holder_name, lic.holder_id_no)
    )
    return {
        "licence_no": lic.licence_no,
        "licence_type": lic.licence_type,
        "type_name": lic.type_name,
        "status": effective_status(lic, today),
        "status_reason": lic.status_reason if lic.status in ("revoked", "annulled") else None,
        "holder_kind": lic.holder_kind,
        "holder_name": name,
        "holder_id_no": id_no,
        "issuer": lic.issuer_name,
        "department_code": lic.department_code,
        "issued_on": lic.issued_on,
        "valid_from": lic.valid_from,
        "valid_until": lic.valid_until,
        "content": lic.content if full or actor is not None and actor.is_oversight else None,
        "case_no": lic.case.case_no if full else None,
        "verify_code": lic.verify_code if full else None,
        "digest": lic.digest,
    }


def normalise_no(text: Any) -> str:
    return "".join(str(text or "").split()).upper()


def load_licence(licence_no: str) -> Licence | None:
    no = normalise_no(licence_no)
    if not is_valid_licence_no(no):
        return None
    return Session.scalar(select(Licence).where(Licence.licence_no == no))


def get_licence(actor: Actor, licence_no: str) -> Licence:
    lic = load_licence(licence_no)
    if lic is None or not _may_read(actor, lic):
        raise NotFound(t("证照 %(licence_no)s 不存在", licence_no=licence_no), code="licence_not_found")
    return lic


def list_licences(actor: Actor, *, status: str | None = None, page: int = 1, per_page: int = 20):
    """The holder's own licences; staff their department's; oversight all. Newest first."""
    stmt = select(Licence)
    if actor.is_oversight:
        pass
    elif actor.is_staff:
        stmt = stmt.where(Licence.department_code.in_(actor.departments()))
    elif actor.is_applicant:
        stmt = stmt.where(Licence.holder_user_id == actor.id)
    else:
        raise Forbidden(t("无权查看证照"), code="licences_forbidden")
    if status is not None:
        if status not in STATUSES:
            raise ValidationFailed(t("status 取值无效"), [{"field": "status", "message": "|".join(STATUSES)}])
        stmt = stmt.where(Licence.status == status)
    total = Session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(
        Session.scalars(stmt.order_by(Licence.id.desc()).limit(per_page).offset((page - 1) * per_page))
    )
    return rows, total


def licence_of_case(actor: Actor, case_no: str) -> Licence | None:
    from app.services.cases import get_case

    case = get_case(actor, case_no)
    return Session.scalar(select(Licence).where(Licence.case_id == case.id))


# -- public verification ----------------------------------------------------------------------------


def verify_licence(licence_no: Any, code: Any, today: date | None = None) -> dict[str, Any]:
    """valid | revoked | annulled | expired | tampered; a wrong code answers like a missing licence."""
    on = today or local_date(utcnow())
    no = normalise_no(licence_no)
    given = "".join(str(code or "").split()).upper()
    if not given:
        raise ValidationFailed(
            t("请输入核验码"),
            [{"field": "code", "message": "required"}],
            code="code_required",
        )
    if not is_valid_licence_no(no):
        raise NotFound(
            t("证照编号格式或校验位不正确，请核对"),
            code="licence_not_found",
        )
    lic = Session.scalar(select(Licence).where(Licence.licence_no == no))
    if lic is None or not secrets.compare_digest(lic.verify_code, given):
        raise NotFound(t("未找到该证照，或核验码不正确"), code="licence_not_found")
    view = licence_view(lic, None, on)
    if not signature_ok(lic):
        return {
            "result": "tampered",
            "signature_valid": False,
            "licence_no": lic.licence_no,
            "message": t("证照数据与签发时的签名不符，可能被篡改，请勿采信"),
        }
    return {"result": view["status"], "signature_valid": True, **view}
