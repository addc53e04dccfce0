"""The public catalogue: no token needed (the service guide is for everyone)."""

from __future__ import annotations

from flask import jsonify, request, url_for

from app.api import bp
from app.api.schemas import ItemDetail, ItemOut
from app.services import guide as guide_service
from app.services.catalogue import get_item


def _with_file_urls(item, doc: dict) -> dict:
    for m in [*doc["guide"]["materials"], *doc["materials"]]:
        for kind in guide_service.FILE_KINDS:
            name = m.get(kind)
            m[f"{kind}_url"] = (
                url_for("portal.guide_file", item_code=item.code, filename=name, _external=False)
                if name
                else None
            )
    return doc


@bp.get("/items")
def items_index():
    """The service catalogue (public), optionally searched and filtered by department or theme.
    ---
    get:
      tags: [items]
      security: []
      parameters:
        - {in: query, name: q, schema: {type: string, maxLength: 100}}
        - {in: query, name: department, schema: {type: string}}
        - {in: query, name: theme, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: {type: object, properties: {items: {type: array, items: ItemOut}}}}}}
    """
    items = guide_service.search_catalogue(
        request.args.get("q", ""), request.args.get("department") or None, request.args.get("theme") or None
    )
    return jsonify({"items": ItemOut(many=True).dump(items)})


@bp.get("/items/<code>")
def items_show(code: str):
    """One service item (public): its guide, materials and the application form's JSON Schema.
    ---
    get:
      tags: [items]
      security: []
      parameters: [{in: path, name: code, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: ItemDetail}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    item = get_item(code)
    return jsonify(_with_file_urls(item, ItemDetail().dump(item)))
