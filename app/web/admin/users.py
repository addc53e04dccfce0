"""用户管理: list, create, edit roles, disable, reset a password; a user's own password change."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.models.vocab import Role
from app.services import org
from app.services import users as user_service
from app.services.errors import ValidationFailed
from app.services.i18n import N_
from app.web.admin import bp
from app.web.auth import login_required
from app.web.i18n import tr

BLANK_ROWS = 3
FIELD_LABELS = {
    "username": N_("用户名"),
    "name": N_("姓名"),
    "email": N_("电子邮箱"),
    "password": N_("初始密码"),
    "roles": N_("岗位"),
    "active": N_("状态"),
}


def _grants_from(form: Any) -> list[dict[str, str | None]]:
    out = []
    for i in range(int(form.get("rows") or 0) or 20):
        role = (form.get(f"role-{i}") or "").strip()
        dept = (form.get(f"department-{i}") or "").strip() or None
        if role:
            out.append({"role": role, "department": dept})
    return out


def _labelled(problems: Any) -> list[dict[str, Any]]:
    """Field errors with the field's label in the page language (never the internal field path)."""
    out = []
    for p in problems if isinstance(problems, list) else []:
        field = str(p.get("field") or "")
        head = field.split(".")[0]
        label = gettext(FIELD_LABELS[head]) if head in FIELD_LABELS else ""
        if head == "roles" and "." in field:
            index = field.split(".")[1]
            label = gettext("岗位第 %(n)s 行", n=int(index) + 1) if index.isdigit() else label
        out.append({"field": head, "label": label, "message": tr(p.get("message"))})
    return out


def _form_page(template: str, status: int = 200, **context: Any):
    grants = context.get("grants") or []
    return render_template(
        template,
        roles=[r.value for r in Role],
        departments=org.departments(),
        rows=list(grants) + [{"role": "", "department": None}] * BLANK_ROWS,
        **context,
    ), status


@bp.get("/")
@login_required(Role.ADMIN)
def index(actor):
    return render_template("admin/index.html")


@bp.get("/users")
@login_required(Role.ADMIN)
def users(actor):
    q = request.args.get("q", "")
    return render_template("admin/users.html", rows=user_service.list_users(actor, q), q=q)


@bp.get("/users/new")
@login_required(Role.ADMIN)
def user_new(actor):
    return _form_page("admin/user_new.html", form={}, grants=[], problems=[])


@bp.post("/users")
@login_required(Role.ADMIN)
def user_create(actor):
    form = request.form
    data = {
        "username": form.get("username", "").strip(),
        "name": form.get("name", ""),
        "email": form.get("email") or None,
        "password": form.get("password", ""),
        "roles": _grants_from(form),
        "must_change_password": form.get("must_change_password") == "on",
    }
    try:
        user = user_service.create_user(actor, data)
    except ValidationFailed as exc:
        return _form_page(
            "admin/user_new.html", 422, form=form, grants=data["roles"], problems=_labelled(exc.details)
        )
    flash(gettext("已新建用户 %(name)s", name=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id), code=303)


@bp.get("/users/<id32:user_id>")
@login_required(Role.ADMIN)
def user_edit(actor, user_id: int):
    user = user_service.get_user(actor, user_id)
    grants = [{"role": g.role, "department": g.department_code} for g in user.grants]
    return _form_page("admin/user_edit.html", user=user, grants=grants, problems=[], form={})


@bp.post("/users/<id32:user_id>")
@login_required(Role.ADMIN)
def user_update(actor, user_id: int):
    user = user_service.get_user(actor, user_id)
    form = request.form
    data = {"name": form.get("name", ""), "email": form.get("email") or None, "roles": _grants_from(form)}
    try:
        user_service.update_user(actor, user_id, data)
    except ValidationFailed as exc:
        return _form_page(
            "admin/user_edit.html",
            422,
            user=user,
            grants=data["roles"],
            problems=_labelled(exc.details),
            form=form,
        )
    flash(gettext("已保存"), "success")
    return redirect(url_for("admin.user_edit", user_id=user_id), code=303)


@bp.post("/users/<id32:user_id>/<any(disable, enable):action>")
@login_required(Role.ADMIN)
def user_active(actor, user_id: int, action: str):
    try:
        user = user_service.set_active(actor, user_id, action == "enable")
    except ValidationFailed as exc:
        for p in _labelled(exc.details):
            flash(p["message"], "error")
        return redirect(url_for("admin.user_edit", user_id=user_id), code=303)
    message = gettext("已启用 %(name)s") if user.active else gettext("已停用 %(name)s")
    flash(message % {"name": user.username}, "success")
    return redirect(url_for("admin.user_edit", user_id=user_id), code=303)


@bp.post("/users/<id32:user_id>/password")
@login_required(Role.ADMIN)
def user_password(actor, user_id: int):
    user = user_service.get_user(actor, user_id)
    try:
        user_service.reset_password(actor, user_id, request.form.get("password", ""))
    except ValidationFailed as exc:
        grants = [{"role": g.role, "department": g.department_code} for g in user.grants]
        problems = [{**p, "field": "reset_password"} for p in _labelled(exc.details)]
        return _form_page("admin/user_edit.html", 422, user=user, grants=grants, problems=problems, form={})
    flash(gettext("已重置 %(name)s 的密码；该用户下次登录时须修改密码", name=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user_id), code=303)
