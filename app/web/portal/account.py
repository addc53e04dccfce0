"""Applicant registration (with the SMS code) and the public login, separate from the staff login."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.limiter import account_limit
from app.security import client_address
from app.services import accounts
from app.services.errors import DomainError, Unauthorized, ValidationFailed
from app.web.auth import _safe_next, begin_session, end_session, web_actor
from app.web.portal import bp

FORM_FIELDS = ("kind", "name", "id_no", "mobile", "code", "legal_representative", "contact_name", "email")


def _registration(values, errors=None, message=None, status=200):
    return render_template(
        "portal/register.html", values=values, errors=errors or {}, message=message
    ), status


@bp.route("/account/register", methods=["GET", "POST"])
@account_limit
def register():
    if request.method == "GET":
        return _registration({"kind": request.args.get("kind") or "person"})
    values = {k: (request.form.get(k) or "").strip() for k in FORM_FIELDS}
    try:
        if request.form.get("_action") == "send_code":
            sent = accounts.request_mobile_code(values["mobile"])
            flash(gettext("验证码已发送至 %(mobile)s，10 分钟内有效。", mobile=sent.mobile), "success")
            return _registration(values)
        payload = {k: v for k, v in values.items() if v or k in ("kind", "name", "id_no", "mobile", "code")}
        payload["password"] = request.form.get("password") or ""
        if payload["password"] != (request.form.get("password2") or ""):
            raise ValidationFailed(
                gettext("两次输入的密码不一致"),
                [{"field": "password2", "message": gettext("两次输入的密码不一致")}],
            )
        actor = accounts.register_applicant(payload)
    except ValidationFailed as exc:
        details = exc.details if isinstance(exc.details, list) else []
        errors: dict[str, str] = {}
        for d in details:
            errors.setdefault(str(d.get("field")), str(d.get("message")))
        return _registration(values, errors, exc.message, 422)
    except DomainError as exc:
        return _registration(values, {}, exc.message, exc.status)
    begin_session(actor)
    flash(gettext("注册成功，欢迎使用网上办事大厅。"), "success")
    return redirect(_safe_next(request.args.get("next")) or url_for("portal.my_cases"), code=303)


@bp.route("/account/login", methods=["GET", "POST"])
@account_limit
def login():
    error = None
    identifier = ""
    if request.method == "POST":
        identifier = (request.form.get("identifier") or "").strip()[:64]
        try:
            actor = accounts.authenticate_applicant(
                identifier, request.form.get("password") or "", client=client_address()
            )
        except Unauthorized as exc:
            error = (
                gettext("工作人员请从工作人员入口登录。")
                if exc.code == "not_an_applicant"
                else gettext("账号或密码错误")
            )
        else:
            begin_session(actor)
            return redirect(_safe_next(request.args.get("next")) or url_for("portal.my_cases"), code=303)
    elif web_actor() is not None and web_actor().role == "applicant":
        return redirect(url_for("portal.my_cases"))
    status = 401 if error else 200
    return render_template("portal/login.html", error=error, identifier=identifier), status


@bp.post("/account/logout")
def logout():
    end_session()
    flash(gettext("您已退出登录。"), "info")
    return redirect(url_for("portal.home"), code=303)
