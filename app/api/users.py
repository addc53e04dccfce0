"""Users and departments (administrators), and a user's own password change."""

from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.common import current_actor, load_body
from app.api.schemas import DepartmentOut, PasswordReset, UserCreate, UserOut, UserPatch
from app.services import org, users


@bp.get("/users")
def users_index():
    """All users (administrators only); ``q`` filters by username or name.
    ---
    get:
      tags: [users]
      parameters: [{in: query, name: q, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: {type: object, properties: {users: {type: array, items: UserOut}}}}}}
        403: {content: {application/json: {schema: ErrorOut}}}
    """
    rows = users.list_users(current_actor(), request.args.get("q"))
    return jsonify({"users": UserOut(many=True).dump(rows)})


@bp.post("/users")
def users_create():
    """Create a user with one or more roles, each in a department (administrators only).
    ---
    post:
      tags: [users]
      requestBody: {content: {application/json: {schema: UserCreate}}}
      responses:
        201: {content: {application/json: {schema: UserOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    users.require_admin(actor)  # before the body is read: a non-administrator learns nothing of it
    user = users.create_user(actor, load_body(UserCreate()))
    return jsonify(UserOut().dump(user)), 201


@bp.get("/users/<id32:user_id>")
def users_show(user_id: int):
    """One user with every role-in-department grant (administrators only).
    ---
    get:
      tags: [users]
      responses:
        200: {content: {application/json: {schema: UserOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    return jsonify(UserOut().dump(users.get_user(current_actor(), user_id)))


@bp.patch("/users/<id32:user_id>")
def users_patch(user_id: int):
    """Change a user's name, e-mail, roles (the whole list) or active flag (administrators only).
    ---
    patch:
      tags: [users]
      requestBody: {content: {application/json: {schema: UserPatch}}}
      responses:
        200: {content: {application/json: {schema: UserOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    users.require_admin(actor)
    return jsonify(UserOut().dump(users.update_user(actor, user_id, load_body(UserPatch()))))


@bp.post("/users/<id32:user_id>/disable")
def users_disable(user_id: int):
    """Disable an account: it can no longer log in, its API tokens end (administrators only).
    ---
    post:
      tags: [users]
      responses:
        200: {content: {application/json: {schema: UserOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    return jsonify(UserOut().dump(users.set_active(current_actor(), user_id, False)))


@bp.post("/users/<id32:user_id>/enable")
def users_enable(user_id: int):
    """Enable a disabled account again (administrators only).
    ---
    post:
      tags: [users]
      responses:
        200: {content: {application/json: {schema: UserOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    return jsonify(UserOut().dump(users.set_active(current_actor(), user_id, True)))


@bp.post("/users/<id32:user_id>/password-reset")
def users_password_reset(user_id: int):
    """Set a temporary password; the user must choose a new one at the next login (administrators only).
    ---
    post:
      tags: [users]
      requestBody: {content: {application/json: {schema: PasswordReset}}}
      responses:
        200: {content: {application/json: {schema: UserOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    users.require_admin(actor)
    body = load_body(PasswordReset())
    return jsonify(UserOut().dump(users.reset_password(actor, user_id, body["password"])))


@bp.get("/departments")
def departments_index():
    """The organisation: every department with its parent and level (any logged-in user).
    ---
    get:
      tags: [users]
      responses:
        200: {content: {application/json: {schema: {type: object, properties: {departments: {type: array, items: DepartmentOut}}}}}}
        401: {content: {application/json: {schema: ErrorOut}}}
    """
    current_actor()
    return jsonify({"departments": DepartmentOut(many=True).dump(org.departments())})
