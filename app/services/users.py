"""Users: accounts with several roles in several departments, administered by administrators.

Every grant is a (role, department) pair; caseworker and oversight roles need a department, the
applicant role has none. The first grant is the primary one (``user_account.role`` and
``department_code`` mirror it). A password reset by an administrator sets a temporary password
that the user must change at the next login; every password set goes through the policy
(app.services.passwords). Administrators cannot disable themselves or take away their own admin
role (the platform would lose its last way in).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import delete, func, select

from app.models import ApiToken, Session, User, UserRole
from app.models.vocab import CASEWORKER_ROLES, Role
from app.services import audit, credentials, org
from app.services.auth import Actor, forget_cached, hash_password, require_valid_password
from app.services.context import ctx
from app.services.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.services.i18n import t
from app.services.passwords import check_password

USERNAME_RE = re.compile(r"^[a-z][a-z0-9_.-]{2,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_GRANTS = 20
ROLE_VALUES = tuple(r.value for r in Role)

# username, display name, [(role, department)], resident ID (applicants only)
DEMO_USERS: list[tuple[str, str, list[tuple[str, str | None]], str | None]] = [
    ("admin", "系统管理员", [("admin", "admin")], None),
    ("designer", "流程设计员", [("designer", "admin")], None),
    ("supervisor", "电子监察员", [("supervisor", "admin")], None),
    ("env_clerk", "环保窗口 王敏", [("clerk", "env")], None),
    ("env_reviewer", "环评审查 李强", [("reviewer", "env")], None),
    ("env_decider", "环境局 张科长", [("decider", "env")], None),
    ("env_head", "环境局 张局长", [("head", "env")], None),
    ("tr_clerk", "交通窗口 陈静", [("clerk", "transport")], None),
    ("tr_reviewer", "运管审查 刘洋", [("reviewer", "transport")], None),
    ("tr_decider", "交通局 赵科长", [("decider", "transport")], None),
    ("tr_head", "交通局 赵局长", [("head", "transport")], None),
    # the city bureau: licenses dangerous-goods road transport (道路运输条例 第二十四条) and supervises the district
    ("xm_tr_clerk", "市交通窗口 许丹", [("clerk", "xm_transport")], None),
    ("xm_tr_reviewer", "市运管审查 蔡明", [("reviewer", "xm_transport")], None),
    ("xm_tr_decider", "市交通局 黄科长", [("decider", "xm_transport")], None),
    # one person, two posts in the city bureau (the level above the district bureau)
    ("xm_tr_head", "市交通局 孙局长", [("head", "xm_transport"), ("decider", "xm_transport")], None),
    ("fj_tr_head", "省交通厅 郑处长", [("head", "fj_transport")], None),
    ("fj_env_head", "省生态环境厅 吴处长", [("head", "fj_env")], None),
    ("window_clerk", "综合窗口 周琳", [("window", "centre")], None),
    # 本级人民政府负责人 (Art. 42 para. 2): approves the extension of a joint (一件事) case's 45 WD
    ("centre_head", "市政府 何副市长", [("head", "centre")], None),
    ("applicant", "申请人 林晓", [("applicant", None)], "11010519491231002X"),
    ("applicant2", "申请人 黄伟", [("applicant", None)], None),
]


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(t("仅管理员可管理用户"), code="admin_only")


def list_users(actor: Actor, q: str | None = None, include_inactive: bool = True) -> list[User]:
    require_admin(actor)
    stmt = select(User).order_by(User.username)
    term = (q or "").strip().replace("%", "").replace("_", "\\_")[:64]
    if term:
        stmt = stmt.where(User.username.like(f"%{term}%", escape="\\") | User.display_name.like(f"%{term}%"))
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    return list(Session.scalars(stmt))


def get_user(actor: Actor, user_id: int) -> User:
    require_admin(actor)
    user = Session.get(User, user_id)
    if user is None:
        raise NotFound(t("用户 %(id)s 不存在", id=user_id), code="user_not_found")
    return user


def _clean_grants(raw: Any, problems: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    if not isinstance(raw, list) or not raw:
        problems.append({"field": "roles", "message": t("至少授予一个岗位")})
        return []
    if len(raw) > MAX_GRANTS:
        problems.append({"field": "roles", "message": t("至多 %(n)s 个岗位", n=MAX_GRANTS)})
        return []
    out: list[tuple[str, str | None]] = []
    for i, entry in enumerate(raw):
        where = f"roles.{i}"
        if not isinstance(entry, dict):
            problems.append({"field": where, "message": t("须为 {role, department}")})
            continue
        role = entry.get("role")
        dept = entry.get("department") or None
        if role not in ROLE_VALUES:
            problems.append({"field": f"{where}.role", "message": t("未知的岗位")})
            continue
        if role == Role.APPLICANT:
            if dept is not None:
                problems.append({"field": f"{where}.department", "message": t("申请人不属于部门")})
                continue
        elif not isinstance(dept, str) or org.department(dept) is None:
            problems.append({"field": f"{where}.department", "message": t("请选择部门")})
            continue
        if (role, dept) in out:
            problems.append({"field": where, "message": t("岗位重复")})
            continue
        out.append((role, dept))
    if any(r == Role.APPLICANT for r, _ in out) and len(out) > 1:
        problems.append({"field": "roles", "message": t("申请人账户不能同时担任工作人员岗位")})
    return out


def _clean_profile(data: dict[str, Any], problems: list[dict[str, Any]], creating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if creating or "username" in data:
        username = data.get("username")
        if not isinstance(username, str) or not USERNAME_RE.match(username):
            problems.append(
                {"field": "username", "message": t("3–64 位，小写字母开头，只含小写字母、数字和 _ . -")}
            )
        else:
            out["username"] = username
    if creating or "name" in data:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            problems.append({"field": "name", "message": t("必填，最长 100 字")})
        else:
            out["display_name"] = name.strip()
    if "email" in data:
        email = data.get("email") or None
        if email is not None and (
            not isinstance(email, str) or not EMAIL_RE.match(email) or len(email) > 255
        ):
            problems.append({"field": "email", "message": t("电子邮箱格式不正确")})
        else:
            out["email"] = email
    return out


def _password_problems(password: Any, username: str | None, field: str = "password") -> list[dict[str, Any]]:
    if not isinstance(password, str):
        return [{"field": field, "message": t("必填")}]
    return [{"field": field, "message": p} for p in check_password(password, username)]


def _set_grants(user: User, grants: list[tuple[str, str | None]]) -> None:
    keep = {(g.role, g.department_code): g for g in user.grants}
    user.grants = [keep.get(pair) or UserRole(role=pair[0], department_code=pair[1]) for pair in grants]
    user.role, user.department_code = grants[0]


def _view(user: User) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "active": user.active,
        "roles": [{"role": g.role, "department": g.department_code} for g in user.grants],
    }


def create_user(actor: Actor, data: Any) -> User:
    """A new account: username, name, password (the policy applies), roles [{role, department}]."""
    require_admin(actor)
    if not isinstance(data, dict):
        raise ValidationFailed(t("请求体必须是对象"), [{"field": "(body)", "message": t("必须是对象")}])
    problems: list[dict[str, Any]] = []
    profile = _clean_profile(data, problems, creating=True)
    grants = _clean_grants(data.get("roles"), problems)
    problems += _password_problems(data.get("password"), profile.get("username"))
    if profile.get("username") and Session.scalar(
        select(User.id).where(User.username == profile["username"])
    ):
        problems.append({"field": "username", "message": t("用户名已被使用")})
    if problems:
        raise ValidationFailed(t("用户信息有误"), problems)
    user = User(
        username=profile["username"],
        display_name=profile["display_name"],
        email=profile.get("email"),
        password_hash=hash_password(data["password"]),
        role=grants[0][0],
        department_code=grants[0][1],
        must_change_password=bool(data.get("must_change_password", False)),
    )
    _set_grants(user, grants)
    Session.add(user)
    Session.flush()
    audit.record(actor, "user.create", None, target=f"user#{user.id}", before=None, after=_view(user))
    Session.commit()
    return user


def update_user(actor: Actor, user_id: int, data: Any) -> User:
    """Change name, e-mail, roles or the active flag (PATCH: only the keys given)."""
    user = get_user(actor, user_id)
    if not isinstance(data, dict):
        raise ValidationFailed(t("请求体必须是对象"), [{"field": "(body)", "message": t("必须是对象")}])
    problems: list[dict[str, Any]] = []
    unknown = sorted(set(data) - {"name", "email", "roles", "active"})
    for key in unknown:
        problems.append({"field": key, "message": t("不允许修改的字段")})
    profile = _clean_profile(data, problems, creating=False)
    grants = _clean_grants(data["roles"], problems) if "roles" in data else None
    active = data.get("active", user.active)
    if not isinstance(active, bool):
        problems.append({"field": "active", "message": t("必须是 true 或 false")})
    if user.id == actor.id:
        if active is False:
            problems.append({"field": "active", "message": t("不能停用自己的账户")})
        if grants is not None and not any(r == Role.ADMIN for r, _ in grants):
            problems.append({"field": "roles", "message": t("不能取消自己的管理员岗位")})
    if problems:
        raise ValidationFailed(t("用户信息有误"), problems)
    before = _view(user)
    for key, value in profile.items():
        setattr(user, key, value)
    if grants is not None:
        _set_grants(user, grants)
    if active is not user.active:
        user.active = active
        if not active:  # a disabled account loses its API tokens at once
            Session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    Session.flush()
    after = _view(user)
    if after != before:
        action = "user.disable" if before["active"] and not active else "user.update"
        audit.record(actor, action, None, target=f"user#{user.id}", before=before, after=after)
    Session.commit()
    forget_cached(user.id)
    return user


def set_active(actor: Actor, user_id: int, active: bool) -> User:
    return update_user(actor, user_id, {"active": active})


def reset_password(actor: Actor, user_id: int, password: Any) -> User:
    """An administrator sets a temporary password; the user must change it at the next login."""
    user = get_user(actor, user_id)
    problems = _password_problems(password, user.username)
    if problems:
        raise ValidationFailed(t("密码不符合要求"), problems, code="weak_password")
    revoked = credentials.set_new_password(user, password, must_change=True)  # every session and token ends
    audit.record(
        actor, "user.password_reset", None, target=f"user#{user.id}", after={"must_change": True, **revoked}
    )
    Session.commit()
    forget_cached(user.id)
    return user


def change_own_password(actor: Actor, current: Any, new: Any, *, client: str | None = None) -> None:
    """The user's own change (also the forced one after a reset): app.services.credentials does it —
    the current password, the policy, then every session and token of the user ends."""
    credentials.change_password(
        actor, current if isinstance(current, str) else "", new if isinstance(new, str) else "", client=client
    )
    forget_cached(actor.id)


def holders(department: str, *roles: str) -> list[User]:
    """Active users holding any of ``roles`` in ``department`` (the admin pages show who answers)."""
    return list(
        Session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.department_code == department, UserRole.role.in_(roles), User.active.is_(True))
            .distinct()
            .order_by(User.username)
        )
    )


def count_staff(department: str) -> int:
    return (
        Session.scalar(
            select(func.count(func.distinct(UserRole.user_id))).where(
                UserRole.department_code == department, UserRole.role.in_(tuple(CASEWORKER_ROLES))
            )
        )
        or 0
    )


def seed_demo_users(password: str) -> list[str]:
    """Create the demo users (idempotent); every one gets ``password``. Never in production."""
    if ctx().settings.production:
        raise DomainError(t("生产环境不创建演示用户"), code="demo_users_in_production")
    require_valid_password(password, None)
    org.ensure_departments()
    existing = set(Session.scalars(select(User.username)))
    hashed = hash_password(password)
    created = []
    for username, name, grants, id_no in DEMO_USERS:
        if username in existing:
            continue
        user = User(
            username=username,
            password_hash=hashed,
            display_name=name,
            role=grants[0][0],
            department_code=grants[0][1],
            id_number=id_no,
            email=f"{username}@tongban.local",
        )
        _set_grants(user, grants)
        Session.add(user)
        created.append(username)
    Session.commit()
    return created


def get_by_username(username: str) -> User:
    user = Session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(t("用户 %(name)s 不存在", name=username), code="user_not_found")
    return user
