"""The task page: the step's form rendered from its JSON Schema, the case beside it, the step's clock."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.models.vocab import CASEWORKER_ROLES, OPEN_TASK_STATES, Role
from app.services import clocks
from app.services import materials as material_service
from app.services import tasks as task_service
from app.services.catalogue import step_names
from app.services.errors import DomainError, ValidationFailed
from app.web import casefile
from app.web.auth import login_required
from app.web.formrender import build_fields, field_label, parse_form, raw_from_data, raw_from_posted
from app.web.i18n import pick, tr
from app.web.words import step_label
from engine.events import Meaning, task_meanings

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

STAFF = (*CASEWORKER_ROLES, Role.WINDOW)  # the window works the window steps of joint cases


def safe_back(target: str | None) -> str | None:
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return None
    return target


def _render(actor, row, form, raw, errors=None, message=None, status=200, row_counts=None):
    error_map = {e["html"]: e["message"] for e in errors or []}
    fields = build_fields(form, raw, error_map, pick, row_counts)
    case = row.case
    materials = material_service.list_materials(actor, case.case_no)
    editable = task_service.may_act(actor, row)
    summary, full = casefile.application(case)
    names = step_names(case.process_version)
    meanings = task_meanings(row.properties or {})
    return (
        render_template(
            "tasks/show.html",
            task=row,
            case=case,
            form=form,
            fields=fields,
            errors=errors or [],
            message=message,
            materials=materials,
            specs=material_service.material_specs(case),
            clock=clocks.task_clock(row),
            clocks=clocks.case_clocks(case),
            editable=editable,
            actor=actor,
            step_label=pick(names.get(row.bpmn_id), row.name),
            summary=summary,
            full=full,
            opinions=[o for o in casefile.opinions(case) if o.task_id != row.id],
            send_backs=casefile.send_backs(case),
            extension=casefile.extension_request(case)
            if {Meaning.EXTENSION_APPROVED, Meaning.EXTENSION_REFUSED} & meanings
            and row.state in OPEN_TASK_STATES
            else None,
            done_entries=casefile.describe(form, row.data) if row.data else [],
        ),
        status,
    )


@bp.get("/<id:task_id>")
@login_required(*STAFF, "supervisor", "admin")
def show(actor, task_id: int):
    row, form = task_service.get_task(actor, task_id)
    return _render(actor, row, form, raw_from_data(form, row.data))


@bp.post("/<id:task_id>")
@login_required(*STAFF)
def complete(actor, task_id: int):
    row, form = task_service.get_task(actor, task_id)
    raw = raw_from_posted(request.form)
    add = request.form.get("_add")
    if add:  # "add a row" without JavaScript: re-render with one more row, nothing is saved
        counts = {add: 1}
        return _render(actor, row, form, {k: v for k, v in raw.items() if k != "_add"}, row_counts=counts)
    parsed = parse_form(form, request.form)
    try:
        if parsed.errors:
            raise ValidationFailed(gettext("表单有误，请按提示修改。"), parsed.errors)
        done = task_service.complete_task(actor, task_id, parsed.data)
    except ValidationFailed as exc:
        details = exc.details if isinstance(exc.details, list) else []
        errors = [
            {
                "html": parsed.html_name(str(d.get("field"))),
                "label": field_label(form, str(d.get("field")), pick, parsed.data),
                "message": tr(d.get("message")),
            }
            for d in details
        ]
        return _render(actor, row, form, raw, errors=errors, message=tr(exc.message), status=422)
    except DomainError as exc:
        row, form = task_service.get_task(actor, task_id)
        return _render(actor, row, form, raw, message=tr(exc.message), status=exc.status)
    flash(
        gettext(
            "已办理：%(case)s %(step)s",
            case=done.case.case_no,
            step=step_label(done.case, done.bpmn_id, done.name),
        ),
        "success",
    )
    return redirect(url_for("cases.show", case_no=done.case.case_no), code=303)
