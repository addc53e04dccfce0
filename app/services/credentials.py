"""Staff credentials: setting passwords and creating accounts; every new password goes through the policy
(app.services.passwords.check_password) and a change ends every session and token of the user."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.models import ROLES, Department, Session, User, utcnow
from app.services import audit
from app.services.auth import Actor, hash_password, require_valid_password, revoke_user_tokens
from app.services.errors import NotFound, ValidationFailed
from app.services.i18n import N_, t
from app.services.sessions import revoke_user_sessions


def set_new_password(user: User, new_password: str, *, must_change: bool = False) -> dict[str, int]:
    """Store a new password (already checked against the policy) and end every session and token.

    ``must_change``: an administrator's temporary password, to be changed by the user at next login.
    """
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    user.must_change_password = must_change
    return {
        "sessions_revoked": revoke_user_sessions(user.id, "password_changed"),
        "tokens_revoked": revoke_user_tokens(user.id),
    }


def change_password(
    actor: Actor, current_password: str, new_password: str, *, client: str | None = None
) -> None:
    """The user changes their own password; every session and bearer token of theirs ends."""
    user = Session.get(User, actor.id)
    if user is None:
        raise NotFound(N_("用户不存在"), code="user_not_found")
    if not check_password_hash(user.password_hash, current_password or ""):
        raise ValidationFailed(
            N_("当前密码不正确"),
            [{"field": "current_password", "message": N_("当前密码不正确")}],
            code="wrong_current_password",
        )
    require_valid_password(new_password, user.username, field="new_password")
    if new_password == current_password:
        raise ValidationFailed(
            N_("新密码不能与当前密码相同"),
            [{"field": "new_password", "message": N_("新密码不能与当前密码相同")}],
            code="password_unchanged",
        )
    revoked = set_new_password(user, new_password)
    audit.record(
        actor,
        "auth.password_changed",
        None,
        target=f"user:{user.username}",
        after={**revoked, "client": client},
    )
    Session.commit()


def set_password(actor: Actor | None, username: str, new_password: str) -> dict[str, int]:
    """An operator (CLI) or administrator sets USERNAME's password; sessions and tokens end."""
    user = Session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(t("用户 %(username)s 不存在", username=username), code="user_not_found")
    require_valid_password(new_password, username)
    revoked = set_new_password(user, new_password)
    audit.record(actor, "auth.password_set", None, target=f"user:{username}", after=revoked)
    Session.commit()
    return revoked


def create_user(
    actor: Actor | None,
    username: str,
    password: str,
    *,
    role: str,
    display_name: str,
    department_code: str | None = None,
    email: str | None = None,
) -> User:
    """A new account (CLI `users create`); the password must pass the policy."""
    details = []
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "").isalnum():
        details.append({"field": "username", "message": "用户名须为 1–64 位字母、数字、下划线或点"})
    elif Session.scalar(select(User.id).where(User.username == username)) is not None:
        details.append({"field": "username", "message": "用户名已存在"})
    if role not in ROLES:
        details.append({"field": "role", "message": f"角色须为 {', '.join(ROLES)} 之一"})
    if department_code is not None and Session.get(Department, department_code) is None:
        details.append({"field": "department", "message": f"部门 {department_code} 不存在"})
    if details:
        raise ValidationFailed(t("账户信息有误"), details)
    require_valid_password(password, username)
    user = User(
        username=username,
        password_hash=hash_password(password),
        display_name=display_name or username,
        role=role,
        department_code=department_code,
        email=email,
        password_changed_at=utcnow(),
    )
    Session.add(user)
    Session.flush()
    audit.record(
        actor,
        "user.create",
        None,
        target=f"user:{username}",
        after={"role": role, "department": department_code},
    )
    Session.commit()
    return user


def unlock_user(actor: Actor | None, username: str) -> None:
    """Lift a lockout (operator or administrator)."""
    user = Session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(t("用户 %(username)s 不存在", username=username), code="user_not_found")
    before = {"locked_until": user.locked_until.isoformat() if user.locked_until else None}
    user.locked_until = None
    user.failed_logins = 0
    audit.record(actor, "auth.unlock", None, target=f"user:{username}", before=before)
    Session.commit()
