"""Declarative base, naming convention, UTC timestamps, and the session factory.

The session is a plain SQLAlchemy scoped session (no Flask-SQLAlchemy) so that services and jobs
can use it without Flask; the web layer only removes it at the end of each request.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import orjson
from sqlalchemy import JSON, CursorResult, DateTime, MetaData, Table, create_engine, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in Python on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


Session = scoped_session(sessionmaker(expire_on_commit=False))


def table_of(model: Any) -> Table:
    """The Core table of a mapped class, typed as a Table (``__table__`` is typed as a FromClause)."""
    return cast(Table, model.__table__)


def rowcount(result: Any) -> int:
    """Rows matched by an UPDATE/DELETE (``Session.execute`` is typed as returning a plain Result)."""
    return int(cast(CursorResult[Any], result).rowcount)


def dialect_insert(table: Any) -> Any:
    """INSERT for the session's database, with ``on_conflict_do_nothing`` and ``returning`` available
    (PostgreSQL and SQLite both support them; their statement classes differ)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (
        postgresql.insert(table) if Session.get_bind().dialect.name == "postgresql" else sqlite.insert(table)
    )


def _json_dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def make_engine(url: str, *, pool_size: int = 10, max_overflow: int = 20, pool_recycle: int = 1800) -> Engine:
    # orjson: JSON columns (clock inputs, task data, audit) are decoded for every open case in a sweep.
    kwargs: dict[str, Any] = {
        "future": True,
        "json_serializer": _json_dumps,
        "json_deserializer": orjson.loads,
    }
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        # No pre-ping: it is a round trip on every checkout. Connections are recycled before a server or
        # firewall idle timeout can cut them, a connection psycopg already knows is broken is replaced at
        # checkout (a local check, no round trip), and a request whose first statement meets a connection
        # cut meanwhile is retried once by the web layer (app/db.py).
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow, pool_recycle=pool_recycle)
    engine = create_engine(url, **kwargs)
    if not url.startswith("sqlite"):

        @event.listens_for(engine, "checkout")
        def _drop_broken(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            if getattr(dbapi_connection, "closed", False) or getattr(dbapi_connection, "broken", False):
                raise exc.DisconnectionError("connection closed or broken")  # the pool takes another

    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cur = dbapi_connection.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def bind_session(engine: Engine) -> None:
    Session.remove()
    Session.configure(bind=engine)
