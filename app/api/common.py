"""Request helpers shared by the API views: the acting user and schema-validated bodies."""

from __future__ import annotations

from typing import Any

from flask import g, request, session
from marshmallow import Schema, ValidationError

from app.services.auth import Actor, actor_from_token
from app.services.errors import Unauthorized, ValidationFailed
from app.services.i18n import t
from app.services.sessions import check_session


def current_actor() -> Actor:
    cached = g.get("actor")
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        actor = actor_from_token(header[7:].strip())
    elif session.get("sid") and request.method in ("GET", "HEAD", "OPTIONS"):
        # The browser session may read the API (pages' small scripts); changes need a bearer token,
        # so a forged cross-site form can never act through the session cookie.
        actor = check_session(session["sid"]).actor
        if actor is None:
            raise Unauthorized(t("会话已失效"), code="bad_session")
    else:
        raise Unauthorized(t("需要登录"), code="no_credentials")
    g.actor = actor
    return actor


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def flatten(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    out = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            out.extend(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out.append({"field": prefix or "(body)", "message": "; ".join(messages)})
    elif isinstance(messages, list):
        for i, m in enumerate(messages):
            out.extend(flatten(m, f"{prefix}.{i}"))
    else:
        out.append({"field": prefix or "(body)", "message": str(messages)})
    return out


def load_body(schema: Schema) -> dict[str, Any]:
    payload = request.get_json(silent=True)
    if payload is None:
        raise ValidationFailed(
            t("请求体必须是 JSON 对象"),
            [{"field": "(body)", "message": "invalid or missing JSON"}],
            code="bad_json",
        )
    try:
        return schema.load(payload)
    except ValidationError as exc:
        details = flatten(exc.messages)
        raise ValidationFailed(
            t("请求有误：%(fields)s", fields=", ".join(d["field"] for d in details)), details
        ) from exc


def load_args(schema: Schema) -> dict[str, Any]:
    """Query-string arguments through a schema: unknown names, wrong types and bounds are 422s."""
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as exc:
        details = flatten(exc.messages)
        raise ValidationFailed(
            t("参数有误：%(fields)s", fields=", ".join(d["field"] for d in details)), details
        ) from exc


def material_upload() -> tuple[str, Any]:
    """The ``code`` and ``file`` of a multipart material upload; 422 naming each missing part."""
    upload = request.files.get("file")
    code = request.form.get("code") or ""
    problems = []
    if not code:
        problems.append({"field": "code", "message": t("必填：材料编码")})
    if upload is None or not upload.filename:
        problems.append({"field": "file", "message": t("必填：文件（multipart）")})
    if problems:
        fields = ", ".join(p["field"] for p in problems)
        raise ValidationFailed(t("请求有误：%(fields)s", fields=fields), problems)
    return code, upload
