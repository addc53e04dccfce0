"""在线申请: guide → application form → one upload slot per material → check and submit."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.services import accounts, licence_reuse
from app.services import guide as guide_service
from app.services.applications import file_application
from app.services.catalogue import get_item
from app.services.errors import DomainError, ValidationFailed
from app.web import intake_form
from app.web.formrender import raw_from_posted
from app.web.portal import applicant_required, bp


def _prefill(actor) -> dict:
    profile = accounts.profile_of(actor)
    data = {"applicant_name": actor.display_name}
    if actor.id_number:
        data["applicant_id_number"] = actor.id_number
    if profile is not None:
        data.update(applicant_kind=profile.kind, contact_phone=profile.mobile)
        if profile.legal_representative:
            data["legal_representative"] = profile.legal_representative
        if profile.contact_name:
            data["contact_name"] = profile.contact_name
    return data


def _page(item, form, raw, errors=None, message=None, status=200, held=None):
    errors = errors or {}
    return render_template(
        "portal/apply.html",
        held=held or {},
        chosen={k[len("licence-") :]: v for k, v in request.form.items() if k.startswith("licence-")},
        item=item,
        g=guide_service.guide_of(item),
        fields=intake_form.fields_for(form, raw, errors),
        errors=errors,
        message=message,
        form=form,
    ), status


@bp.get("/apply/<item_code>")
@applicant_required
def apply(actor, item_code: str):
    item = get_item(item_code)
    form = intake_form.application_form(item)
    held = licence_reuse.holder_licences(actor, item.definition or {})
    return _page(item, form, intake_form.initial_raw(form, _prefill(actor)), held=held)


@bp.post("/apply/<item_code>")
@applicant_required
def apply_submit(actor, item_code: str):
    item = get_item(item_code)
    form = intake_form.application_form(item)
    raw = raw_from_posted(request.form)
    parsed = intake_form.parse(form, request.form)
    held = licence_reuse.holder_licences(actor, item.definition or {})
    chosen = {k[len("licence-") :]: v for k, v in request.form.items() if k.startswith("licence-") and v}
    try:
        if parsed.errors:
            raise ValidationFailed(gettext("表单有误，请按提示修改。"), parsed.errors)
        if not request.form.get("confirm"):
            raise ValidationFailed(
                gettext("请确认申请材料真实有效。"), [{"field": "confirm", "message": gettext("请勾选承诺")}]
            )
        case = file_application(
            actor, item.code, parsed.data, intake_form.uploads_from(request.files), licences=chosen
        )
    except ValidationFailed as exc:
        details = exc.details if isinstance(exc.details, list) else []
        return _page(item, form, raw, intake_form.error_map(parsed, details), exc.message, 422, held)
    except DomainError as exc:
        return _page(item, form, raw, {}, exc.message, exc.status, held)
    flash(
        gettext("申请已提交。办件编号 %(no)s，查询码 %(code)s。", no=case.case_no, code=case.query_code),
        "success",
    )
    return redirect(url_for("portal.my_case", case_no=case.case_no), code=303)
