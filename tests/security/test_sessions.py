"""Sessions end when they should: logout, password change, idle and absolute lifetime; bearer
tokens are revocable; every login and logout is in the audit trail."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from app.models import ApiToken, AuditEvent, Session, User, UserSession, utcnow
from tests.conftest import DEMO_PASSWORD

NEW_PASSWORD = "Neues-Passwort-2027"


def _login(client, username: str, password: str = DEMO_PASSWORD):
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": csrf})
    assert resp.status_code == 302, resp.data.decode()[:300]
    with client.session_transaction() as sess:
        return sess["csrf"]


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _row(client) -> UserSession:
    with client.session_transaction() as sess:
        digest = hashlib.sha256(sess["sid"].encode()).hexdigest()
    Session.remove()
    return Session.get(UserSession, digest)


def _token(client, username, password=DEMO_PASSWORD) -> str:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def test_the_old_cookie_no_longer_works_after_logout(app, client, account):
    csrf = _login(client, account)
    stolen = _cookie(client)
    assert client.get("/inbox/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf})
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    resp = thief.get("/inbox/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert thief.get("/api/v1/tasks").status_code == 401  # nor may it read the API


def test_the_session_ends_at_its_absolute_lifetime_however_active(client, account):
    _login(client, account)
    row = _row(client)
    assert row.expires_at - row.created_at == timedelta(hours=8)
    row.created_at = utcnow() - timedelta(hours=8, seconds=1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    row.last_seen_at = utcnow()  # active a moment ago
    Session.commit()
    resp = client.get("/inbox/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert _row_reason(row.id) == "expired"


def _row_reason(session_id: str) -> str | None:
    Session.remove()
    return Session.get(UserSession, session_id).revoked_reason


def test_activity_moves_the_idle_timer_but_never_the_absolute_end(client, account):
    _login(client, account)
    row = _row(client)
    end = row.expires_at
    row.last_seen_at = utcnow() - timedelta(minutes=10)
    Session.commit()
    assert client.get("/inbox/").status_code == 200
    again = _row(client)
    assert again.last_seen_at > utcnow() - timedelta(minutes=1)
    assert again.expires_at == end


def test_a_password_change_ends_every_other_session_and_token(app, client, account):
    other_device = app.test_client()
    _login(other_device, account)
    token = _token(client, account)
    csrf = _login(client, account)
    resp = client.post(
        "/account/password",
        data={
            "current_password": DEMO_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": csrf,
        },
    )
    assert resp.status_code == 303
    assert client.get("/inbox/").status_code == 200  # this browser carries on in a new session
    assert other_device.get("/inbox/").status_code == 302
    bad = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "bad_token"
    Session.remove()
    user_id = Session.scalar(select(User.id).where(User.username == account))
    assert Session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)).all() == []
    change = Session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.password_changed"))
    assert change.after["sessions_revoked"] == 2 and change.after["tokens_revoked"] == 1
    assert _token(app.test_client(), account, NEW_PASSWORD)


def test_a_weak_new_password_is_refused_with_the_reasons_and_changes_nothing(client, account):
    csrf = _login(client, account)
    resp = client.post(
        "/account/password",
        data={
            "current_password": DEMO_PASSWORD,
            "new_password": "short",
            "confirm_password": "short",
            "csrf_token": csrf,
        },
    )
    page = resp.data.decode()
    assert resp.status_code == 422 and "至少 8 个字符" in page and "至少三类" in page
    assert client.get("/inbox/").status_code == 200
    assert _token(client, account)  # the old password still works


def test_a_wrong_current_password_is_refused(client, account):
    csrf = _login(client, account)
    resp = client.post(
        "/account/password",
        data={
            "current_password": "Wrong-pass-9",
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "csrf_token": csrf,
        },
    )
    assert resp.status_code == 422 and "当前密码不正确" in resp.data.decode()


def test_a_bearer_token_can_be_revoked(client, account):
    token = _token(client, account)
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tasks", headers=auth).status_code == 200
    assert client.delete("/api/v1/auth/token", headers=auth).status_code == 204
    resp = client.get("/api/v1/tasks", headers=auth)
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_token"
    assert client.delete("/api/v1/auth/token").status_code == 401


def test_the_api_password_change_checks_the_policy_and_revokes_tokens(client, account):
    token = _token(client, account)
    auth = {"Authorization": f"Bearer {token}"}
    weak = client.post(
        "/api/v1/auth/password",
        json={"current_password": DEMO_PASSWORD, "new_password": "abcdefgh"},
        headers=auth,
    )
    body = weak.get_json()["error"]
    assert weak.status_code == 422 and body["code"] == "weak_password"
    assert {d["field"] for d in body["details"]} == {"new_password"}
    assert any("至少三类" in d["message"] for d in body["details"])
    ok = client.post(
        "/api/v1/auth/password",
        json={"current_password": DEMO_PASSWORD, "new_password": NEW_PASSWORD},
        headers=auth,
    )
    assert ok.status_code == 204
    assert client.get("/api/v1/tasks", headers=auth).status_code == 401


def test_logins_failures_and_logouts_are_in_the_audit_trail(client, account):
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    client.post("/login", data={"username": account, "password": "Wrong-pass-1", "csrf_token": csrf})
    csrf = _login(client, account)
    client.post("/logout", data={"csrf_token": csrf})
    Session.remove()
    rows = Session.scalars(
        select(AuditEvent).where(AuditEvent.target == f"user:{account}").order_by(AuditEvent.id)
    ).all()
    assert [r.action for r in rows] == ["user.create", "auth.login_failed", "auth.login", "auth.logout"]
    assert rows[1].after == {"via": "web", "client": "127.0.0.1", "reason": "wrong_password", "attempt": 1}
    assert rows[2].actor_name == account and rows[2].case_id is None
