"""The public portal (网上办事大厅): catalogue and guides, accounts, progress lookup, my cases, applying.

One blueprint, its own layout (templates/portal/base.html), no login for the public pages. Applicant
pages redirect to the public login; staff never see them (403).
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext

from app.services import messages as message_service
from app.web.auth import web_actor
from app.web.i18n import is_english

bp = Blueprint("portal", __name__)


def applicant_required(view):
    """Pages of the applicant's own: the public login first; any other role gets 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        actor = web_actor()
        if actor is None:
            return redirect(url_for("portal.login", next=request.full_path))
        if not actor.is_applicant:
            abort(403)
        return view(actor, *args, **kwargs)

    return wrapped


@bp.app_context_processor
def _portal_globals() -> dict[str, Any]:
    def unread_messages() -> int:
        actor = web_actor()
        return message_service.unread_count(actor) if actor is not None and actor.is_applicant else 0

    def notice_text(notice) -> tuple[str, str]:
        return message_service.notice_text_of(notice, english=is_english())

    return {"unread_messages": unread_messages, "notice_text": notice_text}


@bp.app_template_filter("masked_recipient")
def _masked_recipient(value: str) -> str:
    return message_service.masked(value or "")


STAFF_LIMITED = ("/login",)  # the staff login keeps the workspace's look and the login message


@bp.app_errorhandler(429)
def _too_many(exc):
    """One 429 answer for every limiter: JSON for the API, the workspace page for the staff login,
    the portal page elsewhere; the limiter's own message where it has one (e.g. the login limit)."""
    described = str(exc.description or "")
    own = described if any("\u4e00" <= ch <= "\u9fff" for ch in described) else None
    if request.path.startswith("/api/"):
        from app.errors import error_body

        return error_body("too_many_requests", own or gettext("操作过于频繁，请稍后再试。")), 429
    if request.path in STAFF_LIMITED:
        message = own or gettext("登录尝试过于频繁，请稍后再试。")
        return render_template("error.html", status=429, message=message), 429
    message = own or gettext("操作过于频繁，请稍后再试。")
    return render_template("portal/error.html", status=429, message=message), 429


from app.web.portal import account, acting, applying, catalogue, licences, mine, progress  # noqa: E402, F401  (routes register on bp)
