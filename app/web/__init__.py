"""The caseworker workspace: server-rendered pages (Jinja, zh-CN by default, English on request).

``init_app`` wires Babel, the session login with its CSRF check, the page error handlers, and the
blueprints by area, each registered explicitly (an import error fails loudly).
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from app.errors import error_body, wants_json
from app.services.errors import DomainError


def render_domain_error(exc: DomainError):
    from app.web.i18n import tr

    return render_template(
        "error.html", status=exc.status, message=tr(exc.message), details=tr(exc.details)
    ), exc.status


def _page_http_error(exc: HTTPException):
    if wants_json():
        code = (exc.name or "error").lower().replace(" ", "_")
        return jsonify(error_body(code, exc.description or exc.name)), exc.code
    messages = {
        400: gettext("请求有误。"),
        403: gettext("您无权访问此页面。"),
        404: gettext("页面不存在。"),
        405: gettext("不支持此操作。"),
        413: gettext("上传的文件过大。"),
        429: gettext("登录尝试过于频繁，请稍后再试。"),
    }
    return render_template("error.html", status=exc.code, message=messages.get(exc.code, exc.name)), exc.code


def init_app(app: Flask) -> None:
    from app.web import (
        admin,
        auth,
        cases,
        documents,
        i18n,
        inbox,
        portal,
        results,
        supervision,
        tasks,
        window,
    )
    from app.web.admin import jobs, system, users  # noqa: F401  (routes register on admin.bp)

    i18n.init_app(app)
    auth.init_app(app)
    app.config["TONGBAN_PAGE_ERROR"] = render_domain_error
    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, _page_http_error)
    from app.web.designer import bp as designer_bp

    for blueprint in (
        inbox.bp,
        tasks.bp,
        cases.bp,
        documents.bp,
        portal.bp,
        window.bp,
        supervision.bp,
        results.bp,
        designer_bp,
        admin.bp,
    ):
        app.register_blueprint(blueprint)
