"""Users, departments and the demo organisation."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Session, User
from app.services.auth import Actor, hash_password, require_valid_password
from app.services.catalogue import ensure_departments
from app.services.context import ctx
from app.services.errors import DomainError, Forbidden

# username, display name, role, department, resident ID (applicants only)
DEMO_USERS = [
    ("admin", "系统管理员", "admin", "admin", None),
    ("designer", "流程设计员", "designer", "admin", None),
    ("supervisor", "电子监察员", "supervisor", "admin", None),
    ("env_clerk", "环保窗口 王敏", "clerk", "env", None),
    ("env_reviewer", "环评审查 李强", "reviewer", "env", None),
    ("env_decider", "环境局 张科长", "decider", "env", None),
    ("env_head", "环境局 张局长", "head", "env", None),
    ("tr_clerk", "交通窗口 陈静", "clerk", "transport", None),
    ("tr_reviewer", "运管审查 刘洋", "reviewer", "transport", None),
    ("tr_decider", "交通局 赵科长", "decider", "transport", None),
    ("tr_head", "交通局 赵局长", "head", "transport", None),
    ("window_clerk", "综合窗口 周琳", "window", "centre", None),
    ("applicant", "申请人 林晓", "applicant", None, "11010519491231002X"),
    ("applicant2", "申请人 黄伟", "applicant", None, None),
]


def list_users(actor: Actor) -> list[User]:
    if actor.role != "admin":
        raise Forbidden("仅管理员可查看用户 / administrators only", code="admin_only")
    return list(Session.scalars(select(User).order_by(User.username)))


def seed_demo_users(password: str) -> list[str]:
    """Create the demo users (idempotent); every one gets ``password``. Never in production."""
    if ctx().settings.production:
        raise DomainError(
            "生产环境不创建演示用户 / demo users are never created in production (TONGBAN_ENV=production)",
            code="demo_users_in_production",
        )
    require_valid_password(password, None)
    ensure_departments()
    existing = set(Session.scalars(select(User.username)))
    hashed = hash_password(password)
    created = []
    for username, name, role, dept, id_no in DEMO_USERS:
        if username in existing:
            continue
        Session.add(
            User(
                username=username,
                password_hash=hashed,
                display_name=name,
                role=role,
                department_code=dept,
                id_number=id_no,
                email=f"{username}@tongban.local",
            )
        )
        created.append(username)
    Session.commit()
    return created
