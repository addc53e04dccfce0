"""Browser sessions kept server side, so that logout and a password change really end them.

The signed Flask cookie only carries a random session token; the ``user_session`` row (keyed by
the token's SHA-256) says whose it is, when it was last used (idle timeout,
``settings.session_minutes``) and when it ends however active it is (``session_max_hours``).
Logout revokes the row; a password change revokes every session and bearer token of the user.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from app.models import Session, User, UserSession, utcnow
from app.models.base import rowcount
from app.services import audit
from app.services.auth import Actor
from app.services.context import ctx

# last_seen_at is written at most this often (one small write per active session per half minute).
TOUCH_SECONDS = 30


@dataclass(frozen=True, slots=True)
class SessionCheck:
    actor: Actor | None
    reason: str | None  # None (valid) | missing | revoked | idle | expired | inactive


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(actor: Actor, *, client: str | None = None, user_agent: str | None = None) -> str:
    """A new session for ACTOR (just authenticated); returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    Session.add(
        UserSession(
            id=_digest(token),
            user_id=actor.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=ctx().settings.session_max_hours),
            client=(client or "")[:64] or None,
            user_agent=(user_agent or "")[:200] or None,
        )
    )
    Session.commit()
    return token


def check_session(token: str | None) -> SessionCheck:
    """Whose session TOKEN is, or why it is not valid any more (an ended session stays ended)."""
    if not token:
        return SessionCheck(None, "missing")
    row = Session.get(UserSession, _digest(token))
    if row is None:
        return SessionCheck(None, "missing")
    if row.revoked_at is not None:
        return SessionCheck(None, "revoked")
    now = utcnow()
    settings = ctx().settings
    reason = None
    if now >= row.expires_at:
        reason = "expired"
    elif now - row.last_seen_at > timedelta(minutes=settings.session_minutes):
        reason = "idle"
    user = Session.get(User, row.user_id)
    if reason is None and (user is None or not user.active):
        reason = "inactive"
    if reason is not None:
        row.revoked_at = now
        row.revoked_reason = reason
        Session.commit()
        return SessionCheck(None, reason)
    if (now - row.last_seen_at).total_seconds() >= TOUCH_SECONDS:
        row.last_seen_at = now
        Session.commit()
    assert user is not None
    return SessionCheck(Actor.of(user), None)


def end_session(token: str | None, *, client: str | None = None) -> None:
    """Logout: revoke the session TOKEN names (if it is still valid) and audit it."""
    if not token:
        return
    row = Session.get(UserSession, _digest(token))
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    row.revoked_reason = "logout"
    user = Session.get(User, row.user_id)
    audit.record(
        Actor.of(user) if user else None,
        "auth.logout",
        None,
        target=f"user:{user.username}" if user else None,
        after={"via": "web", "client": client},
    )
    Session.commit()


def revoke_user_sessions(user_id: int, reason: str) -> int:
    """Revoke every open session of a user (in the caller's transaction); returns how many."""
    result = Session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    return rowcount(result)


def open_sessions(user_id: int) -> list[UserSession]:
    now = utcnow()
    return list(
        Session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > now
            )
            .order_by(UserSession.created_at)
        )
    )
