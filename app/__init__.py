"""Tongban application factory: a flat list of init steps; no migration, no sleeping, no prompts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from app.config import load_settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    settings = load_settings(test_config)
    app = Flask(__name__, instance_path=str(settings.data_dir / "instance"), instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024 + 64 * 1024,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_max_hours),
        JSON_AS_ASCII=False,
        TONGBAN=settings,
    )
    app.config.update({k: v for k, v in (test_config or {}).items() if not k.startswith("TONGBAN_")})
    app.json.ensure_ascii = False

    from app import db, errors
    from app.api import init_app as init_api
    from app.cli import init_app as init_cli

    db.init_app(app, settings)
    _register_capabilities()
    errors.init_app(app)
    init_api(app)
    init_cli(app)
    _init_optional(app, settings)
    _init_security(app, settings)
    return app


def _init_security(app: Flask, settings: Any) -> None:
    """Headers, cookie flags, login rate limit: last, once every blueprint is registered."""
    from app import security

    security.init_app(app, settings)


def _register_capabilities() -> None:
    """Capabilities that react to case events register their hooks on import."""
    import importlib

    for name in ("app.services.clocks", "app.services.documents", "app.services.supervision"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def _init_optional(app: Flask, settings: Any) -> None:
    """Parts added by later work (web pages, scheduler) register themselves here when present."""
    try:
        from app.web import init_app as init_web
    except ImportError:
        init_web = None
    if init_web is not None:
        init_web(app)
    if settings.scheduler:
        from app.jobs import start_in_process

        start_in_process(app)
