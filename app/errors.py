"""One place that maps domain errors to HTTP: JSON under /api, pages elsewhere. Never a bare 500."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from app.models import Session
from app.services.errors import Conflict, DomainError, ValidationFailed

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


# PostgreSQL SQLSTATEs of a lost race: deadlock_detected, serialization_failure, lock_not_available
_RACE_STATES = {"40P01", "40001", "55P03"}


def database_error(exc: DataError | OperationalError) -> DomainError | None:
    """The 4xx a database refusal of the input stands for, or None when it is the server's fault.

    The views bound what they can before the database (ids, paging, schemas); this is the net under
    them: a value the database cannot hold (NUL in text, a number out of range, a malformed date)
    is the client's 422, a lost lock race a 409 to retry."""
    if isinstance(exc, DataError):
        return ValidationFailed(
            "请求中的值无法保存或查询 / a value in the request is out of range or malformed",
            [{"field": "(request)", "message": str(getattr(exc, "orig", exc)).splitlines()[0]}],
            code="invalid_value",
        )
    if getattr(getattr(exc, "orig", None), "sqlstate", None) in _RACE_STATES:
        return Conflict("办件已被他人更新，请刷新后重试 / changed by someone else, retry", code="conflict")
    return None


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

    @app.errorhandler(DataError)
    @app.errorhandler(OperationalError)
    def _database(exc: DataError | OperationalError):
        Session.rollback()
        mapped = database_error(exc)
        if mapped is None:
            return _unexpected(exc)
        log.info("database refused input on %s %s: %s", request.method, request.path, mapped.code)
        return _domain(mapped)

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
