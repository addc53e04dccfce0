"""The applicant's messages over the API: every notice of their cases, unread count, mark read."""

from __future__ import annotations

from flask import jsonify

from app.api import bp
from app.api.common import current_actor, load_args
from app.api.schemas import MessageListArgs, MessageListOut, MessageReadOut
from app.services import messages as message_service


def notice_row(n, case_no: str, sent) -> dict:
    """One notice of a case as the applicant sees it, with its SMS/e-mail deliveries (recipients masked)."""
    return {
        "id": n.id,
        "case_no": case_no,
        "event": n.event,
        "title": n.title,
        "body": n.body,
        "document_id": n.document_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "deliveries": [
            {
                "channel": m.channel,
                "recipient": message_service.masked(m.recipient),
                "status": m.status,
                "attempts": m.attempts,
                "sent_at": m.sent_at,
            }
            for m in sent
        ],
    }


def message_rows(page) -> list[dict]:
    sent = message_service.deliveries_of([n.id for n, _no in page.rows])
    return [notice_row(n, case_no, sent.get(n.id, [])) for n, case_no in page.rows]


@bp.get("/messages")
def messages_index():
    """The applicant's messages (notices of all their cases), newest first, with the unread count.
    ---
    get:
      tags: [messages]
      parameters:
        - {in: query, name: unread, schema: {type: boolean}}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {content: {application/json: {schema: MessageListOut}}}
        401: {content: {application/json: {schema: ErrorOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    args = load_args(MessageListArgs())
    per_page = args["per_page"]
    page = message_service.list_messages(
        actor, unread_only=args["unread"], limit=per_page, offset=(args["page"] - 1) * per_page
    )
    out = {"messages": message_rows(page), "unread": page.unread, "total": page.total}
    return jsonify(MessageListOut().dump(out))


@bp.post("/messages/<id:message_id>/read")
def messages_read_one(message_id: int):
    """Mark one message read.
    ---
    post:
      tags: [messages]
      parameters: [{in: path, name: message_id, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: MessageReadOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    changed = message_service.mark_read(actor, message_id)
    return jsonify(MessageReadOut().dump({"changed": changed, "unread": message_service.unread_count(actor)}))


@bp.post("/messages/read")
def messages_read_all():
    """Mark every message read.
    ---
    post:
      tags: [messages]
      responses:
        200: {content: {application/json: {schema: MessageReadOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    changed = message_service.mark_read(actor)
    return jsonify(MessageReadOut().dump({"changed": changed, "unread": message_service.unread_count(actor)}))
