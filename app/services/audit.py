"""The audit trail: every state change of a case, who, when, what, before and after — append-only
and hash-chained.

Writing (`record`) adds a plain row to the caller's transaction: no lock, no read, nothing on the
case lifecycle's hot path. Sealing (`seal`, run by the scheduler every few seconds, by
`flask audit seal` and before every backup) takes the unsealed rows in id order under one lock
(a PostgreSQL advisory lock; SQLite's write lock) and gives each the next ``seq`` and
``hash = SHA-256(previous hash ‖ canonical row)``. Concurrent sealers queue on that lock and each
re-reads the head after it, so the chain never forks; a row committed late (a lower id than rows
already sealed) simply gets a later ``seq``. `verify` walks the chain in ``seq`` order and reports
the first broken link. On PostgreSQL a trigger (migration 0012) refuses every UPDATE and DELETE
except the one sealing of a row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import bindparam, func, select, text, update

from app.models import AuditEvent, Session
from app.models.base import table_of

if TYPE_CHECKING:
    from app.services.auth import Actor

GENESIS = "0" * 64
SEAL_BATCH = 5000
_PG_LOCK_KEY = 0x7B1A_0D17  # pg_advisory_xact_lock key of the sealer


def record(
    actor: Actor | None,
    action: str,
    case_id: int | None,
    *,
    target: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str | None = None,
    actor_name: str | None = None,
) -> AuditEvent:
    """Add one audit row to the caller's transaction (sealed into the hash chain later by `seal`)."""
    event = AuditEvent(
        case_id=case_id,
        actor_id=actor.id if actor else None,
        actor_name=(actor.username if actor else actor_name or "system")[:100],
        action=action,
        target=target,
        before=before,
        after=after,
        detail=detail,
    )
    Session.add(event)
    return event


# -- the chain -----------------------------------------------------------------------------------


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(row: Any) -> bytes:
    """The bytes a row's hash covers: every column but the hash itself, as stored."""
    return orjson.dumps(
        [
            row.seq,
            row.id,
            row.case_id,
            row.actor_id,
            row.actor_name,
            _moment(row.at),
            row.action,
            row.target,
            row.before,
            row.after,
            row.detail,
        ],
        option=orjson.OPT_SORT_KEYS,
    )


def link(previous_hash: str, row: Any) -> str:
    return hashlib.sha256(previous_hash.encode("ascii") + b"\n" + canonical(row)).hexdigest()


def _lock_chain() -> None:
    """Serialise sealers for the rest of this transaction."""
    bind = Session.get_bind()
    if bind.dialect.name == "postgresql":
        Session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    else:
        # A write takes SQLite's database lock at once (the driver opens the transaction before it),
        # so the head read below is never stale; the statement changes no row.
        Session.execute(text("UPDATE audit_event SET seq = seq WHERE 0 = 1"))


_TABLE = table_of(AuditEvent)


def _head() -> tuple[int, str]:
    row = Session.execute(
        select(_TABLE.c.seq, _TABLE.c.hash)
        .where(_TABLE.c.seq.is_not(None))
        .order_by(_TABLE.c.seq.desc())
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


class _Sealing:
    """A row as read (typed by the table's columns), with the seq it is about to get."""

    __slots__ = ("row", "seq")

    def __init__(self, row: Any, seq: int) -> None:
        self.row, self.seq = row, seq

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


_SEAL = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("b_id"), _TABLE.c.hash.is_(None))
    .values(seq=bindparam("b_seq"), hash=bindparam("b_hash"))
)


def seal(batch: int = SEAL_BATCH) -> int:
    """Chain every unsealed row (in id order); returns how many were sealed. Safe to run concurrently.

    Runs its own transactions: call it with nothing pending (scheduler, CLI, backup)."""
    total = 0
    while True:
        Session.rollback()  # start clean: the lock must be the first thing this transaction does
        _lock_chain()
        seq, previous = _head()
        rows = Session.execute(
            select(_TABLE).where(_TABLE.c.hash.is_(None)).order_by(_TABLE.c.id).limit(batch)
        ).all()
        values = []
        for row in rows:
            seq += 1
            previous = link(previous, _Sealing(row, seq))
            values.append({"b_id": row.id, "b_seq": seq, "b_hash": previous})
        if values:
            Session.connection().execute(_SEAL, values)
        Session.commit()
        total += len(values)
        if len(values) < batch:
            return total


@dataclass(frozen=True, slots=True)
class BrokenLink:
    seq: int
    id: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    sealed: int
    unsealed: int
    head_seq: int
    head_hash: str
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(anchor: tuple[int, str] | None = None) -> ChainReport:
    """Recompute the chain from the first row; the first broken link (a changed, removed or
    inserted row), if any. ANCHOR (seq, hash) recorded elsewhere also catches a cut tail."""
    previous, expected, broken = GENESIS, 1, None
    query = select(_TABLE).where(_TABLE.c.seq.is_not(None)).order_by(_TABLE.c.seq)
    for row in Session.execute(query.execution_options(yield_per=2000)):
        if row.seq != expected:
            broken = BrokenLink(expected, None, f"第 {expected}–{row.seq - 1} 条缺失（rows deleted）")
            break
        if link(previous, row) != row.hash:
            broken = BrokenLink(row.seq, row.id, "内容与封存时不符（row changed after sealing）")
            break
        if anchor is not None and row.seq == anchor[0] and row.hash != anchor[1]:
            broken = BrokenLink(row.seq, row.id, "与记录的锚点不符（differs from the recorded anchor）")
            break
        previous, expected = row.hash, expected + 1
    sealed = expected - 1
    if broken is None and anchor is not None and anchor[0] > sealed:
        broken = BrokenLink(
            sealed + 1, None, f"链在第 {sealed} 条结束，锚点为第 {anchor[0]} 条（the tail was cut）"
        )
    unsealed = (
        Session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.hash.is_(None))) or 0
    )
    Session.rollback()
    return ChainReport(sealed, unsealed, sealed, previous, broken)
