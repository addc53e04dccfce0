"""The applicant acts on their case: 在线补正 (replace exactly the listed materials) and 撤回申请."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.services import cases as case_service
from app.services import public_cases
from app.services import supplements as supplement_service
from app.services.errors import DomainError, ValidationFailed
from app.web import intake_form
from app.web.portal import applicant_required, bp


def _supplement_page(actor, case_no: str, errors=None, message=None, notes=None, note="", status=200):
    case, req = supplement_service.open_request(actor, case_no)
    return render_template(
        "portal/supplement.html",
        c=public_cases.applicant_case(actor, case_no),
        req=req,
        errors=errors or {},
        message=message,
        notes=notes or {},
        note=note,
    ), status


@bp.get("/my/cases/<case_no>/supplement")
@applicant_required
def my_supplement(actor, case_no: str):
    return _supplement_page(actor, case_no)


@bp.post("/my/cases/<case_no>/supplement")
@applicant_required
def my_supplement_submit(actor, case_no: str):
    notes = {
        k[len("note-") :]: (v or "").strip()
        for k, v in request.form.items()
        if k.startswith("note-") and (v or "").strip()
    }
    note = (request.form.get("supplement_note") or "").strip()
    try:
        supplement_service.supplement_online(
            actor, case_no, intake_form.uploads_from(request.files), notes=notes, note=note or None
        )
    except ValidationFailed as exc:
        details = exc.details if isinstance(exc.details, list) else []
        errors: dict[str, str] = {}
        for d in details:
            errors.setdefault(str(d.get("field")), str(d.get("message")))
        return _supplement_page(actor, case_no, errors, exc.message, notes, note, 422)
    flash(gettext("补正材料已提交，办件回到受理审查。"), "success")
    return redirect(url_for("portal.my_case", case_no=case_no), code=303)


def _withdraw_page(actor, case_no: str, message=None, reason="", status=200):
    return render_template(
        "portal/withdraw.html",
        c=public_cases.applicant_case(actor, case_no),
        message=message,
        reason=reason,
    ), status


@bp.get("/my/cases/<case_no>/withdraw")
@applicant_required
def my_withdraw(actor, case_no: str):
    return _withdraw_page(actor, case_no)


@bp.post("/my/cases/<case_no>/withdraw")
@applicant_required
def my_withdraw_submit(actor, case_no: str):
    reason = (request.form.get("reason") or "").strip()
    try:
        if not request.form.get("confirm"):
            raise ValidationFailed(
                gettext("请勾选确认撤回。"), [{"field": "confirm", "message": gettext("请勾选确认撤回。")}]
            )
        case_service.withdraw_application(actor, case_no, reason)
    except DomainError as exc:
        return _withdraw_page(actor, case_no, exc.message, reason, exc.status)
    flash(gettext("申请已撤回，本机关终止办理。"), "success")
    return redirect(url_for("portal.my_case", case_no=case_no), code=303)
