"""待办 / 已办: the caseworker's inbox, with one-click claim and release."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.models.vocab import CASEWORKER_ROLES, Role
from app.routing import MAX_PAGE, query_int
from app.services import inbox as inbox_service
from app.services import tasks as task_service
from app.services.errors import DomainError, ValidationFailed
from app.web.auth import login_required
from app.web.i18n import tr
from app.web.tasks import safe_back
from app.web.words import step_label

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

STAFF = (*CASEWORKER_ROLES, Role.WINDOW)  # the window works the window steps of joint cases


@bp.get("/")
@login_required(*STAFF)
def index(actor):
    tab = "done" if request.args.get("tab") == "done" else "todo"
    page = query_int("page", 1, minimum=1, maximum=MAX_PAGE)
    problems = []
    try:
        filters = inbox_service.parse_filters(request.args)
    except ValidationFailed as exc:
        problems = exc.details
        filters = inbox_service.InboxFilters()
    query = inbox_service.done if tab == "done" else inbox_service.inbox
    result = query(actor, filters, page=page)
    status = 422 if problems else 200
    return render_template("inbox/index.html", tab=tab, result=result, problems=problems, actor=actor), status


@bp.post("/tasks/<id:task_id>/<any(claim, release):action>")
@login_required(*STAFF)
def claim_or_release(actor, task_id: int, action: str):
    back = safe_back(request.form.get("next")) or url_for("inbox.index")
    try:
        if action == "claim":
            row = task_service.claim_task(actor, task_id)
            flash(
                gettext(
                    "已签收：%(case)s %(step)s",
                    case=row.case.case_no,
                    step=step_label(row.case, row.bpmn_id, row.name),
                ),
                "success",
            )
        else:
            row = task_service.release_task(actor, task_id)
            flash(
                gettext(
                    "已放回组内：%(case)s %(step)s",
                    case=row.case.case_no,
                    step=step_label(row.case, row.bpmn_id, row.name),
                ),
                "success",
            )
    except DomainError as exc:
        flash(tr(exc.message), "error")
        return redirect(back, code=303)
    return redirect(back, code=303)
