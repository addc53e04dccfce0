"""Authentication: passwords, bearer tokens, and the acting user passed to every service."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.models import ApiToken, Session, User, utcnow
from app.models.vocab import CASEWORKER_ROLES, OVERSIGHT_ROLES, Role
from app.services.context import ctx
from app.services.errors import Forbidden, Unauthorized
from app.services.i18n import N_

# Equalises the time of "no such user" and "wrong password" (no username probing by timing).
_DUMMY_HASH = generate_password_hash("not-a-real-password")


Grant = tuple[str, str | None]  # (role, department code); applicants hold no department


@dataclass(frozen=True, slots=True)
class Actor:
    """The acting user as every service sees it: who, and which roles in which departments.

    Authorisation reads ``grants`` (role-in-department pairs) through the methods below; ``role`` and
    ``department_code`` are the primary grant (the first), kept for display and for callers that
    build an Actor by hand with one role.
    """

    id: int
    username: str
    display_name: str
    role: str
    department_code: str | None
    id_number: str | None = None
    grants: tuple[Grant, ...] = ()
    must_change_password: bool = False

    def __post_init__(self) -> None:
        if not self.grants:
            object.__setattr__(self, "grants", ((self.role, self.department_code),))

    @classmethod
    def of(cls, user: User) -> Actor:
        grants = tuple((g.role, g.department_code) for g in user.grants) or (
            (user.role, user.department_code),
        )
        return cls(
            user.id,
            user.username,
            user.display_name,
            grants[0][0],
            grants[0][1],
            user.id_number,
            grants,
            bool(user.must_change_password),
        )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(role for role, _dept in self.grants)

    def has_role(self, *roles: str) -> bool:
        """Holds any of ``roles`` in any department."""
        return any(role in roles for role, _dept in self.grants)

    def may_act(self, role: str, department: str | None) -> bool:
        """Holds exactly this role in exactly this department."""
        return (role, department) in self.grants

    def holds_in(self, department: str | None, *roles: str) -> bool:
        """Holds any of ``roles`` (default: any caseworker role) in ``department``."""
        wanted = roles or tuple(CASEWORKER_ROLES)
        return department is not None and any(r in wanted and d == department for r, d in self.grants)

    def departments(self, *roles: str) -> frozenset[str]:
        """Departments where the actor holds any of ``roles`` (default: any caseworker role)."""
        wanted = roles or tuple(CASEWORKER_ROLES)
        return frozenset(d for r, d in self.grants if r in wanted and d is not None)

    def staff_grants(self) -> tuple[Grant, ...]:
        """The caseworker pairs: which (role, department) groups' tasks the actor may take."""
        return tuple((r, d) for r, d in self.grants if r in CASEWORKER_ROLES and d is not None)

    @property
    def is_staff(self) -> bool:
        return self.has_role(*CASEWORKER_ROLES)

    @property
    def is_oversight(self) -> bool:
        return self.has_role(*OVERSIGHT_ROLES)

    @property
    def is_admin(self) -> bool:
        return self.has_role(Role.ADMIN)

    @property
    def is_applicant(self) -> bool:
        return self.has_role(Role.APPLICANT)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def authenticate(username: str, password: str) -> Actor:
    user = Session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        raise Unauthorized(N_("用户名或密码错误"), code="bad_credentials")
    if not check_password_hash(user.password_hash, password):
        raise Unauthorized(N_("用户名或密码错误"), code="bad_credentials")
    return Actor.of(user)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate_for_change(username: str, password: str) -> Actor:
    """The user's own password proves who they are, also while a reset asks for a new password."""
    return authenticate(username, password)


def issue_token(username: str, password: str) -> tuple[str, Actor]:
    actor = authenticate(username, password)
    if actor.must_change_password:
        raise Forbidden(N_("管理员重置了您的密码，请先修改密码"), code="password_change_required")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    Session.execute(delete(ApiToken).where(ApiToken.user_id == actor.id, ApiToken.expires_at < now))
    Session.add(
        ApiToken(
            token_hash=_digest(token),
            user_id=actor.id,
            expires_at=now + timedelta(hours=ctx().settings.token_ttl_hours),
        )
    )
    Session.commit()
    return token, actor


# token digest -> (actor, token expiry, cache expiry). A short cache spares one query per API call;
# a deactivated user or an expired token is refused within TOKEN_CACHE_SECONDS at most.
TOKEN_CACHE_SECONDS = 30
_TOKEN_CACHE: dict[str, tuple[Actor, datetime, float]] = {}


def actor_from_token(token: str) -> Actor:
    digest = _digest(token)
    hit = _TOKEN_CACHE.get(digest)
    now = utcnow()
    if hit is not None and hit[2] > time.monotonic() and hit[1] > now:
        return hit[0]
    row = Session.get(ApiToken, digest)
    if row is None or row.expires_at < now or not row.user.active:
        _TOKEN_CACHE.pop(digest, None)
        raise Unauthorized(N_("令牌无效或已过期"), code="bad_token")
    actor = Actor.of(row.user)
    if len(_TOKEN_CACHE) > 10_000:
        _TOKEN_CACHE.clear()
    _TOKEN_CACHE[digest] = (actor, row.expires_at, time.monotonic() + TOKEN_CACHE_SECONDS)
    return actor


def actor_by_id(user_id: int) -> Actor | None:
    user = Session.get(User, user_id)
    return Actor.of(user) if user is not None and user.active else None


def forget_cached(user_id: int) -> None:
    """Drop the cached token actors of one user (their roles changed, or they were disabled)."""
    for digest in [d for d, (a, _exp, _until) in _TOKEN_CACHE.items() if a.id == user_id]:
        _TOKEN_CACHE.pop(digest, None)
