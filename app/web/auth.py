"""Session login for the pages, idle timeout, CSRF tokens, and the acting user of a request.

The JSON API under /api/ authenticates with bearer tokens and is exempt from the CSRF check; every
other unsafe request must carry the session's token (form field ``csrf_token`` or header
``X-CSRFToken``).
"""

from __future__ import annotations

import hmac
import secrets
import time
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext

from app.services.auth import Actor, actor_by_id, authenticate
from app.services.errors import Unauthorized

bp = Blueprint("auth", __name__)

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def web_actor() -> Actor | None:
    """The logged-in user of this page request, or None."""
    if "web_actor" not in g:
        user_id = session.get("user_id")
        g.web_actor = actor_by_id(int(user_id)) if user_id else None
    return g.web_actor


def login_required(*roles: str):
    """Pages for logged-in users; with roles, only for those roles (others get 403)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            actor = web_actor()
            if actor is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and not actor.has_role(*roles):
                abort(403)
            return view(actor, *args, **kwargs)

        return wrapped

    return decorator


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _home(actor: Actor) -> str:
    if actor.is_staff:
        return url_for("inbox.index")
    if actor.is_oversight and "supervision.cockpit" in current_app.view_functions:
        return url_for("supervision.cockpit")
    return url_for("cases.index")


@bp.route("/")
def root():
    actor = web_actor()
    return redirect(_home(actor) if actor else url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        try:
            actor = authenticate(username, password)
        except Unauthorized:
            error = gettext("用户名或密码错误")
        else:
            lang = session.get("lang")
            session.clear()
            session.permanent = True
            session["user_id"] = actor.id
            session["seen"] = int(time.time())
            if lang:
                session["lang"] = lang
            csrf_token()
            return redirect(_safe_next(request.args.get("next")) or _home(actor))
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, username=username), status


@bp.post("/logout")
def logout():
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(gettext("您已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>")
def set_language(code: str):
    from app.web.i18n import LANGUAGES

    if code in dict(LANGUAGES):
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")) or url_for("auth.root"))


def _check_idle_timeout() -> Any:
    if request.path.startswith(("/api/", "/static/")) or not session.get("user_id"):
        return None
    minutes = current_app.config["TONGBAN"].session_minutes
    now = int(time.time())
    seen = int(session.get("seen") or 0)
    if now - seen > minutes * 60:
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        flash(gettext("会话已超时，请重新登录。"), "warning")
        if request.method in UNSAFE:
            return render_template("error.html", status=401, message=gettext("会话已超时，请重新登录。")), 401
        return redirect(url_for("auth.login", next=request.full_path))
    if now - seen > 30:  # write the cookie at most every 30 s
        session["seen"] = now
    return None


def _check_csrf() -> Any:
    if request.method not in UNSAFE or request.path.startswith("/api/"):
        return None
    sent = request.headers.get("X-CSRFToken") or request.form.get("csrf_token") or ""
    expected = session.get("csrf") or ""
    if not expected or not hmac.compare_digest(str(sent), str(expected)):
        message = gettext("页面已过期或请求来源无法验证（CSRF），请刷新页面后重试。")
        return render_template("error.html", status=400, message=message), 400
    return None


def _unread() -> int:
    from app.services.notify import unread_count

    actor = web_actor()
    return unread_count(actor) if actor is not None else 0


# While an administrator's reset stands, these are the only pages a user may open.
PASSWORD_CHANGE_OPEN = ("auth.password", "auth.logout", "auth.set_language", "static")


def _check_password_change() -> Any:
    if request.path.startswith("/api/") or not session.get("user_id"):
        return None
    actor = web_actor()
    if actor is None or not actor.must_change_password or request.endpoint in PASSWORD_CHANGE_OPEN:
        return None
    return redirect(url_for("auth.password"))


@bp.route("/account/password", methods=["GET", "POST"])
def password():
    from app.services.errors import ValidationFailed
    from app.services.users import change_own_password
    from app.web.i18n import tr

    actor = web_actor()
    if actor is None:
        return redirect(url_for("auth.login", next=request.full_path))
    problems: list[dict[str, Any]] = []
    if request.method == "POST":
        new = request.form.get("new_password") or ""
        if new != (request.form.get("confirm_password") or ""):
            problems.append({"field": "confirm_password", "message": gettext("两次输入的新密码不一致")})
        else:
            try:
                change_own_password(actor, request.form.get("current_password") or "", new)
            except ValidationFailed as exc:
                problems = [
                    {"field": d.get("field"), "message": tr(d.get("message"))} for d in exc.details or []
                ]
            else:
                g.pop("web_actor", None)
                flash(gettext("密码已修改。"), "success")
                return redirect(_home(web_actor() or actor), code=303)
    status = 422 if problems else 200
    return render_template("auth/password.html", problems=problems, forced=actor.must_change_password), status


def init_app(app: Flask) -> None:
    app.before_request(_check_idle_timeout)
    app.before_request(_check_csrf)
    app.before_request(_check_password_change)
    app.jinja_env.globals.update(
        csrf_token=csrf_token,
        current_actor=web_actor,
        unread_notifications=_unread,
        has_endpoint=lambda name: name in current_app.view_functions,
    )
    app.register_blueprint(bp)
