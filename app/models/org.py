"""The organisation: departments (a tree with levels), users, their roles in departments, browser
sessions and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint, event, false
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.models.base import Base, utcnow
from engine.vocab import Role

ROLES = tuple(r.value for r in Role)
# 省 / 市 / 县区, and the government service centre (政务服务中心) with its comprehensive windows.
LEVELS = ("province", "city", "county", "centre")


class Department(Base):
    __tablename__ = "department"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    # one level up the chain: an unanswered supervision order escalates there
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("department.code"), default=None)
    level: Mapped[str] = mapped_column(String(16), default="city", server_default="city")
    short_name: Mapped[str] = mapped_column(String(16), default="", server_default="")  # 机关代字 (厦环)
    header: Mapped[str] = mapped_column(String(100), default="", server_default="")  # authority on documents
    reconsideration: Mapped[str] = mapped_column(String(100), default="", server_default="")  # 复议机关
    seal_png: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    position: Mapped[int] = mapped_column(default=0, server_default="0")  # order of the data file


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    # The primary grant (the first of ``grants``), kept for display and for code that needs one role;
    # authorisation always reads the grants (role-in-department pairs).
    role: Mapped[str] = mapped_column(String(20), index=True)
    department_code: Mapped[str | None] = mapped_column(
        ForeignKey("department.code"), index=True, default=None
    )
    email: Mapped[str | None] = mapped_column(String(255), default=None)
    id_number: Mapped[str | None] = mapped_column(String(18), default=None)  # applicants: resident ID / USCC
    active: Mapped[bool] = mapped_column(default=True)
    # set by an administrator's password reset: the user must choose a new password at the next login
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Lockout: consecutive wrong passwords since the last success; locked until this moment.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)

    department: Mapped[Department | None] = relationship(lazy="joined")
    grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", lazy="selectin", order_by="UserRole.id", cascade="all, delete-orphan"
    )


class UserRole(Base):
    """One role of a user in one department (applicants: no department)."""

    __tablename__ = "user_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    department_code: Mapped[str | None] = mapped_column(ForeignKey("department.code"), default=None)

    user: Mapped[User] = relationship(back_populates="grants")

    __table_args__ = (
        UniqueConstraint("user_id", "role", "department_code", name="uq_user_role_grant"),
        # who holds role R in department D (recipients of alerts and orders)
        Index("ix_user_role_department_role", "department_code", "role"),
    )


@event.listens_for(Session, "before_flush")
def _primary_grant(session: Session, _context: object, _instances: object) -> None:
    """A user created with only ``role``/``department_code`` gets that pair as their one grant."""
    for obj in session.new:
        if isinstance(obj, User) and not obj.grants and obj.role:
            obj.grants.append(UserRole(role=obj.role, department_code=obj.department_code))


class UserSession(Base):
    """A browser session, server side: the signed cookie only names it, so logout really ends it."""

    __tablename__ = "user_session"

    # SHA-256 of the random session token the cookie carries (the token itself is never stored).
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]  # absolute end, however active the session is
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    client: Mapped[str | None] = mapped_column(String(64), default=None)
    user_agent: Mapped[str | None] = mapped_column(String(200), default=None)


class ApiToken(Base):
    __tablename__ = "api_token"

    # Only the SHA-256 of the token is stored; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")
