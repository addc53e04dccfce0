from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.common import bearer_token, current_actor, load_body
from app.api.schemas import PasswordChange, TokenRequest, TokenResponse
from app.security import client_address
from app.services import users
from app.services.auth import authenticate_for_change, issue_token, revoke_token
from app.services.context import ctx
from app.services.errors import Unauthorized, ValidationFailed
from app.services.i18n import N_, t


@bp.post("/auth/token")
def create_token():
    """Exchange a username and password for a bearer token.
    ---
    post:
      tags: [auth]
      security: []
      description: >-
        Five wrong passwords in a row lock the account for 15 minutes (401 `account_locked`);
        attempts per client address are rate limited together with the login page (429).
      requestBody: {content: {application/json: {schema: TokenRequest}}}
      responses:
        200: {content: {application/json: {schema: TokenResponse}}}
        401: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
        429: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(TokenRequest())
    token, actor = issue_token(body["username"], body["password"], client=client_address())
    out = {"token": token, "expires_in": ctx().settings.token_ttl_hours * 3600, "user": actor}
    return jsonify(TokenResponse().dump(out))


@bp.delete("/auth/token")
def delete_token():
    """Revoke the bearer token of this request (log out).
    ---
    delete:
      tags: [auth]
      responses:
        204: {description: revoked}
        401: {content: {application/json: {schema: ErrorOut}}}
    """
    token = bearer_token()
    if token is None:
        raise Unauthorized(t("需要令牌"), code="no_credentials")
    actor = current_actor()
    revoke_token(actor, token, client=client_address())
    return "", 204


@bp.post("/auth/password")
def post_password():
    """Change one's own password; every session and bearer token of the user ends (this one too).
    With a bearer token the token says who; without one (after an administrator's reset no token is
    issued until the password is changed) give ``username`` and the current password.
    ---
    post:
      tags: [auth]
      security: [{bearer: []}, {}]
      requestBody: {content: {application/json: {schema: PasswordChange}}}
      responses:
        204: {description: changed; every token and session of the user is revoked}
        401: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(PasswordChange())
    if request.headers.get("Authorization"):
        actor = current_actor()
    else:
        if not body["username"]:
            raise ValidationFailed(N_("请填写用户名"), [{"field": "username", "message": N_("必填")}])
        actor = authenticate_for_change(body["username"], body["current_password"], client=client_address())
    users.change_own_password(actor, body["current_password"], body["new_password"], client=client_address())
    return "", 204
