"""在线申请: guide → application form → one upload slot per material → check and submit."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.models import ApplicationDraft
from app.services import accounts, licence_reuse
from app.services import drafts as draft_service
from app.services import guide as guide_service
from app.services.applications import file_application
from app.services.catalogue import get_item
from app.services.errors import DomainError, ValidationFailed
from app.web import intake_form, joint_form
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


def _page(item, form, raw, errors=None, message=None, status=200, draft=None, held=None):
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
        draft=draft,
        draft_files={f.code: f for f in draft.files} if draft is not None else {},
    ), status


def _draft_of(actor, item, draft_id) -> ApplicationDraft | None:
    """The actor's open draft of this item named by the request, if any (anyone else's: 404)."""
    if not draft_id:
        return None
    try:
        number = int(draft_id)
    except (TypeError, ValueError):
        abort(404)
    draft = draft_service.get_draft(actor, number)
    if draft.item_id != item.id:
        abort(404)
    if draft.case_id is not None:
        case_no = draft_service.case_no_of(draft)
        flash(gettext("该草稿已提交为办件 %(no)s。", no=case_no), "info")
        abort(redirect(url_for("portal.my_case", case_no=case_no), code=303))
    return draft


def _form(item):
    """一件事: the joint application form — the applicant once, each department's fields, the materials once."""
    return joint_form.merged_form(item) if joint_form.is_joint(item) else intake_form.application_form(item)


@bp.get("/apply/<item_code>")
@applicant_required
def apply(actor, item_code: str):
    item = get_item(item_code)
    form = _form(item)
    held = licence_reuse.holder_licences(actor, item.definition or {})
    draft = _draft_of(actor, item, request.args.get("draft"))
    data = {**_prefill(actor), **(draft.data or {})} if draft is not None else _prefill(actor)
    return _page(item, form, intake_form.initial_raw(form, data), draft=draft, held=held)


def _save_draft(actor, item, form, parsed, raw, draft, held):
    """保存草稿: what is filled in and each good file; nothing is checked for completeness."""
    if draft is None:
        draft = draft_service.create_draft(actor, item.code, parsed.data)
    else:
        draft_service.save_draft(actor, draft.id, parsed.data)
    problems = draft_service.add_draft_files(actor, draft.id, intake_form.uploads_from(request.files))
    draft = draft_service.get_draft(actor, draft.id)
    if problems:
        message = gettext("草稿已保存，但以下文件未能保存，请重新选择。")
        return _page(item, form, raw, intake_form.error_map(parsed, problems), message, 422, draft, held)
    flash(gettext("草稿已保存，可随时在“我的办件”中继续填写。"), "success")
    return redirect(url_for("portal.apply", item_code=item.code, draft=draft.id), code=303)


@bp.post("/apply/<item_code>")
@applicant_required
def apply_submit(actor, item_code: str):
    item = get_item(item_code)
    form = _form(item)
    raw = raw_from_posted(request.form)
    parsed = intake_form.parse(form, request.form)
    held = licence_reuse.holder_licences(actor, item.definition or {})
    chosen = {k[len("licence-") :]: v for k, v in request.form.items() if k.startswith("licence-") and v}
    draft = _draft_of(actor, item, request.form.get("draft_id"))
    joint = joint_form.is_joint(item)
    if request.form.get("_action") == "save_draft":
        if joint:
            return _page(
                item, form, raw, {}, gettext("“一件事”联合申请暂不支持保存草稿，请一次填写提交。"), 422
            )
        return _save_draft(actor, item, form, parsed, raw, draft, held)
    try:
        if parsed.errors:
            raise ValidationFailed(gettext("表单有误，请按提示修改。"), parsed.errors)
        if not request.form.get("confirm"):
            raise ValidationFailed(
                gettext("请确认申请材料真实有效。"), [{"field": "confirm", "message": gettext("请勾选承诺")}]
            )
        uploads = intake_form.uploads_from(request.files)
        if joint:  # the master and each department's part, filed together (the window accepts once)
            case = joint_form.file_joint(actor, item, parsed.data, uploads)
        elif draft is not None:
            case = draft_service.submit_draft(
                actor, draft.id, data=parsed.data, uploads=uploads, licences=chosen
            )
        else:
            case = file_application(actor, item.code, parsed.data, uploads, licences=chosen)
    except ValidationFailed as exc:
        details = exc.details if isinstance(exc.details, list) else []
        if draft is not None:
            draft = draft_service.get_draft(actor, draft.id)
        return _page(item, form, raw, intake_form.error_map(parsed, details), exc.message, 422, draft, held)
    except DomainError as exc:
        return _page(item, form, raw, {}, exc.message, exc.status, draft, held)
    flash(
        gettext("申请已提交。办件编号 %(no)s，查询码 %(code)s。", no=case.case_no, code=case.query_code),
        "success",
    )
    return redirect(url_for("portal.my_case", case_no=case.case_no), code=303)


@bp.get("/my/drafts")
@applicant_required
def my_drafts(actor):
    return render_template(
        "portal/drafts.html",
        drafts=draft_service.list_drafts(actor),
        missing=draft_service.missing_materials,
    )


@bp.post("/my/drafts/<id:draft_id>/delete")
@applicant_required
def my_draft_delete(actor, draft_id: int):
    draft_service.delete_draft(actor, draft_id)
    flash(gettext("草稿已删除。"), "success")
    return redirect(url_for("portal.my_drafts"), code=303)
