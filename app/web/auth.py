"""Session login for the pages, server-side sessions, CSRF tokens, and the acting user of a request.

The signed cookie carries only a random session token (``sid``); app.services.sessions keeps the
session row (idle and absolute lifetime, revocation on logout and on a password change).
The JSON API under /api/ authenticates with bearer tokens and is exempt from the CSRF check; every
other unsafe request must carry the session's token (form field ``csrf_token`` or header
``X-CSRFToken``).
"""

from __future__ import annotations

import hmac
import math
import secrets
from datetime import datetime
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

from app.models import utcnow
from app.models.vocab import Role
from app.security import client_address
from app.services import sessions
from app.services.auth import AccountLocked, Actor, actor_by_id, authenticate
from app.services.errors import Unauthorized, ValidationFailed

bp = Blueprint("auth", __name__)

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def web_actor() -> Actor | None:
    """The logged-in user of this page request, or None (the session is checked server side)."""
    if "web_actor" not in g:
        sid = session.get("sid")
        g.web_actor = sessions.check_session(sid).actor if sid else None
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
    if actor.is_applicant and len(actor.grants) == 1:
        return url_for("portal.my_cases")
    if actor.has_role(Role.WINDOW):
        return url_for("window.index")
    if actor.is_oversight and "supervision.cockpit" in current_app.view_functions:
        return url_for("supervision.cockpit")
    if actor.has_role(Role.DESIGNER):
        return url_for("designer.index")
    return url_for("cases.index")


def _clear_session() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def begin_session(actor: Actor) -> None:
    """A fresh server-side session for ``actor`` (staff login, applicant login and registration)."""
    token = sessions.start_session(
        actor, client=client_address(), user_agent=request.headers.get("User-Agent")
    )
    _clear_session()  # a fresh cookie: no session fixation
    session.permanent = True
    session["sid"] = token
    g.web_actor = actor
    csrf_token()


def _locked_message(exc: AccountLocked) -> str:
    until = (exc.details or {}).get("locked_until")
    minutes = 15
    if until:
        minutes = max(1, math.ceil((datetime.fromisoformat(until) - utcnow()).total_seconds() / 60))
    return gettext("连续登录失败次数过多，账户已锁定，请 %(minutes)s 分钟后再试。", minutes=minutes)


def staff_home_redirect() -> Any:
    """``/`` is the public portal; a logged-in member of staff is sent on to their workspace."""
    actor = web_actor()
    if actor is not None and not actor.is_applicant:
        return redirect(_home(actor))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()[:64]
        password = request.form.get("password") or ""
        try:
            actor = authenticate(username, password, via="web", client=client_address())
        except AccountLocked as exc:
            error = _locked_message(exc)
        except Unauthorized:
            error = gettext("用户名或密码错误")
        else:
            begin_session(actor)
            return redirect(_safe_next(request.args.get("next")) or _home(actor))
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, username=username), status


def end_session() -> None:
    """Revoke this browser's server-side session (its cookie is worthless from now on)."""
    sessions.end_session(session.get("sid"), client=client_address())
    _clear_session()


@bp.post("/logout")
def logout():
    end_session()
    flash(gettext("您已退出登录。"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>")
def set_language(code: str):
    from app.web.i18n import LANGUAGES

    if code in dict(LANGUAGES):
        session["lang"] = code
    return redirect(_safe_next(request.args.get("next")) or url_for("portal.home"))


def _check_session() -> Any:
    """End a cookie whose server-side session is over; tell the user why when it timed out."""
    if request.path.startswith(("/api/", "/static/")):
        return None
    sid = session.get("sid")
    if not sid:
        return None
    check = sessions.check_session(sid)
    g.web_actor = check.actor
    if check.actor is not None:
        return None
    _clear_session()
    if check.reason not in ("idle", "expired"):
        return None  # logged out or revoked: simply not logged in any more
    message = gettext("会话已超时，请重新登录。")
    flash(message, "warning")
    if request.method in UNSAFE:
        return render_template("error.html", status=401, message=message), 401
    return redirect(url_for("auth.login", next=request.full_path))


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
    if request.path.startswith("/api/") or not session.get("sid"):
        return None
    actor = web_actor()
    if actor is None or not actor.must_change_password or request.endpoint in PASSWORD_CHANGE_OPEN:
        return None
    return redirect(url_for("auth.password"))


@bp.route("/account/password", methods=["GET", "POST"])
def password():
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
                change_own_password(
                    actor, request.form.get("current_password") or "", new, client=client_address()
                )
            except ValidationFailed as exc:
                problems = [
                    {"field": d.get("field"), "message": tr(d.get("message"))} for d in exc.details or []
                ] or [{"field": "new_password", "message": tr(exc.message)}]
            else:
                # The change ended every session of the user, this one too: a new one, without the reset.
                fresh = actor_by_id(actor.id) or actor
                begin_session(fresh)
                flash(gettext("密码已修改，其他设备上的登录已全部退出。"), "success")
                return redirect(_home(fresh), code=303)
    status = 422 if problems else 200
    return render_template("auth/password.html", problems=problems, forced=actor.must_change_password), status


def init_app(app: Flask) -> None:
    app.before_request(_check_session)
    app.before_request(_check_csrf)
    app.before_request(_check_password_change)
    app.jinja_env.globals.update(
        csrf_token=csrf_token,
        current_actor=web_actor,
        unread_notifications=_unread,
        has_endpoint=lambda name: name in current_app.view_functions,
    )
    app.register_blueprint(bp)
