"""Portal tests start every test with fresh rate-limit counters (the limits have their own test)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def fresh_rate_limits(request):
    if "app" in request.fixturenames or "client" in request.fixturenames or "api" in request.fixturenames:
        from app.limiter import limiter

        app = request.getfixturevalue("app")
        with app.app_context():
            limiter.reset()
    yield
