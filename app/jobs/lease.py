"""Database leases: one scheduler process at a time runs a given job, on SQLite and PostgreSQL alike.

A lease is a row (name, holder, expires_at). Taking it is one conditional UPDATE (free or expired or
already ours) or, for a new name, one INSERT that loses to the primary key if another process wins.
Leases use real time, not the jobs' ``now``: they protect processes, not legal days. A holder that
dies simply lets its lease expire. Each lease change runs in its own short transaction on a separate
connection, never inside a job's unit of work.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import timedelta

from sqlalchemy import insert, or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from app.models import SchedulerLease, utcnow

DEFAULT_TTL = timedelta(minutes=10)
_lease = SchedulerLease.__table__


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def acquire(engine: Engine, name: str, holder: str, ttl: timedelta = DEFAULT_TTL) -> bool:
    now = utcnow()
    with engine.begin() as conn:
        taken = conn.execute(
            update(_lease)
            .where(_lease.c.name == name, or_(_lease.c.expires_at <= now, _lease.c.holder == holder))
            .values(holder=holder, acquired_at=now, expires_at=now + ttl)
        ).rowcount
    if taken == 1:
        return True
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(_lease).values(name=name, holder=holder, acquired_at=now, expires_at=now + ttl)
            )
    except IntegrityError:
        return False  # the row exists and is held by someone else
    return True


def release(engine: Engine, name: str, holder: str, result: str | None = None) -> None:
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            update(_lease)
            .where(_lease.c.name == name, _lease.c.holder == holder)
            .values(expires_at=now, last_run_at=now, last_result=(result or "")[:2000])
        )
