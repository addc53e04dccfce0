"""Rate limits of the public endpoints (Flask-Limiter), keyed by the client address.

Limits are shared per scope: "progress" (the lookup page and its API), "account" (codes,
registration, public login). The value comes from TONGBAN_PUBLIC_RATE_LIMIT when the request is
made, so it is read from the app's settings, never at import. Counters live where the login
limiter's do (TONGBAN_RATELIMIT_STORAGE_URL, app.security): Redis in production, so that every worker
counts together; process memory in development.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(get_remote_address, default_limits=[], headers_enabled=True, key_prefix="tongban-public")


def public_limit() -> str:
    return current_app.config["TONGBAN"].public_rate_limit


progress_limit = limiter.shared_limit(public_limit, scope="progress")
account_limit = limiter.shared_limit(public_limit, scope="account")


def init_app(app: Flask) -> None:
    settings = app.config["TONGBAN"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_url)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
