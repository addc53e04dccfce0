"""One place that maps domain errors to HTTP: JSON under /api, pages elsewhere. Never a bare 500."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from app.services.errors import DomainError

log = logging.getLogger("tongban")


def error_body(code: str, message: str, details: object = None):
    from app.web.i18n import tr

    return {"error": {"code": code, "message": tr(message), "details": tr(details)}}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        if wants_json():
            return jsonify(error_body(exc.code, exc.message, exc.details)), exc.status
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
