"""办件查询 and 办件详情: the case file with clocks, materials, documents, history and the diagram."""

from __future__ import annotations

import re

from flask import Blueprint, Response, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext

from app.models.vocab import CASEWORKER_ROLES, OVERSIGHT_ROLES, Role, TaskState
from app.routing import MAX_PAGE, query_int
from app.security import DOWNLOAD_CSP
from app.services import auditlog, clocks, joint
from app.services import cases as case_service
from app.services import documents as document_service
from app.services import inbox as inbox_service
from app.services import materials as material_service
from app.services.catalogue import definition_for
from app.services.errors import PayloadTooLarge, ValidationFailed
from app.services.projection import OPEN_STATES
from app.web import casefile, words
from app.web.auth import login_required
from app.web.i18n import tr

bp = Blueprint("cases", __name__, url_prefix="/cases")

VIEWERS = (*CASEWORKER_ROLES, *OVERSIGHT_ROLES, Role.WINDOW)  # applicants use the portal


@bp.get("/")
@login_required(*VIEWERS)
def index(actor):
    q = request.args.get("q", "")
    status = request.args.get("status") or None
    page = query_int("page", 1, minimum=1, maximum=MAX_PAGE)
    result = inbox_service.search_cases(actor, q=q, status=status, page=page)
    return render_template("cases/index.html", result=result, q=q, status=status)


@bp.get("/<case_no>")
@login_required(*VIEWERS)
def show(actor, case_no: str):
    return _case_page(actor, case_no)


def _case_page(actor, case_no: str, status: int = 200):
    case = case_service.get_case(actor, case_no)
    definition = definition_for(case.process_version)
    summary, full = casefile.application(case)
    history = case_service.case_history(case)
    return render_template(
        "cases/show.html",
        case=case,
        summary=summary,
        full=full,
        opinions=casefile.opinions(case),
        send_backs=casefile.send_backs(case),
        materials=material_service.list_materials(actor, case_no),
        documents=document_service.list_documents(actor, case_no),
        history=history,
        targets=auditlog.describe_targets(history),
        people=case_service.people_of(case, extra=[e.actor_id for e in history]),
        clocks=clocks.case_clocks(case),
        open_tasks=[t for t in case.tasks if t.state in OPEN_STATES],
        all_tasks=case.tasks,
        specs=material_service.material_specs(case),
        diagram=_diagram_marks(case, definition),
        actor=actor,
        components=[(c, case_service.can_view(actor, c)) for c in joint.components_of(case)]
        if joint.is_master(case)
        else [],
        joint_master=joint.master_of(case),
    ), status


CALL_RE = re.compile(rb'<(?:bpmn:)?callActivity\b[^>]*?\bid="([^"]+)"[^>]*?\bcalledElement="([^"]+)"')


def _diagram_marks(case, definition) -> dict[str, list[str]]:
    """Element ids of the main diagram: done and current steps (a call activity stands for its inner steps)."""
    called = {}
    for body in definition.files.values():
        for ca_id, process in CALL_RE.findall(body):
            called[process.decode()] = ca_id.decode()
    tasks = definition.user_tasks

    def main_id(bpmn_id: str) -> str:
        task = tasks.get(bpmn_id)
        return called.get(task.process_id, bpmn_id) if task is not None else bpmn_id

    current = sorted({main_id(t.bpmn_id) for t in case.tasks if t.state in OPEN_STATES})
    done = sorted({main_id(t.bpmn_id) for t in case.tasks if t.state == TaskState.COMPLETED} - set(current))
    return {"done": done, "current": current}


@bp.get("/<case_no>/diagram.bpmn")
@login_required(*VIEWERS)
def diagram(actor, case_no: str):
    case = case_service.get_case(actor, case_no)
    definition = definition_for(case.process_version)
    files = definition.files
    main = next(
        (name for name, body in files.items() if f'id="{definition.process_id}"'.encode() in body),
        next(iter(files)),
    )
    return Response(words.labelled_diagram(case, files[main]), mimetype="application/xml")


@bp.get("/<case_no>/materials/<id:material_id>")
@login_required(*VIEWERS)
def material(actor, case_no: str, material_id: int):
    row, path = material_service.open_material(actor, case_no, material_id)
    # Always a download with the type checked at upload: an uploaded file is never a page of ours.
    resp = send_file(
        path,
        mimetype=row.content_type,
        as_attachment=True,
        download_name=row.filename or f"{row.code}.bin",
    )
    resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    return resp


@bp.post("/<case_no>/materials")
@login_required("clerk")
def upload(actor, case_no: str):
    upload = request.files.get("file")
    code = request.form.get("code") or ""
    try:
        if upload is None or not upload.filename:
            message = gettext("请选择要上传的文件。")
            raise ValidationFailed(message, [{"field": "file", "message": message}], code="no_file")
        material_service.upload_material(actor, case_no, code, upload.filename, upload.stream)
    except (ValidationFailed, PayloadTooLarge) as exc:
        # the case page again, with the reason and the error status; nothing was stored
        flash(tr(exc.message), "error")
        return _case_page(actor, case_no, status=exc.status)
    flash(gettext("材料已上传。"), "success")
    return redirect(url_for("cases.show", case_no=case_no) + "#materials", code=303)
