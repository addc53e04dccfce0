"""Fixtures of the security tests: a second app with other settings (production) on the same
database, fresh accounts that a lockout or a password change may not spill over to the demo users."""

from __future__ import annotations

import secrets
import uuid

import pytest

from tests.conftest import DEMO_PASSWORD

STRONG_KEY = "k" + secrets.token_urlsafe(40)


@pytest.fixture
def make_app(app):
    """Build another app on the test database (e.g. TONGBAN_ENV=production); the shared session and
    service context are put back afterwards."""
    from app import create_app
    from app.models import Session, bind_session
    from app.services import context

    saved_context = context._CONTEXT
    made = []

    def build(**overrides):
        settings = app.config["TONGBAN"]
        config = {
            "TONGBAN_DATABASE_URL": settings.database_url,
            "TONGBAN_DATA_DIR": str(settings.data_dir),
            "TONGBAN_LOGIN_RATE_LIMIT": "100000 per minute",
            "TESTING": True,
            **overrides,
        }
        new = create_app(config)
        made.append(new)
        return new

    yield build
    Session.remove()
    for other in made:
        other.extensions["tongban.engine"].dispose()
    bind_session(app.extensions["tongban.engine"])
    context._CONTEXT = saved_context


@pytest.fixture
def account(app):
    """A fresh clerk of env with the test password; returns its username. Removed afterwards, so
    that no other test finds an extra clerk (notifications go to every clerk of a department)."""
    from sqlalchemy import delete, select

    from app.models import ApiToken, Session, User, UserSession
    from app.services.credentials import create_user
    from tests.conftest import empty_case_tables

    username = f"probe_{uuid.uuid4().hex[:8]}"
    with app.app_context():
        create_user(
            None, username, DEMO_PASSWORD, role="clerk", display_name="测试 窗口", department_code="env"
        )
        Session.remove()
    yield username
    empty_case_tables(app)  # audit rows and sessions name the user
    user_id = Session.scalar(select(User.id).where(User.username == username))
    Session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
    Session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    Session.execute(delete(User).where(User.id == user_id))
    Session.commit()
    Session.remove()
