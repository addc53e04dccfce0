"""Rate limits of the public endpoints (Flask-Limiter), keyed by the client address.

Limits are shared per scope: "progress" (the lookup page and its API), "account" (codes,
registration, public login). The value comes from TONGBAN_PUBLIC_RATE_LIMIT when the request is
made, so it is read from the app's settings, never at import. Counters live in process memory:
with several gunicorn workers each worker counts on its own.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(get_remote_address, storage_uri="memory://", default_limits=[], headers_enabled=True)


def public_limit() -> str:
    return current_app.config["TONGBAN"].public_rate_limit


progress_limit = limiter.shared_limit(public_limit, scope="progress")
account_limit = limiter.shared_limit(public_limit, scope="account")


def init_app(app: Flask) -> None:
    limiter.init_app(app)
