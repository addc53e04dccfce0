"""Tokens, the catalogue and users (the OpenAPI document: test_openapi.py)."""

from __future__ import annotations

from tests.conftest import DEMO_PASSWORD


def test_token_is_issued_for_a_demo_user(api):
    resp = api.post("/auth/token", json={"username": "env_clerk", "password": DEMO_PASSWORD})
    body = resp.get_json()
    assert resp.status_code == 200 and len(body["token"]) > 20
    assert body["user"] == {
        "id": body["user"]["id"],
        "username": "env_clerk",
        "display_name": "环保窗口 王敏",
        "role": "clerk",
        "department_code": "env",
        "roles": [{"role": "clerk", "department": "env"}],
        "must_change_password": False,
    }


def test_wrong_password_is_401_with_code(api):
    resp = api.post("/auth/token", json={"username": "env_clerk", "password": "nope"})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_credentials"


def test_token_request_names_missing_and_unknown_fields(api):
    resp = api.post("/auth/token", json={"username": "x", "pasword": "y"})
    fields = {d["field"] for d in resp.get_json()["error"]["details"]}
    assert resp.status_code == 422 and fields == {"password", "pasword"}


def test_non_json_body_is_422(api):
    resp = api.post("/auth/token", data="username=x", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "bad_json"


def test_requests_without_or_with_bad_token_are_401(api):
    assert api.get("/tasks").status_code == 401
    resp = api.get("/tasks", headers={"Authorization": "Bearer forged"})
    assert resp.status_code == 401 and resp.get_json()["error"]["code"] == "bad_token"


def test_catalogue_lists_the_items_with_limits(api):
    items = {i["slug"]: i for i in api.get("/items", "applicant").get_json()["items"]}
    assert set(items) == {
        "eia_report_form",
        "hazardous_waste_licence",
        "road_freight_permit",
        "road_dangerous_goods_transport",
        "road_cert_reissue",
        "hazardous_waste_transport_joint",  # 一件事: the master of a joint item is a catalogue entry too
    }
    for item in items.values():
        assert item["promised_wd"] <= 0.35 * item["statutory_wd"]
    assert items["road_cert_reissue"]["kind"] == "immediate"


def test_item_detail_by_code_has_materials(api):
    code = api.get("/items", "applicant").get_json()["items"][0]["code"]
    detail = api.get(f"/items/{code}", "applicant").get_json()
    assert detail["code"] == code and detail["definition"]["materials"]


def test_unknown_item_is_404(api):
    resp = api.get("/items/NOPE-0000", "applicant")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "item_not_found"


def test_users_are_listed_for_admin_only(api):
    users = api.get("/users", "admin").get_json()["users"]
    assert {"admin", "env_clerk", "applicant"} <= {u["username"] for u in users}
    assert all(not any("hash" in key for key in u) and DEMO_PASSWORD not in str(u) for u in users)
    resp = api.get("/users", "env_clerk")
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "admin_only"
