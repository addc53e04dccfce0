"""Authentication: passwords with lockout, bearer tokens, and the acting user passed to every service.

Lockout: every attempt on a known account first *reserves* itself (``failed_logins + 1``, committed)
and only then compares the password, so any number of concurrent guesses gets at most
``lockout_threshold`` password comparisons before the account is locked for ``lockout_minutes``.
A success resets the count. Every login, failure, lockout and logout is in the audit trail.
Browser sessions live in app.services.sessions.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from app.models import ApiToken, Session, User, utcnow
from app.models.vocab import CASEWORKER_ROLES, OVERSIGHT_ROLES, Role
from app.services import audit
from app.services.context import ctx
from app.services.errors import Forbidden, Unauthorized, ValidationFailed
from app.services.i18n import N_, t
from app.services.passwords import check_password

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
        """The caseworker pairs: which (role, department) groups' tasks the actor may take. The
        comprehensive window (window role) works the window steps of joint cases (一件事)."""
        return tuple(
            (r, d) for r, d in self.grants if (r in CASEWORKER_ROLES or r == Role.WINDOW) and d is not None
        )

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


class AccountLocked(Unauthorized):
    code = "account_locked"


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def require_valid_password(password: str, username: str | None, field: str = "password") -> None:
    """Raise ValidationFailed listing every policy problem of PASSWORD (the policy: app.services.passwords)."""
    problems = check_password(password, username)
    if problems:
        raise ValidationFailed(
            t("密码不符合要求：%(problems)s", problems="；".join(problems)),
            [{"field": field, "message": p} for p in problems],
            code="weak_password",
        )


def _locked_error(until: datetime, now: datetime) -> AccountLocked:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return AccountLocked(
        t("连续登录失败次数过多，账户已锁定，请 %(minutes)s 分钟后再试", minutes=minutes),
        {"locked_until": until.isoformat()},
    )


def _bad_credentials() -> Unauthorized:
    return Unauthorized(N_("用户名或密码错误"), code="bad_credentials")


def authenticate(username: str, password: str, *, via: str = "web", client: str | None = None) -> Actor:
    """The user with these credentials, or Unauthorized/AccountLocked; every outcome is audited."""
    settings = ctx().settings
    where = {"via": via, "client": client}
    username = (username or "")[:64]
    user = Session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        audit.record(
            None,
            "auth.login_failed",
            None,
            target=f"user:{username}",
            after={**where, "reason": "unknown_user" if user is None else "inactive"},
            actor_name=username or "(empty)",
        )
        Session.commit()
        raise _bad_credentials()
    now = utcnow()
    user_id = user.id
    actor = Actor.of(user)
    # Reserve this attempt before the (slow) comparison, in one statement that also reads the lock
    # (and forgets a lock that has run out), so concurrent guesses count and see the lock too.
    attempt, locked_until = Session.execute(
        update(User)
        .where(User.id == user_id)
        .values(
            failed_logins=case(
                (and_(User.locked_until.is_not(None), User.locked_until <= now), 1),
                else_=User.failed_logins + 1,
            ),
            locked_until=case((User.locked_until <= now, None), else_=User.locked_until),
        )
        .returning(User.failed_logins, User.locked_until)
    ).one()
    Session.commit()
    threshold = settings.lockout_threshold
    if (locked_until is not None and locked_until > now) or attempt > threshold:
        # Locked, or more attempts in flight than the threshold (one of them is locking the account).
        audit.record(
            actor, "auth.login_refused", None, target=f"user:{username}", after={**where, "reason": "locked"}
        )
        Session.commit()
        raise _locked_error(locked_until or now + timedelta(minutes=settings.lockout_minutes), now)
    if check_password_hash(user.password_hash, password):
        Session.execute(update(User).where(User.id == user_id).values(failed_logins=0, locked_until=None))
        audit.record(actor, "auth.login", None, target=f"user:{username}", after=where)
        Session.commit()
        return actor
    audit.record(
        actor,
        "auth.login_failed",
        None,
        target=f"user:{username}",
        after={**where, "reason": "wrong_password", "attempt": attempt},
    )
    if attempt >= threshold:
        until = now + timedelta(minutes=settings.lockout_minutes)
        Session.execute(update(User).where(User.id == user_id).values(locked_until=until))
        audit.record(
            actor,
            "auth.lockout",
            None,
            target=f"user:{username}",
            after={**where, "failures": attempt, "locked_until": until.isoformat()},
        )
        Session.commit()
        raise _locked_error(until, now)
    Session.commit()
    raise _bad_credentials()


# -- bearer tokens -------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def authenticate_for_change(username: str, password: str, *, client: str | None = None) -> Actor:
    """The user's own password proves who they are, also while a reset asks for a new password."""
    return authenticate(username, password, via="password_change", client=client)


def issue_token(username: str, password: str, *, client: str | None = None) -> tuple[str, Actor]:
    actor = authenticate(username, password, via="api", client=client)
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


def revoke_token(actor: Actor, token: str, *, client: str | None = None) -> None:
    """End the bearer token TOKEN of ACTOR (the API's "log out")."""
    digest = _digest(token)
    Session.execute(delete(ApiToken).where(ApiToken.token_hash == digest, ApiToken.user_id == actor.id))
    _TOKEN_CACHE.pop(digest, None)
    audit.record(actor, "auth.token_revoked", None, target=f"user:{actor.username}", after={"client": client})
    Session.commit()


def revoke_user_tokens(user_id: int) -> int:
    """Delete every bearer token of a user (in the caller's transaction); returns how many."""
    digests = list(Session.scalars(select(ApiToken.token_hash).where(ApiToken.user_id == user_id)))
    Session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
    for digest in digests:
        _TOKEN_CACHE.pop(digest, None)
    return len(digests)


# token digest -> (actor, token expiry, cache expiry). A short cache spares one query per API call;
# a revoked token, a deactivated user or an expired token is refused at once by the worker that
# revoked it and by every other worker within settings.token_cache_seconds at most.
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
    _TOKEN_CACHE[digest] = (actor, row.expires_at, time.monotonic() + ctx().settings.token_cache_seconds)
    return actor


def actor_by_id(user_id: int) -> Actor | None:
    user = Session.get(User, user_id)
    return Actor.of(user) if user is not None and user.active else None


def forget_cached(user_id: int) -> None:
    """Drop the cached token actors of one user (their roles changed, or they were disabled)."""
    for digest in [d for d, (a, _exp, _until) in _TOKEN_CACHE.items() if a.id == user_id]:
        _TOKEN_CACHE.pop(digest, None)
