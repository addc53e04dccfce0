from __future__ import annotations

from flask import jsonify

from app.api import bp
from app.api.common import current_actor
from app.api.schemas import UserOut
from app.services.users import list_users


@bp.get("/users")
def users_index():
    """All users (administrators only).
    ---
    get:
      tags: [users]
      responses:
        200: {content: {application/json: {schema: {type: object, properties: {users: {type: array, items: UserOut}}}}}}
        403: {content: {application/json: {schema: ErrorOut}}}
    """
    return jsonify({"users": UserOut(many=True).dump(list_users(current_actor()))})
