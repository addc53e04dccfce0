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
from app.models.vocab import CASEWORKER_ROLES
from app.services.context import ctx
from app.services.errors import Unauthorized

# Equalises the time of "no such user" and "wrong password" (no username probing by timing).
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True, slots=True)
class Actor:
    id: int
    username: str
    display_name: str
    role: str
    department_code: str | None
    id_number: str | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.id, user.username, user.display_name, user.role, user.department_code, user.id_number)

    @property
    def is_staff(self) -> bool:
        return self.role in CASEWORKER_ROLES


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def authenticate(username: str, password: str) -> Actor:
    user = Session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        raise Unauthorized("用户名或密码错误 / wrong username or password", code="bad_credentials")
    if not check_password_hash(user.password_hash, password):
        raise Unauthorized("用户名或密码错误 / wrong username or password", code="bad_credentials")
    return Actor.of(user)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(username: str, password: str) -> tuple[str, Actor]:
    actor = authenticate(username, password)
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
        raise Unauthorized("令牌无效或已过期 / invalid or expired token", code="bad_token")
    actor = Actor.of(row.user)
    if len(_TOKEN_CACHE) > 10_000:
        _TOKEN_CACHE.clear()
    _TOKEN_CACHE[digest] = (actor, row.expires_at, time.monotonic() + TOKEN_CACHE_SECONDS)
    return actor


def actor_by_id(user_id: int) -> Actor | None:
    user = Session.get(User, user_id)
    return Actor.of(user) if user is not None and user.active else None
