"""Electronic supervision JSON API under /api/v1/supervision: cockpit figures, alerts, orders, cards."""

from __future__ import annotations

from flask import jsonify, request
from marshmallow import fields, validate

from app.api import bp
from app.api.common import current_actor, load_body
from app.api.schemas import Strict
from app.models import utcnow
from app.services import alerts, cockpit, heatmap, notify, supervision
from app.services.errors import ValidationFailed
from app.services.i18n import t
from app.services.workdays import today


class OrderIn(Strict):
    case_no = fields.String(required=True, validate=validate.Length(min=1, max=32))
    instruction = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    reply_wd = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=1, max=supervision.MAX_REPLY_WD)
    )


class ReplyIn(Strict):
    reply = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class AckIn(Strict):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


def int_arg(name: str, default: int, lo: int, hi: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = lo - 1
    if not lo <= value <= hi:
        raise ValidationFailed(
            t("参数 %(name)s 应为 %(lo)s–%(hi)s 的整数", name=name, lo=lo, hi=hi),
            [{"field": name, "message": f"integer {lo}..{hi}"}],
        )
    return value


@bp.get("/supervision/summary")
def supervision_summary():
    """Cockpit figures: open cases by light, item and department; performance of a month.
    ---
    get:
      tags: [supervision]
      parameters: [{in: query, name: month, schema: {type: string, example: "2026-03"}}]
      responses: {200: {description: figures, content: {application/json: {schema: SummaryOut}}}, 403: {content: {application/json: {schema: ErrorOut}}}}
    """
    actor = current_actor()
    period = cockpit.month_period(request.args.get("month"), today())
    return jsonify(
        {
            "by_light": cockpit.by_light(actor),
            "by_item": cockpit.by_item(actor),
            "by_department": cockpit.by_department(actor),
            "unconfirmed_waiting": cockpit.unconfirmed_waiting(actor),
            "performance": cockpit.performance(actor, period),
        }
    )


@bp.get("/supervision/overdue")
def supervision_overdue():
    """Open red cases, the most overdue first.
    ---
    get:
      tags: [supervision]
      responses: {200: {description: rows, content: {application/json: {schema: OverdueOut}}}, 403: {content: {application/json: {schema: ErrorOut}}}}
    """
    actor = current_actor()
    return jsonify(
        cockpit.overdue(
            actor,
            limit=int_arg("limit", 50, 1, 5000),
            offset=int_arg("offset", 0, 0, 10**9),
            department=request.args.get("department") or None,
            item=request.args.get("item") or None,
        )
    )


@bp.get("/supervision/trends")
def supervision_trends():
    """Submitted / completed / on-time per week or month.
    ---
    get:
      tags: [supervision]
      responses: {200: {description: buckets, content: {application/json: {schema: TrendsOut}}}, 422: {content: {application/json: {schema: ErrorOut}}}}
    """
    actor = current_actor()
    unit = request.args.get("unit", "week")
    return jsonify(
        {"unit": unit, "buckets": cockpit.trends(actor, today(), unit, int_arg("periods", 12, 1, 36))}
    )


@bp.get("/supervision/heatmap/<item_code>")
def supervision_heatmap(item_code: str):
    """Average waiting working days per BPMN step of an item, for the diagram overlays; ``process`` picks a
    subprocess diagram (a call activity's ``process``), default the item's main process.
    ---
    get:
      tags: [supervision]
      parameters:
        - {in: query, name: days, schema: {type: integer, minimum: 1, maximum: 366}}
        - {in: query, name: process, schema: {type: string}}
      responses:
        200: {description: steps, content: {application/json: {schema: HeatmapOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    days = int_arg("days", 30, 1, 366)
    return jsonify(heatmap.heatmap(actor, item_code, utcnow(), days, request.args.get("process")))


@bp.get("/supervision/alerts")
def supervision_alerts():
    """Alerts (supervisors: all; department staff: their department's).
    ---
    get:
      tags: [supervision]
      responses: {200: {description: alerts, content: {application/json: {schema: AlertListOut}}}, 422: {content: {application/json: {schema: ErrorOut}}}}
    """
    actor = current_actor()
    rows = alerts.list_alerts(
        actor,
        limit=int_arg("limit", 100, 1, 1000),
        offset=int_arg("offset", 0, 0, 10**9),
        state=request.args.get("state") or None,
        level=request.args.get("level") or None,
        department=request.args.get("department") or None,
    )
    return jsonify({"alerts": [alerts.alert_dict(a) for a in rows]})


@bp.post("/supervision/alerts/<id:alert_id>/acknowledge")
def supervision_alert_ack(alert_id: int):
    """Acknowledge an alert (it stays until the case or step closes).
    ---
    post:
      tags: [supervision]
      responses: {200: {description: alert, content: {application/json: {schema: AlertOut}}}, 404: {content: {application/json: {schema: ErrorOut}}}, 409: {content: {application/json: {schema: ErrorOut}}}}
    """
    actor = current_actor()
    body = load_body(AckIn())
    return jsonify(alerts.alert_dict(alerts.acknowledge_alert(actor, alert_id, body.get("note"))))


@bp.get("/supervision/orders")
def supervision_orders():
    """Supervision orders (supervisors: all; department staff: theirs, including escalated to them).
    ---
    get:
      tags: [supervision]
      responses: {200: {description: orders, content: {application/json: {schema: OrderListOut}}}}
    """
    actor = current_actor()
    return jsonify(
        {
            "orders": [
                supervision.order_dict(o)
                for o in supervision.list_orders(actor, request.args.get("state") or None)
            ]
        }
    )


@bp.post("/supervision/orders")
def supervision_order_create():
    """Issue a supervision order (督办) on a case.
    ---
    post:
      tags: [supervision]
      responses: {201: {description: order, content: {application/json: {schema: OrderOut}}}, 403: {content: {application/json: {schema: ErrorOut}}}, 422: {content: {application/json: {schema: ErrorOut}}}}
    """
    actor = current_actor()
    body = load_body(OrderIn())
    order = supervision.issue_order(actor, body["case_no"], body["instruction"], body["reply_wd"])
    return jsonify(supervision.order_dict(order)), 201


@bp.get("/supervision/orders/<id:order_id>")
def supervision_order_show(order_id: int):
    """One supervision order.
    ---
    get:
      tags: [supervision]
      responses: {200: {description: order, content: {application/json: {schema: OrderOut}}}, 404: {content: {application/json: {schema: ErrorOut}}}}
    """
    return jsonify(supervision.order_dict(supervision.get_order(current_actor(), order_id)))


@bp.post("/supervision/orders/<id:order_id>/reply")
def supervision_order_reply(order_id: int):
    """The responsible department replies to an order.
    ---
    post:
      tags: [supervision]
      responses: {200: {description: order, content: {application/json: {schema: OrderOut}}}, 403: {content: {application/json: {schema: ErrorOut}}}, 409: {content: {application/json: {schema: ErrorOut}}}}
    """
    actor = current_actor()
    body = load_body(ReplyIn())
    return jsonify(supervision.order_dict(supervision.reply_order(actor, order_id, body["reply"])))


@bp.get("/supervision/cards")
def supervision_cards():
    """Yellow and red cards (黄牌/红牌) of departments.
    ---
    get:
      tags: [supervision]
      responses: {200: {description: cards, content: {application/json: {schema: CardListOut}}}}
    """
    actor = current_actor()
    cards = supervision.list_cards(actor, request.args.get("department") or None)
    return jsonify({"cards": [supervision.card_dict(c) for c in cards]})


@bp.get("/supervision/notifications")
def supervision_notifications():
    """The acting user's in-app notifications.
    ---
    get:
      tags: [supervision]
      responses: {200: {description: notifications, content: {application/json: {schema: NotificationListOut}}}}
    """
    actor = current_actor()
    return jsonify({"unread": notify.unread_count(actor), "notifications": notify.list_inbox(actor)})


@bp.post("/supervision/notifications/<id:notification_id>/read")
def supervision_notification_read(notification_id: int):
    """Mark one in-app notification read.
    ---
    post:
      tags: [supervision]
      responses: {204: {description: done}, 404: {content: {application/json: {schema: ErrorOut}}}}
    """
    notify.mark_read(current_actor(), notification_id, utcnow())
    return "", 204
