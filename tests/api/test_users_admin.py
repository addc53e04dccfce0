"""Users and departments through the API: several roles in several departments, PATCH, disable,
password reset with a forced change, the department tree; authorisation by role-in-department pairs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import AuditEvent, Session, User
from tests.conftest import delete_case_data, delete_test_users
from tests.web.helpers import submit_case

STRONG = "Passw0rd-Office"


@pytest.fixture
def cleanup_users(app):
    yield
    Session.remove()
    delete_case_data(app)  # their cases and audit entries first (they refer to the users)
    delete_test_users("t\\_%")
    Session.remove()


def _create(api, **overrides):
    body = {
        "username": "t_multi",
        "name": "两岗 测试",
        "password": STRONG,
        "roles": [
            {"role": "reviewer", "department": "env"},
            {"role": "clerk", "department": "transport"},
        ],
    }
    body.update(overrides)
    return api.post("/users", "admin", json=body)


def test_an_administrator_creates_a_user_with_two_roles_in_two_departments(api, cleanup_users):
    resp = _create(api)
    assert resp.status_code == 201, resp.get_json()
    doc = resp.get_json()
    assert doc["roles"] == [
        {"role": "reviewer", "department": "env"},
        {"role": "clerk", "department": "transport"},
    ]
    assert (doc["role"], doc["department_code"], doc["active"]) == ("reviewer", "env", True)
    listed = {u["username"]: u for u in api.get("/users?q=t_multi", "admin").get_json()["users"]}
    assert listed["t_multi"]["roles"] == doc["roles"]
    audit = Session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert audit.after["roles"] == doc["roles"]


def test_the_new_user_works_both_posts_and_nothing_else(api, cleanup_users):
    assert _create(api).status_code == 201
    env_case = submit_case(api)
    token = api.post("/auth/token", json={"username": "t_multi", "password": STRONG}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    # env case: readable (reviewer of env), but its acceptance belongs to env clerks
    case = api.client.get(f"/api/v1/cases/{env_case}", headers=headers)
    assert case.status_code == 200
    (accept,) = case.get_json()["open_tasks"]
    claim = api.client.post(f"/api/v1/tasks/{accept['id']}/claim", headers=headers)
    assert claim.status_code == 403 and claim.get_json()["error"]["code"] == "not_your_task"
    # a transport application filed at the window by the same person (clerk of transport)
    from tests.factories import applicant_of, scenario

    application = scenario("road_freight_permit", "accept_approve")["application"]
    filed = api.client.post(
        "/api/v1/cases",
        headers=headers,
        json={
            "item_code": "road_freight_permit",
            "applicant": applicant_of(application),
            "data": application,
        },
    )
    assert filed.status_code == 201, filed.get_json()
    inbox = api.client.get("/api/v1/tasks", headers=headers).get_json()["tasks"]
    assert [t["bpmn_id"] for t in inbox] == ["accept"]  # the transport acceptance, not the env one
    assert inbox[0]["case_no"] == filed.get_json()["case_no"]


def test_bad_users_are_refused_with_every_field_named_and_nothing_written(api, cleanup_users):
    before = Session.scalar(select(User.id).order_by(User.id.desc()).limit(1))
    resp = _create(
        api,
        username="Bad Name",
        password="short",
        roles=[{"role": "clerk", "department": "nowhere"}, {"role": "wizard", "department": "env"}],
    )
    assert resp.status_code == 422
    fields = {d["field"] for d in resp.get_json()["error"]["details"]}
    assert {"username", "password", "roles.0.department", "roles.1.role"} <= fields
    Session.remove()
    assert Session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) == before
    assert _create(api, roles=[]).status_code == 422
    assert (
        _create(
            api, roles=[{"role": "applicant", "department": None}, {"role": "clerk", "department": "env"}]
        ).status_code
        == 422
    )
    assert api.post("/users", "env_clerk", json={"username": "t_x"}).status_code == 403


def test_patch_replaces_roles_and_the_change_applies_at_once(api, cleanup_users):
    user_id = _create(api).get_json()["id"]
    token = api.post("/auth/token", json={"username": "t_multi", "password": STRONG}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    env_case = submit_case(api)
    assert api.client.get(f"/api/v1/cases/{env_case}", headers=headers).status_code == 200
    patched = api.call(
        "PATCH",
        f"/users/{user_id}",
        "admin",
        json={"roles": [{"role": "clerk", "department": "transport"}], "name": "改名"},
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["roles"] == [{"role": "clerk", "department": "transport"}]
    assert patched.get_json()["display_name"] == "改名"
    # no longer env staff: the env case is not theirs to see (the cached token actor was dropped)
    assert api.client.get(f"/api/v1/cases/{env_case}", headers=headers).status_code == 404
    assert api.call("PATCH", f"/users/{user_id}", "admin", json={"role": "admin"}).status_code == 422


def test_a_disabled_user_cannot_log_in_and_loses_their_tokens(api, cleanup_users):
    user_id = _create(api).get_json()["id"]
    token = api.post("/auth/token", json={"username": "t_multi", "password": STRONG}).get_json()["token"]
    resp = api.post(f"/users/{user_id}/disable", "admin")
    assert resp.status_code == 200 and resp.get_json()["active"] is False
    assert api.client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    again = api.post("/auth/token", json={"username": "t_multi", "password": STRONG})
    assert again.status_code == 401
    assert api.post(f"/users/{user_id}/enable", "admin").get_json()["active"] is True
    assert api.post("/auth/token", json={"username": "t_multi", "password": STRONG}).status_code == 200


def test_an_administrator_cannot_disable_themselves(api):
    admin_id = next(
        u["id"] for u in api.get("/users", "admin").get_json()["users"] if u["username"] == "admin"
    )
    resp = api.post(f"/users/{admin_id}/disable", "admin")
    assert resp.status_code == 422 and resp.get_json()["error"]["details"][0]["field"] == "active"


def test_a_password_reset_forces_a_change_before_any_token(api, cleanup_users):
    user_id = _create(api).get_json()["id"]
    weak = api.post(f"/users/{user_id}/password-reset", "admin", json={"password": "abc"})
    assert weak.status_code == 422 and weak.get_json()["error"]["code"] == "weak_password"
    reset = api.post(f"/users/{user_id}/password-reset", "admin", json={"password": "Temp-2026-pass"})
    assert reset.status_code == 200 and reset.get_json()["must_change_password"] is True
    refused = api.post("/auth/token", json={"username": "t_multi", "password": "Temp-2026-pass"})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "password_change_required"
    same = api.post(
        "/auth/password",
        json={"username": "t_multi", "current_password": "Temp-2026-pass", "new_password": "Temp-2026-pass"},
    )
    assert same.status_code == 422
    changed = api.post(
        "/auth/password",
        json={
            "username": "t_multi",
            "current_password": "Temp-2026-pass",
            "new_password": "Mine-2026-secret",
        },
    )
    assert changed.status_code == 204
    assert (
        api.post("/auth/token", json={"username": "t_multi", "password": "Mine-2026-secret"}).status_code
        == 200
    )


def test_departments_list_each_parent_and_level(api):
    depts = {d["code"]: d for d in api.get("/departments", "env_clerk").get_json()["departments"]}
    assert (depts["transport"]["level"], depts["transport"]["parent"]) == ("county", "xm_transport")
    assert (depts["xm_transport"]["level"], depts["xm_transport"]["parent"]) == ("city", "fj_transport")
    assert (depts["fj_transport"]["level"], depts["fj_transport"]["parent"]) == ("province", None)
    assert (depts["env"]["parent"], depts["centre"]["level"]) == ("fj_env", "centre")
    assert depts["transport"]["header"] == "厦门市湖里区交通运输局" and depts["env"]["short_name"] == "厦环"
    assert all(d["has_seal"] for d in depts.values())
    assert api.get("/departments").status_code == 401
