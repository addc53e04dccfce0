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

    from app import capabilities, db, errors, limiter, routing, security
    from app.api import init_app as init_api
    from app.cli import init_app as init_cli
    from app.jobs import start_in_process
    from app.services.events import BUS
    from app.web import init_app as init_web

    routing.init_app(app)  # the bounded converters, before any route is added
    db.init_app(app, settings)
    capabilities.register(BUS)
    errors.init_app(app)
    limiter.init_app(app)
    init_api(app)
    init_cli(app)
    init_web(app)
    security.init_app(app, settings)  # headers, cookie flags, login rate limit: once every blueprint is in
    if settings.scheduler:
        start_in_process(app)
    return app
