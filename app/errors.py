"""One place that maps domain errors to HTTP: JSON under /api, pages elsewhere. Never a bare 500."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from app.services.errors import DomainError

log = logging.getLogger("tongban")


# Error answers never echo a whole input back: a 5 MB field must not give a 5 MB error.
MAX_ECHO_CHARS = 200
MAX_DETAILS = 100


def bounded(value: object, depth: int = 0) -> object:
    """VALUE with every long string cut to MAX_ECHO_CHARS and every list to MAX_DETAILS entries."""
    if isinstance(value, str):
        if len(value) <= MAX_ECHO_CHARS:
            return value
        suffix = f"…（已截断，共 {len(value)} 个字符 / truncated, {len(value)} chars）"
        return (
            value[: MAX_ECHO_CHARS - len(suffix)] + suffix
        )  # at most MAX_ECHO_CHARS: cutting twice is a no-op
    if depth > 8:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())
        out = {bounded(str(k), depth + 1): bounded(v, depth + 1) for k, v in items[:MAX_DETAILS]}
        if len(items) > MAX_DETAILS:
            out["…"] = f"另有 {len(items) - MAX_DETAILS} 项 / {len(items) - MAX_DETAILS} more"
        return out
    if isinstance(value, list | tuple):
        out_list = [bounded(v, depth + 1) for v in value[:MAX_DETAILS]]
        if len(value) > MAX_DETAILS:
            out_list.append(f"另有 {len(value) - MAX_DETAILS} 项 / {len(value) - MAX_DETAILS} more")
        return out_list
    return value


def error_body(code: str, message: str, details: object = None):
    from app.web.i18n import tr

    return {"error": {"code": code, "message": bounded(tr(message)), "details": bounded(tr(details))}}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        if wants_json():
            return jsonify(error_body(exc.code, exc.message, exc.details)), exc.status
        exc.message, exc.details = bounded(exc.message), bounded(exc.details)  # type: ignore[assignment]
        handler = app.config.get("TONGBAN_PAGE_ERROR")
        if handler:
            return handler(exc)
        return f"{exc.status} {exc.message}", exc.status

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if wants_json():
            code = (exc.name or "error").lower().replace(" ", "_")
            return jsonify(error_body(code, exc.description or exc.name)), exc.code
        return exc

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return jsonify(error_body("internal_error", "服务器内部错误 / internal error")), 500
        return "500 internal error", 500
