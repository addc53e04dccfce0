"""Binds the SQLAlchemy session to the configured database for the life of the app.

Two things keep a request to the round trips its work needs (bench/roundtrips.py counts them):

- a read (GET/HEAD/OPTIONS) on PostgreSQL runs in autocommit: no BEGIN before its first query and no
  ROLLBACK when the request ends (each SELECT is its own snapshot; the few reads that also write commit
  every statement by itself);
- there is no pre-ping on checkout (app/models/base.py); instead a request whose database connection was
  cut before it committed anything is run once more on a fresh connection.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

from app.config import Settings
from app.models import Session, bind_session, make_engine
from app.services import context

log = logging.getLogger("tongban")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _may_retry(exc: BaseException) -> bool:
    """A lost connection, and nothing of this request was committed or was being committed."""
    return (
        isinstance(exc, DBAPIError)
        and exc.connection_invalidated
        and not Session().info.get("commit_started", False)
    )


@event.listens_for(Session, "before_commit")
def _commit_started(session: Any) -> None:
    session.info["commit_started"] = True


def _retrying(step: Callable[[], Any]) -> Callable[[], Any]:
    @functools.wraps(step)
    def run() -> Any:
        try:
            return step()
        except DBAPIError as exc:
            if not _may_retry(exc):
                raise
            log.warning("database connection lost before commit, running the request again: %s", exc.orig)
            Session.remove()
            return step()

    return run


def init_app(app: Flask, settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_recycle=settings.db_pool_recycle,
    )
    bind_session(engine)
    context.configure(settings)
    app.extensions["tongban.engine"] = engine
    reads = engine.execution_options(isolation_level="AUTOCOMMIT")

    @app.before_request
    def _reads_without_transaction() -> None:
        session = Session()
        session.info.pop("commit_started", None)
        if (
            request.method in READ_METHODS
            and engine.dialect.name == "postgresql"
            and session.get_transaction() is None
        ):
            session.bind = reads  # connection procured lazily, on the first query, if there is one

    app.preprocess_request = _retrying(app.preprocess_request)  # type: ignore[method-assign]
    app.dispatch_request = _retrying(app.dispatch_request)  # type: ignore[method-assign]

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        Session.remove()
