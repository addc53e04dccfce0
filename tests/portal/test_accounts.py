"""Applicant self-registration with an SMS code, the public login, and applicants kept off staff pages."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import DEMO_PASSWORD
from tests.portal.helpers import (
    PASSWORD,
    fresh_mobile,
    fresh_resident_id,
    fresh_uscc,
    register_person,
    sms_code,
)


def _count(model) -> int:
    from app.models import Session

    Session.remove()
    return Session.scalar(select(func.count()).select_from(model))


def test_a_person_registers_with_the_code_sent_by_sms_and_gets_a_token(api):
    from app.models import ApplicantProfile, Session, User

    who = register_person(api, name="陈小红")
    assert who["user"]["role"] == "applicant" and who["user"]["username"] == who["mobile"]
    Session.remove()
    user = Session.scalar(select(User).where(User.username == who["mobile"]))
    profile = Session.get(ApplicantProfile, user.id)
    assert (profile.kind, profile.id_no, user.id_number, user.display_name) == (
        "person",
        who["id_no"],
        who["id_no"],
        "陈小红",
    )
    assert api.post("/auth/token", json={"username": who["mobile"], "password": PASSWORD}).status_code == 200


def test_an_entity_registers_with_uscc_legal_representative_and_contact(api):
    mobile, uscc = fresh_mobile(), fresh_uscc()
    api.post("/auth/mobile-code", json={"mobile": mobile})
    body = {
        "kind": "entity",
        "name": "厦门测试物流有限公司",
        "id_no": uscc,
        "mobile": mobile,
        "code": sms_code(mobile),
        "password": PASSWORD,
        "legal_representative": "王大明",
        "contact_name": "李小燕",
    }
    resp = api.post("/auth/register", json=body)
    assert resp.status_code == 201, resp.get_json()


def test_an_entity_without_legal_representative_is_refused_naming_the_fields(api):
    mobile = fresh_mobile()
    api.post("/auth/mobile-code", json={"mobile": mobile})
    body = {"kind": "entity", "name": "某公司", "id_no": fresh_uscc(), "mobile": mobile}
    resp = api.post("/auth/register", json=body | {"code": sms_code(mobile), "password": PASSWORD})
    fields = {d["field"] for d in resp.get_json()["error"]["details"]}
    assert resp.status_code == 422 and fields == {"legal_representative", "contact_name"}


def test_wrong_check_digit_and_weak_password_are_named_and_nothing_is_written(api):
    from app.models import ApplicantProfile, MobileVerification, Session

    mobile = fresh_mobile()
    api.post("/auth/mobile-code", json={"mobile": mobile})
    good = fresh_resident_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = _count(ApplicantProfile)
    resp = api.post(
        "/auth/register",
        json={
            "kind": "person",
            "name": "张三",
            "id_no": bad,
            "mobile": mobile,
            "code": sms_code(mobile),
            "password": "abc",
        },
    )
    details = {d["field"]: d["message"] for d in resp.get_json()["error"]["details"]}
    assert resp.status_code == 422 and set(details) == {"id_no", "password"}
    assert "校验码" in details["id_no"]
    assert _count(ApplicantProfile) == before
    Session.remove()
    code_row = Session.scalar(select(MobileVerification).where(MobileVerification.mobile == mobile))
    assert code_row.consumed_at is None and code_row.attempts == 0  # the code is still usable


def test_a_wrong_sms_code_is_refused_and_counted_and_the_code_dies_after_five_tries(api):
    mobile = fresh_mobile()
    api.post("/auth/mobile-code", json={"mobile": mobile})
    right = sms_code(mobile)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    body = {
        "kind": "person",
        "name": "赵四",
        "id_no": fresh_resident_id(),
        "mobile": mobile,
        "password": PASSWORD,
    }
    for _ in range(5):
        resp = api.post("/auth/register", json=body | {"code": wrong})
        assert resp.status_code == 422 and resp.get_json()["error"]["details"][0]["field"] == "code"
    resp = api.post("/auth/register", json=body | {"code": right})
    assert resp.status_code == 422 and "次数过多" in resp.get_json()["error"]["message"]


def test_a_new_code_within_a_minute_is_429_and_a_registered_mobile_is_409(api):
    who = register_person(api)
    mobile = fresh_mobile()
    assert api.post("/auth/mobile-code", json={"mobile": mobile}).status_code == 202
    again = api.post("/auth/mobile-code", json={"mobile": mobile})
    assert again.status_code == 429 and again.get_json()["error"]["code"] == "code_too_soon"
    taken = api.post("/auth/mobile-code", json={"mobile": who["mobile"]})
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "mobile_taken"
    assert api.post("/auth/mobile-code", json={"mobile": "12345"}).status_code == 422


def test_the_same_id_number_cannot_register_twice(api):
    who = register_person(api)
    mobile = fresh_mobile()
    api.post("/auth/mobile-code", json={"mobile": mobile})
    body = {
        "kind": "person",
        "name": "又一个",
        "id_no": who["id_no"],
        "mobile": mobile,
        "code": sms_code(mobile),
    }
    resp = api.post("/auth/register", json=body | {"password": PASSWORD})
    assert resp.status_code == 422 and resp.get_json()["error"]["details"][0]["field"] == "id_no"


def test_expired_code_is_refused(app):
    from datetime import timedelta

    from app.models import utcnow
    from app.services import accounts
    from app.services.errors import ValidationFailed

    mobile = fresh_mobile()
    with app.app_context():
        sent = accounts.request_mobile_code(mobile, now=utcnow() - timedelta(minutes=11))
        assert sent.expires_at < utcnow()
        payload = {"kind": "person", "name": "钱五", "id_no": fresh_resident_id(), "mobile": mobile}
        try:
            accounts.register_applicant(payload | {"code": sms_code(mobile), "password": PASSWORD})
        except ValidationFailed as exc:
            assert exc.details[0]["field"] == "code" and "过期" in exc.message
        else:
            raise AssertionError("an expired code was accepted")


def _page_csrf(client, path):
    client.get(path)
    with client.session_transaction() as sess:
        return sess["csrf"]


def test_registration_page_sends_the_code_then_registers_and_logs_in(client):
    mobile, id_no = fresh_mobile(), fresh_resident_id()
    token = _page_csrf(client, "/account/register")
    form = {"csrf_token": token, "kind": "person", "name": "页面注册人", "id_no": id_no, "mobile": mobile}
    sent = client.post("/account/register", data=form | {"_action": "send_code"})
    assert sent.status_code == 200 and "验证码已发送" in sent.data.decode()
    done = client.post(
        "/account/register",
        data=form
        | {"code": sms_code(mobile), "password": PASSWORD, "password2": PASSWORD, "_action": "register"},
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/my/cases")
    assert "页面注册人" in client.get("/my/cases").data.decode()


def test_registration_page_shows_errors_next_to_fields_and_keeps_input(client):
    token = _page_csrf(client, "/account/register")
    resp = client.post(
        "/account/register",
        data={
            "csrf_token": token,
            "kind": "person",
            "name": "甲",
            "id_no": "350203198506150001",
            "mobile": "139",
            "code": "1",
            "password": "x",
            "password2": "y",
        },
    )
    page = resp.data.decode()
    assert resp.status_code == 422
    assert "两次输入的密码不一致" in page


def test_public_login_accepts_mobile_or_id_number_and_refuses_staff(client, api):
    who = register_person(api)
    for ident in (who["mobile"], who["id_no"]):
        token = _page_csrf(client, "/account/login")
        resp = client.post(
            "/account/login", data={"csrf_token": token, "identifier": ident, "password": PASSWORD}
        )
        assert resp.status_code == 303 and resp.headers["Location"].endswith("/my/cases")
        client.post("/account/logout", data={"csrf_token": _page_csrf(client, "/")})
    token = _page_csrf(client, "/account/login")
    resp = client.post(
        "/account/login", data={"csrf_token": token, "identifier": "env_clerk", "password": DEMO_PASSWORD}
    )
    assert resp.status_code == 401 and "工作人员请从工作人员入口登录" in resp.data.decode()


def test_applicants_never_see_staff_pages(client):
    from tests.web.helpers import web_login

    web_login(client, "applicant")
    for path in ("/inbox/", "/cases/", "/supervision/", "/window/", "/tasks/1"):
        resp = client.get(path)
        assert resp.status_code == 403, path
    assert client.get("/").status_code == 200  # the portal
    assert "网上办事大厅" in client.get("/").data.decode()


def test_staff_login_sends_an_applicant_to_the_portal_and_staff_to_their_workspace(client):
    client.get("/login")
    with client.session_transaction() as sess:
        token = sess["csrf"]
    resp = client.post(
        "/login", data={"username": "applicant", "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert resp.headers["Location"].endswith("/my/cases")
    from tests.web.helpers import web_login

    web_login(client, "env_clerk")
    resp = client.get("/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/inbox/")


def test_staff_pages_do_not_list_the_portal_login_as_theirs(client):
    assert "申请人登录" in client.get("/account/login").data.decode()
    assert "工作人员登录" in client.get("/login").data.decode()
