from __future__ import annotations

from flask import jsonify

from app.api import bp
from app.api.common import current_actor
from app.api.schemas import ItemDetail, ItemOut
from app.services.catalogue import get_item, list_items


@bp.get("/items")
def items_index():
    """The service catalogue.
    ---
    get:
      tags: [items]
      responses:
        200: {content: {application/json: {schema: {type: object, properties: {items: {type: array, items: ItemOut}}}}}}
        401: {content: {application/json: {schema: ErrorOut}}}
    """
    current_actor()
    return jsonify({"items": ItemOut(many=True).dump(list_items())})


@bp.get("/items/<code>")
def items_show(code: str):
    """One service item with its guide (materials, limits, special procedures).
    ---
    get:
      tags: [items]
      parameters: [{in: path, name: code, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: ItemDetail}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    current_actor()
    return jsonify(ItemDetail().dump(get_item(code)))
