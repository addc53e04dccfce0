from __future__ import annotations

from flask import jsonify

from app.api import bp
from app.api.common import load_body
from app.api.schemas import TokenRequest, TokenResponse
from app.services.auth import issue_token
from app.services.context import ctx


@bp.post("/auth/token")
def create_token():
    """Exchange a username and password for a bearer token.
    ---
    post:
      tags: [auth]
      security: []
      requestBody: {content: {application/json: {schema: TokenRequest}}}
      responses:
        200: {content: {application/json: {schema: TokenResponse}}}
        401: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(TokenRequest())
    token, actor = issue_token(body["username"], body["password"])
    out = {"token": token, "expires_in": ctx().settings.token_ttl_hours * 3600, "user": actor}
    return jsonify(TokenResponse().dump(out))
