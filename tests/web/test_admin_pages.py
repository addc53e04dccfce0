"""The administrator's pages: users and roles, forced password change, departments, the calendar with
the cases it re-dated, the catalogue (closing an item to new applications), the audit-log viewer."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.models import Session, User
from tests.conftest import delete_case_data, delete_test_users
from tests.web.helpers import submit_case, web_login

STRONG = "Passw0rd-Office"


@pytest.fixture
def cleanup_users(app):
    yield
    Session.remove()
    delete_case_data(app)
    delete_test_users("t\\_%")
    Session.remove()


def _new_user(client, csrf, **extra):
    data = {
        "csrf_token": csrf,
        "username": "t_page",
        "name": "页面 新人",
        "password": STRONG,
        "rows": "4",
        "role-0": "reviewer",
        "department-0": "env",
        "role-1": "head",
        "department-1": "xm_transport",
        "role-2": "",
        "department-2": "",
        **extra,
    }
    return client.post("/admin/users", data=data)


def test_the_user_form_creates_a_user_with_two_roles_and_shows_them(client, cleanup_users):
    csrf = web_login(client, "admin")
    resp = _new_user(client, csrf)
    assert resp.status_code == 303, resp.data.decode()[:800]
    page = client.get(resp.headers["Location"]).data.decode()
    assert 'value="reviewer" selected' in page and 'value="xm_transport" selected' in page
    listing = client.get("/admin/users?q=t_page").data.decode()
    assert "审查 · 厦门市生态环境局" in listing and "部门负责人 · 厦门市交通运输局" in listing


def test_a_bad_user_form_names_each_field_by_its_label_and_keeps_the_input(client, cleanup_users):
    csrf = web_login(client, "admin")
    resp = _new_user(client, csrf, username="x", password="short", **{"department-0": ""})
    assert resp.status_code == 422
    page = resp.data.decode()
    assert "用户名：" in page and "初始密码：" in page and "岗位第 1 行：" in page
    assert (
        "roles.0" not in page and "department-0" not in page.split('id="form-problems"')[1].split("</div>")[0]
    )
    assert 'value="页面 新人"' in page
    assert Session.scalar(select(User).where(User.username == "x")) is None


def test_a_reset_password_must_be_changed_at_the_next_login(app, cleanup_users):
    admin = app.test_client()
    csrf = web_login(admin, "admin")
    user_id = int(_new_user(admin, csrf).headers["Location"].rsplit("/", 1)[1])
    resp = admin.post(
        f"/admin/users/{user_id}/password", data={"csrf_token": csrf, "password": "Temp-2026-pass"}
    )
    assert resp.status_code == 303
    user = app.test_client()
    user.get("/login")
    with user.session_transaction() as sess:
        token = sess["csrf"]
    login = user.post(
        "/login", data={"username": "t_page", "password": "Temp-2026-pass", "csrf_token": token}
    )
    assert login.status_code == 302
    inbox = user.get("/inbox/")
    assert inbox.status_code == 302 and inbox.headers["Location"].endswith("/account/password")
    with user.session_transaction() as sess:
        token = sess["csrf"]
    mismatch = user.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": "Temp-2026-pass",
            "new_password": "A",
            "confirm_password": "B",
        },
    )
    assert mismatch.status_code == 422 and "两次输入的新密码不一致" in mismatch.data.decode()
    done = user.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": "Temp-2026-pass",
            "new_password": "Mine-2026-secret",
            "confirm_password": "Mine-2026-secret",
        },
    )
    assert done.status_code == 303
    assert user.get("/inbox/").status_code == 200


def test_a_disabled_user_is_logged_out_and_cannot_log_in(app, cleanup_users):
    admin = app.test_client()
    csrf = web_login(admin, "admin")
    user_id = int(_new_user(admin, csrf).headers["Location"].rsplit("/", 1)[1])
    user = app.test_client()
    user.get("/login")
    with user.session_transaction() as sess:
        token = sess["csrf"]
    assert (
        user.post("/login", data={"username": "t_page", "password": STRONG, "csrf_token": token}).status_code
        == 302
    )
    assert user.get("/inbox/").status_code == 200
    assert admin.post(f"/admin/users/{user_id}/disable", data={"csrf_token": csrf}).status_code == 303
    assert user.get("/inbox/").status_code == 302  # the session no longer has a user
    user.get("/login")  # a fresh page, a fresh CSRF token (the old session was ended)
    with user.session_transaction() as sess:
        token = sess["csrf"]
    again = user.post("/login", data={"username": "t_page", "password": STRONG, "csrf_token": token})
    assert again.status_code == 401


def test_admin_pages_are_for_administrators_only(client):
    web_login(client, "env_clerk")
    for path in ("/admin/users", "/admin/departments", "/admin/calendar", "/admin/catalogue", "/admin/audit"):
        assert client.get(path).status_code == 403, path


def test_the_department_page_shows_the_tree_levels_and_seals(client):
    web_login(client, "admin")
    page = client.get("/admin/departments").data.decode()
    # the district bureau is drawn inside the city bureau, inside the province
    assert (
        page.index('id="dept-fj_transport"')
        < page.index('id="dept-xm_transport"')
        < page.index('id="dept-transport"')
    )
    assert "县区级" in page and "湖交" in page
    seal = client.get("/admin/departments/transport/seal.png")
    assert seal.status_code == 200 and seal.data.startswith(b"\x89PNG")


def test_a_day_made_a_holiday_lists_the_open_cases_it_re_dated(client, api, restore_calendar):
    case_no = submit_case(api)
    before = api.get(f"/cases/{case_no}", "supervisor").get_json()["deadline"]
    csrf = web_login(client, "admin")
    resp = client.post(
        "/admin/calendar/day",
        data={"csrf_token": csrf, "date": before, "kind": "holiday", "note": "临时休假"},
    )
    assert resp.status_code == 303
    page = client.get(resp.headers["Location"]).data.decode()
    after = api.get(f"/cases/{case_no}", "supervisor").get_json()["deadline"]
    assert after > before
    changes = page.split('id="changes"')[1]
    assert case_no in changes and before in changes and after in changes


def test_a_calendar_import_with_errors_says_what_is_wrong_and_changes_nothing(client, restore_calendar):
    csrf = web_login(client, "admin")
    bad = io.BytesIO(b'{"year": 2027, "holidays": [{"date": "2027-13-40"}]}')
    resp = client.post(
        "/admin/calendar/import",
        data={"csrf_token": csrf, "file": (bad, "2027.json")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422
    assert "不是有效日期" in resp.data.decode()
    assert "未确认" in client.get("/admin/calendar?year=2027").data.decode()


def test_closing_an_item_stops_new_applications_and_opening_it_again_restores_them(client, api):
    csrf = web_login(client, "admin")
    code = api.get("/items/eia_report_form", "admin").get_json()["code"]
    try:
        resp = client.post(f"/admin/catalogue/{code}/accepting", data={"csrf_token": csrf, "accepting": "0"})
        assert resp.status_code == 303
        assert "已暂停受理新申请" in client.get("/admin/catalogue").data.decode()
        from tests.web.helpers import APPLICANT, APPLICATION

        refused = api.post(
            "/cases",
            "applicant",
            json={"item_code": "eia_report_form", "applicant": APPLICANT, "data": APPLICATION},
        )
        assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "item_not_accepting"
    finally:
        client.post(f"/admin/catalogue/{code}/accepting", data={"csrf_token": csrf, "accepting": "1"})
    assert submit_case(api)


def test_the_audit_log_filters_by_who_what_case_and_period_and_exports_the_same(client, api):
    first = submit_case(api)
    second = submit_case(api)
    web_login(client, "supervisor")
    page = client.get(f"/admin/audit?case_no={first}&action=case.submit").data.decode()
    assert first in page and second not in page and "提交申请" in page
    bad = client.get("/admin/audit?from=2026-99-01&case_no=XX")
    assert bad.status_code == 422 and "日期格式应为 YYYY-MM-DD" in bad.data.decode()
    xlsx = client.get(f"/admin/audit/export.xlsx?case_no={first}")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.values)
    assert rows[0][:4] == ("编号", "时间", "操作人", "操作")
    assert {r[4] for r in rows[1:]} == {first} and "提交申请" in {r[3] for r in rows[1:]}
    csv_text = client.get("/admin/audit/export.csv?who=applicant&action=case.submit").data.decode("utf-8-sig")
    assert first in csv_text and second in csv_text
    assert re.search(r"^编号,时间,操作人,操作,办件编号", csv_text)
