"""Idempotent submission: ``POST /api/v1/cases`` with an ``Idempotency-Key`` files a case once.

A client whose connection dropped after the commit retries with the same key and gets the first
answer (status and body) back instead of a second case. The same key with another body is a 422
(`idempotency_key_reused`): the key names one request, not a slot to reuse. Keys are per user and
kept 24 hours.

The record is inserted in the very transaction that files the case (through the filing's ``link``
hook), so the two commit together or not at all; the unique (user, key) constraint makes a
concurrent duplicate wait for the first transaction and then fail its insert, rolling back its own
case: it then replays the first answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.models import Case, IdempotentRequest, Session, utcnow
from app.services.auth import Actor
from app.services.errors import ValidationFailed
from app.services.i18n import t

KEEP = timedelta(hours=24)
MAX_KEY_CHARS = 255

Link = Callable[[Case], None]


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    replayed: bool


def check_key(key: str) -> str:
    """The header's value if it is 1..255 visible ASCII characters; otherwise a 422 naming the header."""
    if not (0 < len(key) <= MAX_KEY_CHARS and key.isascii() and key.isprintable() and key.strip() == key):
        raise ValidationFailed(
            t("Idempotency-Key 须为 1 到 %(n)s 个可见 ASCII 字符", n=MAX_KEY_CHARS),
            [{"field": "Idempotency-Key", "message": f"1..{MAX_KEY_CHARS} visible ASCII characters"}],
            code="bad_idempotency_key",
        )
    return key


def fingerprint(payload: Any) -> str:
    """SHA-256 of the request body as JSON with sorted keys: key order and spacing do not matter."""
    # the standard json: orjson refuses integers beyond 64 bits, which a body may well hold
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _recorded(actor: Actor, key: str) -> IdempotentRequest | None:
    return Session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.user_id == actor.id,
            IdempotentRequest.key == key,
            IdempotentRequest.created_at > utcnow() - KEEP,
        )
    )


def _replay(row: IdempotentRequest, digest: str, render: Callable[[Case], dict[str, Any]]) -> Answer:
    if row.request_sha256 != digest:
        raise ValidationFailed(
            t("该 Idempotency-Key 已用于另一份不同的申请"),
            [{"field": "Idempotency-Key", "message": "already used with another request body"}],
            code="idempotency_key_reused",
        )
    if row.status is not None and row.response is not None:
        return Answer(row.status, row.response, replayed=True)
    case = Session.get(Case, row.case_id)
    assert case is not None  # noqa: S101 - a RESTRICT foreign key keeps it
    return Answer(201, render(case), replayed=True)


def submit_once(
    actor: Actor,
    key: str,
    payload: Any,
    file: Callable[[Link], Case],
    render: Callable[[Case], dict[str, Any]],
) -> Answer:
    """File through FILE (called with the hook that records the key) unless KEY was used already."""
    key = check_key(key)
    digest = fingerprint(payload)
    existing = _recorded(actor, key)
    if existing is not None:
        return _replay(existing, digest, render)
    # an expired use of the key (older than 24 h) makes way for this one
    Session.execute(
        delete(IdempotentRequest).where(
            IdempotentRequest.user_id == actor.id, IdempotentRequest.created_at <= utcnow() - KEEP
        )
    )
    Session.commit()

    def link(case: Case) -> None:
        Session.add(IdempotentRequest(user_id=actor.id, key=key, request_sha256=digest, case_id=case.id))
        Session.flush()  # take the (user, key) slot now: a concurrent duplicate waits here, then fails

    try:
        case = file(link)
    except IntegrityError:
        Session.rollback()
        first = _recorded(actor, key)
        if first is None:
            raise
        return _replay(first, digest, render)
    body = render(case)
    row = Session.scalar(
        select(IdempotentRequest).where(IdempotentRequest.user_id == actor.id, IdempotentRequest.key == key)
    )
    if row is not None:
        row.status, row.response = 201, body
        Session.commit()
    return Answer(201, body, replayed=False)


def purge_expired(now: datetime) -> int:
    """Delete every user's keys older than 24 hours (the hourly ``prune`` job; a user's own expired key
    is also cleared when they file with a key again). Committed; the number deleted."""
    result = Session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at <= now - KEEP))
    Session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
