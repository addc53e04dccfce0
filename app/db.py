"""Binds the SQLAlchemy session to the configured database for the life of the app."""

from __future__ import annotations

from flask import Flask

from app.config import Settings
from app.models import Session, bind_session, make_engine
from app.services import context


def init_app(app: Flask, settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    bind_session(engine)
    context.configure(settings)
    app.extensions["tongban.engine"] = engine

    @app.teardown_appcontext
    def _remove_session(_exc: BaseException | None) -> None:
        Session.remove()
