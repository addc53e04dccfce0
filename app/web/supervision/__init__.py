"""电子监察 pages: the supervisor's cockpit, alerts, supervision orders (and the departments' replies),
cards, the step heat map on the BPMN diagram, Excel exports and the monthly PDF report (made in the
background: app.services.report_runs)."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.models import utcnow
from app.models.vocab import CASEWORKER_ROLES, OVERSIGHT_ROLES
from app.routing import MAX_PAGE, query_int
from app.services import alerts, cockpit, notify, report_runs, reports, results_figures, supervision
from app.services import heatmap as heatmap_service
from app.services.catalogue import list_items
from app.services.errors import DomainError, ValidationFailed
from app.services.workdays import today
from app.web.auth import login_required
from app.web.i18n import is_english, tr

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

OVERSIGHT = tuple(OVERSIGHT_ROLES)
STAFF = tuple(CASEWORKER_ROLES)


def case_link(case_no: str | None) -> str | None:
    if not case_no:
        return None
    from flask import current_app

    if "cases.show" in current_app.view_functions:
        return url_for("cases.show", case_no=case_no)
    return f"/api/v1/cases/{case_no}"


@bp.app_context_processor
def _helpers():
    return {"case_link": case_link, "item_names": _item_names}


def _item_names() -> dict[str, dict[str, str]]:
    return {i.code: {"zh": i.name_zh, "en": i.name_en} for i in list_items()}


@bp.get("/", endpoint="cockpit")
@login_required(*OVERSIGHT)
def cockpit_page(actor):
    day = today()
    problems = []
    try:
        period = cockpit.month_period(request.args.get("month"), day)
    except ValidationFailed as exc:
        problems, period = exc.details, cockpit.month_period(None, day)
    data = {
        "lights": cockpit.by_light(actor),
        "items": cockpit.by_item(actor),
        "departments": cockpit.by_department(actor),
        "unconfirmed": cockpit.unconfirmed_waiting(actor),
        "perf": cockpit.performance(actor, period),
        "overdue": cockpit.overdue(actor, limit=20),
        "weeks": cockpit.trends(actor, day, "week", 12),
        "months": cockpit.trends(actor, day, "month", 12),
        "catalogue": list_items(),
        "open_alerts": alerts.count_alerts(actor, state="open"),
        "results": reports.results_rows(actor, period, day),
        "satisfaction": results_figures.satisfaction_by(actor, "department"),
    }
    return render_template(
        "supervision/cockpit.html", period=period, problems=problems, **data
    ), 422 if problems else 200


@bp.get("/overdue")
@login_required(*OVERSIGHT)
def overdue(actor):
    page = query_int("page", 1, minimum=1, maximum=MAX_PAGE)
    dept = request.args.get("department") or None
    result = cockpit.overdue(
        actor, limit=50, offset=(page - 1) * 50, department=dept, item=request.args.get("item") or None
    )
    return render_template("supervision/overdue.html", result=result, page=page, department=dept)


@bp.get("/alerts")
@login_required(*OVERSIGHT, *STAFF)
def alert_list(actor):
    state = request.args.get("state") or "unresolved"
    level = request.args.get("level") or None
    try:
        rows = alerts.list_alerts(actor, state=state, level=level, limit=500)
    except ValidationFailed as exc:
        flash(tr(exc.message), "error")
        rows = alerts.list_alerts(actor, state="unresolved", limit=500)
    return render_template(
        "supervision/alerts.html",
        rows=[alerts.alert_dict(a) for a in rows],
        state=state,
        level=level,
        actor=actor,
    )


@bp.post("/alerts/<id:alert_id>/acknowledge")
@login_required(*OVERSIGHT, *STAFF)
def alert_ack(actor, alert_id: int):
    try:
        alerts.acknowledge_alert(actor, alert_id, request.form.get("note") or None)
        flash(gettext("预警已确认"), "success")
    except DomainError as exc:
        flash(tr(exc.message), "error")
    return redirect(url_for("supervision.alert_list"), code=303)


@bp.get("/orders")
@login_required(*OVERSIGHT, *STAFF)
def order_list(actor):
    rows = (
        supervision.list_orders(actor, request.args.get("state") or None)
        if actor.is_oversight or actor.is_staff
        else []
    )
    return render_template(
        "supervision/orders.html",
        rows=[supervision.order_dict(o) for o in rows],
        actor=actor,
        case_no=request.args.get("case_no", ""),
        form={},
        problems=[],
    )


@bp.post("/orders")
@login_required(*OVERSIGHT)
def order_create(actor):
    form = request.form
    raw_wd = form.get("reply_wd", "")
    reply_wd: object = int(raw_wd) if raw_wd.strip().isdigit() else raw_wd
    try:
        order = supervision.issue_order(
            actor, form.get("case_no", "").strip(), form.get("instruction", ""), reply_wd
        )
    except ValidationFailed as exc:
        rows = [supervision.order_dict(o) for o in supervision.list_orders(actor)]
        return render_template(
            "supervision/orders.html",
            rows=rows,
            actor=actor,
            case_no=form.get("case_no", ""),
            form=form,
            problems=exc.details,
        ), 422
    except DomainError as exc:
        flash(tr(exc.message), "error")
        return redirect(url_for("supervision.order_list", case_no=form.get("case_no", "")), code=303)
    flash(gettext("督办单已下达，回复期限 %(due)s", due=order.reply_due.isoformat()), "success")
    return redirect(url_for("supervision.order_show", order_id=order.id), code=303)


@bp.get("/orders/<id:order_id>")
@login_required(*OVERSIGHT, *STAFF)
def order_show(actor, order_id: int):
    order = supervision.get_order(actor, order_id)
    may_reply = supervision.may_reply(actor, order)
    return render_template(
        "supervision/order.html", order=supervision.order_dict(order), may_reply=may_reply, problems=[]
    )


@bp.post("/orders/<id:order_id>/reply")
@login_required(*STAFF)
def order_reply(actor, order_id: int):
    try:
        supervision.reply_order(actor, order_id, request.form.get("reply", ""))
    except ValidationFailed as exc:
        order = supervision.get_order(actor, order_id)
        return render_template(
            "supervision/order.html",
            order=supervision.order_dict(order),
            may_reply=True,
            problems=exc.details,
        ), 422
    except DomainError as exc:
        flash(tr(exc.message), "error")
        return redirect(url_for("supervision.order_show", order_id=order_id), code=303)
    flash(gettext("已回复督办单"), "success")
    return redirect(url_for("supervision.order_show", order_id=order_id), code=303)


@bp.get("/cards")
@login_required(*OVERSIGHT, *STAFF)
def card_list(actor):
    rows = supervision.list_cards(actor, request.args.get("department") or None)
    return render_template("supervision/cards.html", rows=[supervision.card_dict(c) for c in rows])


@bp.get("/notifications")
@login_required()
def notifications(actor):
    return render_template("supervision/notifications.html", rows=notify.list_inbox(actor, limit=200))


@bp.get("/heatmap/<item_code>")
@login_required(*OVERSIGHT)
def heatmap(actor, item_code: str):
    days = query_int("days", 30, minimum=1, maximum=3650)
    data = heatmap_service.heatmap(actor, item_code, utcnow(), days, request.args.get("process"))
    return render_template("supervision/heatmap.html", data=data, catalogue=list_items())


@bp.get("/heatmap/<item_code>/diagram.bpmn")
@login_required(*OVERSIGHT)
def heatmap_xml(actor, item_code: str):
    data = heatmap_service.heatmap(actor, item_code, utcnow(), 1, request.args.get("process"))
    return Response(data["bpmn"] or "", mimetype="application/xml")


@bp.get("/export/<name>.xlsx")
@login_required(*OVERSIGHT)
def export(actor, name: str):
    filename, body = reports.export_xlsx(
        actor, name, request.args.to_dict(), tr, "en" if is_english() else "zh"
    )
    return Response(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/report.pdf")
@login_required(*OVERSIGHT)
def report_pdf(actor):
    """The old link: the monthly report is now made in the background, from the reports page."""
    return redirect(url_for("supervision.report_list", month=request.args.get("month") or None), code=303)


def _reports_page(actor, month: str, problems: list, status: int = 200):
    runs = report_runs.list_runs(actor)
    return render_template(
        "supervision/reports.html",
        runs=runs,
        month=month,
        problems=problems,
        waiting=any(r.state == "pending" for r in runs),
    ), status


@bp.get("/reports")
@login_required(*OVERSIGHT)
def report_list(actor):
    month = request.args.get("month") or today().strftime("%Y-%m")
    return _reports_page(actor, month[:7], [])


@bp.post("/reports")
@login_required(*OVERSIGHT)
def report_request(actor):
    month = request.form.get("month", "").strip()
    try:
        run = report_runs.request_monthly(
            actor, month or None, "en" if is_english() else "zh", today(), utcnow()
        )
    except ValidationFailed as exc:
        return _reports_page(actor, month[:7], exc.details, 422)
    flash(gettext("已开始生成 %(month)s 月报，生成后可在下方下载", month=run.month), "success")
    return redirect(url_for("supervision.report_list", month=run.month), code=303)


@bp.get("/reports/<id:run_id>/file")
@login_required(*OVERSIGHT)
def report_file(actor, run_id: int):
    filename, body = report_runs.download(actor, run_id)
    return Response(
        body, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )
