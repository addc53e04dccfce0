"""我的办件: the applicant's own cases in plain language, with their documents and materials."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext

from app.routing import MAX_PAGE, query_int
from app.security import DOWNLOAD_CSP
from app.services import documents as document_service
from app.services import joint, public_cases
from app.services import materials as material_service
from app.services import messages as message_service
from app.services.errors import PayloadTooLarge, ValidationFailed
from app.web.portal import applicant_required, bp


@bp.get("/my/cases")
@applicant_required
def my_cases(actor):
    page = query_int("page", 1, minimum=1, maximum=MAX_PAGE)
    result = public_cases.list_cases(actor, page=page, per_page=20)
    return render_template("portal/my_cases.html", result=result)


def _case_page(actor, case_no: str, **extra):
    """The applicant's case page; opening it reads the case's messages (they are listed on it)."""
    c = joint.applicant_case(actor, case_no)  # a joint master's case page lists its components
    notices = message_service.case_messages(actor, case_no)
    page = render_template("portal/my_case.html", c=c, notices=notices, **extra)
    if any(n.read_at is None for n, _sent in notices):
        message_service.mark_read(actor, case_no=case_no)
    return page


@bp.get("/my/cases/<case_no>")
@applicant_required
def my_case(actor, case_no: str):
    return _case_page(actor, case_no)


@bp.get("/my/cases/<case_no>/documents/<id:document_id>.pdf")
@applicant_required
def my_document(actor, case_no: str, document_id: int):
    doc, body = document_service.document_pdf(actor, case_no, document_id)
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    name = quote(f"{doc.title}-{case_no}.pdf", safe="")
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=document-{doc.id}.pdf; filename*=UTF-8''{name}"
    )
    return resp


@bp.get("/my/cases/<case_no>/components/<component_no>/documents/<id:document_id>.pdf")
@applicant_required
def my_component_document(actor, case_no: str, component_no: str, document_id: int):
    """一件事: a document a department issued on its part, read through the applicant's master case."""
    doc, body = document_service.component_document_pdf(actor, case_no, component_no, document_id)
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    name = quote(f"{doc.title}-{component_no}.pdf", safe="")
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=document-{doc.id}.pdf; filename*=UTF-8''{name}"
    )
    return resp


@bp.get("/my/cases/<case_no>/materials/<id:material_id>")
@applicant_required
def my_material(actor, case_no: str, material_id: int):
    row, path = material_service.open_material(actor, case_no, material_id)
    resp = send_file(
        path, mimetype=row.content_type, as_attachment=True, download_name=row.filename or row.code
    )
    resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP  # nothing in an uploaded file may run
    return resp


@bp.post("/my/cases/<case_no>/materials")
@applicant_required
def my_upload(actor, case_no: str):
    """The applicant adds a material to their own case (e.g. the files a correction notice asks for)."""
    upload = request.files.get("file")
    code = request.form.get("code") or ""
    try:
        if upload is None or not upload.filename:
            message = gettext("请选择要上传的文件。")
            raise ValidationFailed(message, [{"field": "file", "message": message}], code="no_file")
        material_service.upload_material(actor, case_no, code, upload.filename, upload.stream)
    except (ValidationFailed, PayloadTooLarge) as exc:
        flash(exc.message, "error")
        return _case_page(actor, case_no), exc.status
    flash(gettext("材料已上传。"), "success")
    return redirect(url_for("portal.my_case", case_no=case_no) + "#materials", code=303)


@bp.get("/my/messages")
@applicant_required
def my_messages(actor):
    page = message_service.list_messages(actor, limit=100)
    sent = message_service.deliveries_of([n.id for n, _no in page.rows])
    return render_template("portal/messages.html", page=page, sent=sent)


@bp.post("/my/messages/read")
@applicant_required
def my_messages_read(actor):
    changed = message_service.mark_read(actor)
    flash(gettext("已将 %(n)s 条消息标为已读。", n=changed), "success")
    return redirect(url_for("portal.my_messages"), code=303)
