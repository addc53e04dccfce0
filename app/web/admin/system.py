"""组织机构, 工作日历, 事项目录, 审计日志: the administrator's pages beside the users."""

from __future__ import annotations

import json
from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.models.vocab import Role
from app.routing import MAX_PAGE, query_int
from app.services import auditlog, org
from app.services import calendar as calendar_service
from app.services import catalogue as catalogue_service
from app.services.errors import DomainError, ValidationFailed
from app.services.workdays import today
from app.web.admin import bp
from app.web.auth import login_required
from app.web.i18n import is_english, tr

MAX_IMPORT_BYTES = 1024 * 1024


def _messages(exc: DomainError) -> list[str]:
    details = exc.details if isinstance(exc.details, list) else []
    return [tr(exc.message)] + [tr(d.get("message")) for d in details if isinstance(d, dict)]


# -- departments ------------------------------------------------------------------------------------


@bp.get("/departments")
@login_required(Role.ADMIN)
def departments(actor):
    rows = org.departments()
    children: dict[str | None, list] = {}
    for d in rows:
        children.setdefault(d.parent, []).append(d)
    return render_template("admin/departments.html", rows=rows, children=children)


@bp.get("/departments/<code>/seal.png")
@login_required(Role.ADMIN)
def department_seal(actor, code: str):
    org.get_department(code)
    png = org.seal_of(code)
    if png is None:
        return Response(status=404)
    return Response(png, mimetype="image/png")


@bp.post("/departments/<code>/seal")
@login_required(Role.ADMIN)
def department_seal_upload(actor, code: str):
    upload = request.files.get("seal")
    try:
        org.set_seal(actor, code, upload.read(2 * 1024 * 1024 + 1) if upload else b"")
    except ValidationFailed as exc:
        for m in _messages(exc):
            flash(m, "error")
        return redirect(url_for("admin.departments"), code=303)
    flash(gettext("印章已更换"), "success")
    return redirect(url_for("admin.departments"), code=303)


# -- the working-day calendar --------------------------------------------------------------------


def _calendar_page(actor, year: int, status: int = 200, problems: list[str] | None = None):
    years = calendar_service.confirmed_years()
    known = {y["year"] for y in years}
    view = calendar_service.year_view(year)
    return render_template(
        "admin/calendar.html",
        years=years,
        year=year,
        view=view,
        listed=year in known,
        changes=calendar_service.recent_changes(actor),
        problems=problems or [],
    ), status


@bp.get("/calendar")
@login_required(Role.ADMIN)
def calendar(actor):
    year = request.args.get("year", type=int) or today().year
    if not 1990 <= year <= 2100:
        year = today().year
    return _calendar_page(actor, year)


@bp.post("/calendar/import")
@login_required(Role.ADMIN)
def calendar_import(actor):
    upload = request.files.get("file")
    body = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
    year = request.form.get("year", type=int) or today().year
    try:
        if not body or len(body) > MAX_IMPORT_BYTES:
            raise ValidationFailed(gettext("请选择不超过 1 MB 的 JSON 或 CSV 文件"), [])
        text = body.decode("utf-8-sig")
        if (upload.filename or "").lower().endswith(".csv"):
            payload = {"text": text, "year": request.form.get("year"), "source": request.form.get("source")}
            result = calendar_service.import_year(actor, payload, fmt="csv")
        else:
            result = calendar_service.import_year(actor, json.loads(text))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _calendar_page(actor, year, 422, [gettext("文件不是有效的 UTF-8 JSON 或 CSV")])
    except ValidationFailed as exc:
        return _calendar_page(actor, year, 422, _messages(exc))
    flash(
        gettext("已导入 %(year)s 年日历，改期办件 %(n)s 件", year=result["year"], n=result["cases_changed"]),
        "success",
    )
    return redirect(url_for("admin.calendar", year=result["year"]) + "#changes", code=303)


@bp.post("/calendar/day")
@login_required(Role.ADMIN)
def calendar_day(actor):
    raw = request.form.get("date", "")
    kind = request.form.get("kind", "")
    year = today().year
    try:
        day = date.fromisoformat(raw)
        year = day.year
    except ValueError:
        return _calendar_page(actor, year, 422, [gettext("日期格式应为 YYYY-MM-DD")])
    if kind not in ("workday", "holiday"):
        return _calendar_page(actor, year, 422, [gettext("请选择工作日或休息日")])
    note = (request.form.get("note") or "").strip()[:100] or None
    try:
        result = calendar_service.set_day(actor, day, kind == "workday", note)
    except ValidationFailed as exc:
        return _calendar_page(actor, year, 422, _messages(exc))
    flash(gettext("已修改 %(d)s，改期办件 %(n)s 件", d=raw, n=result["cases_changed"]), "success")
    return redirect(url_for("admin.calendar", year=year) + "#changes", code=303)


# -- the service catalogue -----------------------------------------------------------------------


@bp.get("/catalogue")
@login_required(Role.ADMIN)
def catalogue(actor):
    items = catalogue_service.list_items()
    versions = {item.code: catalogue_service.item_versions(item.code) for item in items}
    return render_template("admin/catalogue.html", items=items, versions=versions)


@bp.post("/catalogue/<code>/accepting")
@login_required(Role.ADMIN)
def catalogue_accepting(actor, code: str):
    accepting = request.form.get("accepting") == "1"
    item = catalogue_service.set_accepting(actor, code, accepting)
    name = item.name_en if is_english() else item.name_zh
    message = gettext("已开放受理：%(item)s") if accepting else gettext("已暂停受理新申请：%(item)s")
    flash(message % {"item": name}, "success")
    return redirect(url_for("admin.catalogue"), code=303)


# -- the audit log ---------------------------------------------------------------------------------


@bp.get("/audit")
@login_required(Role.ADMIN, Role.SUPERVISOR)
def audit(actor):
    problems: list[str] = []
    try:
        filters = auditlog.parse_filters(request.args)
    except ValidationFailed as exc:
        problems = _messages(exc)[1:]
        filters = auditlog.AuditFilters()
    page = query_int("page", 1, minimum=1, maximum=MAX_PAGE)
    result = auditlog.search(actor, filters, page=page)
    return render_template(
        "admin/audit.html",
        result=result,
        actions=auditlog.ACTIONS,
        targets=auditlog.describe_targets([e for e, _ in result.rows]),
        cases=auditlog.cases_of([e for e, _ in result.rows]),
        problems=problems,
    ), 422 if problems else 200


@bp.get("/audit/export.<any(xlsx, csv):fmt>")
@login_required(Role.ADMIN, Role.SUPERVISOR)
def audit_export(actor, fmt: str):
    filters = auditlog.parse_filters(request.args)
    name, mimetype, body = auditlog.export(actor, filters, fmt, tr, "en" if is_english() else "zh")
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
