"""Security wiring of the app, in one place: production cookie flags, response headers (CSP and
friends), the login rate limit (Flask-Limiter), and the reverse proxies whose headers are believed.

Called last by the factory, once every blueprint is registered.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Settings

log = logging.getLogger("tongban.security")

# No inline script anywhere (the pages' JS lives in app/static/js); nothing may frame the pages.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Uploaded files and generated documents: nothing in them may run, even if a browser renders them.
DOWNLOAD_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"

# The endpoints where a password is tried; they share one counter per client address.
LOGIN_ENDPOINTS = ("auth.login", "api.create_token")


def client_address() -> str:
    """The client's address (after ProxyFix when TONGBAN_TRUSTED_PROXIES is set)."""
    return request.remote_addr or "unknown"


def _login_limit() -> str:
    return current_app.config["TONGBAN"].login_rate_limit


def _headers(response: Response) -> Response:
    settings: Settings = current_app.config["TONGBAN"]
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if settings.production:
        headers.setdefault("Strict-Transport-Security", f"max-age={settings.hsts_seconds}; includeSubDomains")
    if not request.path.startswith("/static/"):
        # Pages and API answers carry personal data (names, ID numbers, addresses): never cache them.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def init_app(app: Flask, settings: Settings) -> None:
    if settings.trusted_proxies > 0:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.config.update(
        SESSION_COOKIE_SECURE=settings.production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    if settings.production:
        # __Host-: the browser accepts it only Secure, for this host and path / (no subdomain can set it).
        app.config["SESSION_COOKIE_NAME"] = "__Host-tongban"
    app.after_request(_headers)

    if settings.production and settings.ratelimit_storage_url.startswith("memory://"):
        log.warning(
            "TONGBAN_RATELIMIT_STORAGE_URL is memory://: each worker counts login attempts on its own; "
            "set redis://… so that all workers count together"
        )
    limiter = Limiter(
        key_func=client_address,
        app=app,
        storage_uri=settings.ratelimit_storage_url,
        strategy="fixed-window",
        headers_enabled=True,
        key_prefix="tongban",
        in_memory_fallback_enabled=True,  # storage down: count per worker rather than not at all
    )
    app.extensions["tongban.limiter"] = limiter
    login_limit = limiter.shared_limit(
        _login_limit,
        scope="login",
        methods=["POST"],
        error_message="登录尝试过于频繁，请稍后再试 / too many login attempts, try again later",
    )
    for endpoint in LOGIN_ENDPOINTS:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = login_limit(app.view_functions[endpoint])
