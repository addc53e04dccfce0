"""窗口收件: a comprehensive window registers walk-in applications for any department and prints the receipt."""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.security import DOWNLOAD_CSP
from app.services import cases as case_service
from app.services import documents as document_service
from app.services import guide as guide_service
from app.services import intake
from app.services import materials as material_service
from app.services.applications import file_application
from app.services.catalogue import get_item
from app.services.errors import DomainError, ValidationFailed
from app.web import intake_form, joint_form
from app.web.auth import login_required
from app.web.formrender import raw_from_posted

bp = Blueprint("window", __name__, url_prefix="/window")


@bp.get("/")
@login_required(intake.WINDOW_ROLE)
def index(actor):
    items = guide_service.search_catalogue(request.args.get("q", ""))
    return render_template(
        "window/index.html",
        items=items,
        guides={i.code: guide_service.guide_of(i) for i in items},
        recent=intake.window_intakes(actor, limit=20),
        q=request.args.get("q", ""),
    )


def _form(item):
    return joint_form.merged_form(item) if joint_form.is_joint(item) else intake_form.application_form(item)


def _file(actor, item, data, uploads, id_check):
    if joint_form.is_joint(item):  # 一件事: the master and each department's part, filed together
        return joint_form.file_joint(actor, item, data, uploads, id_check=id_check)
    return file_application(actor, item.code, data, uploads, id_check=id_check)


def _page(item, form, raw, errors=None, message=None, status=200, id_no_read=""):
    errors = errors or {}
    return render_template(
        "window/new.html",
        item=item,
        g=guide_service.guide_of(item),
        fields=intake_form.fields_for(form, raw, errors),
        errors=errors,
        message=message,
        id_no_read=id_no_read,
    ), status


@bp.get("/new/<item_code>")
@login_required(intake.WINDOW_ROLE)
def new(actor, item_code: str):
    item = get_item(item_code)
    form = _form(item)
    return _page(item, form, intake_form.initial_raw(form, {}))


@bp.post("/new/<item_code>")
@login_required(intake.WINDOW_ROLE)
def create(actor, item_code: str):
    item = get_item(item_code)
    form = _form(item)
    raw = raw_from_posted(request.form)
    parsed = intake_form.parse(form, request.form)
    id_check = {"checked": bool(request.form.get("id_checked")), "id_no_read": request.form.get("id_no_read")}
    try:
        if parsed.errors:
            raise ValidationFailed(gettext("表单有误，请按提示修改。"), parsed.errors)
        case = _file(actor, item, parsed.data, intake_form.uploads_from(request.files), id_check)
    except ValidationFailed as exc:
        details = exc.details if isinstance(exc.details, list) else []
        errors = intake_form.error_map(parsed, details)
        return _page(item, form, raw, errors, exc.message, 422, request.form.get("id_no_read") or "")
    except DomainError as exc:
        return _page(item, form, raw, {}, exc.message, exc.status, request.form.get("id_no_read") or "")
    flash(gettext("已收件：%(no)s", no=case.case_no), "success")
    return redirect(url_for("window.receipt", case_no=case.case_no), code=303)


@bp.get("/receipts/<case_no>")
@login_required(intake.WINDOW_ROLE)
def receipt(actor, case_no: str):
    case = case_service.get_case(actor, case_no)
    specs = material_service.material_specs(case)
    received = [m for m in material_service.list_materials(actor, case_no) if m.sha256]
    return render_template(
        "window/receipt.html",
        case=case,
        g=guide_service.guide_of(case.item),
        received=received,
        specs=specs,
        actor=actor,
        window_department=intake.intake_department(case),
        receipt_pdf=document_service.receipt_of(actor, case_no) is not None,
    )


@bp.get("/receipts/<case_no>.pdf")
@login_required(intake.WINDOW_ROLE)
def receipt_pdf(actor, case_no: str):
    """The receipt as the PDF document of the case file, to print and hand over."""
    doc = document_service.receipt_of(actor, case_no)
    if doc is None:
        abort(404)
    doc, body = document_service.document_pdf(actor, case_no, doc.id)
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    name = quote(f"{doc.title}-{case_no}.pdf", safe="")
    resp.headers["Content-Disposition"] = f"inline; filename=receipt-{case_no}.pdf; filename*=UTF-8''{name}"
    return resp
