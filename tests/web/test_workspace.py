"""The caseworker pages through the Flask test client: login, inbox, task forms, case file, PDFs."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import func, select

from app.models import AuditEvent, CaseDocument, CaseTask, Session, UserSession, utcnow
from tests.web.helpers import open_task_id, submit_case, web_login


def _snapshot():
    """What a rejected request must leave untouched."""
    Session.remove()
    return (
        Session.scalar(select(func.count()).select_from(AuditEvent)),
        sorted(Session.execute(select(CaseTask.id, CaseTask.state, CaseTask.assignee_id)).all()),
        Session.scalar(select(func.count()).select_from(CaseDocument)),
    )


def test_login_page_is_chinese_by_default_and_switches_to_english(client):
    page = client.get("/login").data.decode()
    assert "工作人员登录" in page and 'lang="zh-CN"' in page
    client.get("/lang/en?next=/login")
    page = client.get("/login").data.decode()
    assert "Staff sign-in" in page and 'lang="en"' in page


def test_wrong_password_is_refused_with_a_message(client):
    client.get("/login")
    with client.session_transaction() as sess:
        token = sess["csrf"]
    resp = client.post("/login", data={"username": "env_clerk", "password": "nope", "csrf_token": token})
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.data.decode()


def test_pages_need_a_login(client):
    resp = client.get("/inbox/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_header_shows_user_role_and_department(client):
    web_login(client, "env_clerk")
    page = client.get("/inbox/").data.decode()
    assert "环保窗口 王敏" in page and "窗口受理" in page and "生态环境局" in page


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(app, client, api):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    web_login(client, "env_clerk")
    before = _snapshot()
    resp = client.post(f"/inbox/tasks/{task_id}/claim")
    assert resp.status_code == 400 and "CSRF" in resp.data.decode()
    assert _snapshot() == before


def test_idle_session_times_out(app, client):
    web_login(client, "env_clerk")
    with client.session_transaction() as sess:
        digest = hashlib.sha256(sess["sid"].encode()).hexdigest()
    Session.remove()
    row = Session.get(UserSession, digest)
    row.last_seen_at = utcnow() - timedelta(minutes=app.config["TONGBAN"].session_minutes, seconds=5)
    Session.commit()
    resp = client.get("/inbox/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get("/inbox/").status_code == 302


def test_logout_ends_the_session(client):
    token = web_login(client, "env_clerk")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/inbox/").status_code == 302


def test_inbox_lists_the_new_case_and_claim_release_work_in_one_click(app, client, api):
    case_no = submit_case(api, applicant_name="厦门收件测试有限公司")
    task_id = open_task_id(api, case_no, "env_clerk")
    token = web_login(client, "env_clerk")
    page = client.get("/inbox/").data.decode()
    assert case_no in page and "厦门收件测试有限公司" in page and "受理" in page
    resp = client.post(f"/inbox/tasks/{task_id}/claim", data={"csrf_token": token, "next": "/inbox/"})
    assert resp.status_code == 303
    assert Session.get(CaseTask, task_id).state == "claimed"
    Session.remove()
    client.post(f"/inbox/tasks/{task_id}/release", data={"csrf_token": token})
    assert Session.get(CaseTask, task_id).state == "ready"


def test_inbox_search_by_case_number_and_applicant_prefix(app, client, api):
    first = submit_case(api, applicant_name="甲乙丙科技有限公司")
    second = submit_case(api, applicant_name="丁戊己科技有限公司")
    web_login(client, "env_clerk")
    page = client.get("/inbox/", query_string={"q": "甲乙"}).data.decode()
    assert first in page and second not in page
    page = client.get("/inbox/", query_string={"q": second}).data.decode()
    assert second in page and first not in page


def test_inbox_filter_with_a_bad_date_says_so(client):
    web_login(client, "env_clerk")
    resp = client.get("/inbox/", query_string={"from": "2026-13-40"})
    assert resp.status_code == 422 and "YYYY-MM-DD" in resp.data.decode()


def test_correction_notice_lists_every_ticked_material(app, client, api):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    token = web_login(client, "env_clerk")
    page = client.get(f"/tasks/{task_id}").data.decode()
    assert "deficient_materials-eia_report_public_version-_on" in page
    resp = client.post(
        f"/tasks/{task_id}",
        data={
            "csrf_token": token,
            "accept_outcome": "correct",
            "deficient_materials-eia_report_public_version-_on": "on",
            "deficient_materials-eia_report_public_version-reason": "未提交公开版本",
            "deficient_materials-deletion_statement-_on": "on",
            "deficient_materials-deletion_statement-reason": "缺少删除理由说明",
        },
    )
    assert resp.status_code == 303, resp.data.decode()[:2000]
    (doc,) = Session.scalars(select(CaseDocument).where(CaseDocument.kind == "correction_notice"))
    assert len(doc.content["items"]) == 2 and "未提交公开版本" in doc.content["items"][0]
    page = client.get(f"/cases/{case_no}").data.decode()
    assert "补正材料通知书" in page and doc.number in page


def test_missing_reason_is_shown_next_to_the_field_and_input_is_kept(app, client, api):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    token = web_login(client, "env_clerk")
    before = _snapshot()
    resp = client.post(
        f"/tasks/{task_id}",
        data={
            "csrf_token": token,
            "accept_outcome": "correct",
            "deficient_materials-eia_report-_on": "on",
            "deficient_materials-eia_report-reason": "",
        },
    )
    page = resp.data.decode()
    assert resp.status_code == 422
    assert 'id="deficient_materials-eia_report-reason-error"' in page and "必填" in page
    assert 'value="correct" checked' in page
    assert _snapshot() == before


def test_refusal_without_reason_names_the_field(app, client, api):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    token = web_login(client, "env_clerk")
    resp = client.post(
        f"/tasks/{task_id}",
        data={"csrf_token": token, "accept_outcome": "refuse", "remedy_rights": "可申请复议"},
    )
    assert resp.status_code == 422
    assert 'id="refuse_reason-error"' in resp.data.decode()


def test_tampered_extra_field_is_refused_and_changes_nothing(app, client, api):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    token = web_login(client, "env_clerk")
    before = _snapshot()
    resp = client.post(
        f"/tasks/{task_id}", data={"csrf_token": token, "accept_outcome": "accept", "is_admin": "1"}
    )
    assert resp.status_code == 422 and "不允许的字段" in resp.data.decode()
    assert _snapshot() == before


def test_tampered_enum_value_is_refused(app, client, api):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    token = web_login(client, "env_clerk")
    before = _snapshot()
    resp = client.post(
        f"/tasks/{task_id}", data={"csrf_token": token, "accept_outcome": "approve_everything"}
    )
    assert resp.status_code == 422 and "所选项无效" in resp.data.decode()
    assert _snapshot() == before


def test_wrong_type_for_a_number_is_refused(app, client, api):
    case_no = submit_case(api)
    api.post(
        f"/tasks/{open_task_id(api, case_no, 'env_clerk')}/complete",
        user="env_clerk",
        json={"data": {"accept_outcome": "accept"}},
    )
    task_id = open_task_id(api, case_no, "env_reviewer")
    token = web_login(client, "env_reviewer")
    before = _snapshot()
    resp = client.post(
        f"/tasks/{task_id}",
        data={
            "csrf_token": token,
            "review_outcome": "expert_review",
            "review_opinion": "需论证",
            "expert_review_reason": "参数存疑",
            "expected_duration_wd": "十二",
        },
    )
    page = resp.data.decode()
    assert resp.status_code == 422 and 'id="expected_duration_wd-error"' in page and "请输入整数" in page
    assert "十二" in page
    assert _snapshot() == before


def test_a_task_of_another_department_is_refused(app, client, api):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    token = web_login(client, "tr_clerk")
    before = _snapshot()
    resp = client.post(f"/tasks/{task_id}", data={"csrf_token": token, "accept_outcome": "accept"})
    assert resp.status_code == 404 and "不存在" in resp.data.decode()
    assert client.get(f"/tasks/{task_id}").status_code == 404
    assert _snapshot() == before


def test_a_stale_page_after_someone_else_completed_the_task_says_so(app, client, api):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    token = web_login(client, "env_clerk")
    assert client.get(f"/tasks/{task_id}").status_code == 200
    assert (
        api.post(
            f"/tasks/{task_id}/complete", user="env_clerk", json={"data": {"accept_outcome": "accept"}}
        ).status_code
        == 200
    )
    before = _snapshot()
    resp = client.post(
        f"/tasks/{task_id}",
        data={"csrf_token": token, "accept_outcome": "refuse", "refuse_reason": "x", "remedy_rights": "y"},
    )
    assert resp.status_code == 409 and "已办结" in resp.data.decode()
    assert _snapshot() == before


def test_add_row_without_javascript_saves_nothing(app, client, api):
    case_no = submit_case(api)
    api.post(
        f"/tasks/{open_task_id(api, case_no, 'env_clerk')}/complete",
        user="env_clerk",
        json={"data": {"accept_outcome": "accept"}},
    )
    api.post(
        f"/tasks/{open_task_id(api, case_no, 'env_reviewer')}/complete",
        user="env_reviewer",
        json={
            "data": {
                "review_outcome": "expert_review",
                "review_opinion": "需论证",
                "expert_review_reason": "参数存疑",
                "expected_duration_wd": 12,
            }
        },
    )
    task_id = open_task_id(api, case_no, "env_reviewer")
    token = web_login(client, "env_reviewer")
    page = client.get(f"/tasks/{task_id}").data.decode()
    assert 'name="experts-2-name"' in page and 'name="experts-3-name"' not in page
    before = _snapshot()
    resp = client.post(
        f"/tasks/{task_id}", data={"csrf_token": token, "_add": "experts", "experts-0-name": "王立新"}
    )
    page = resp.data.decode()
    assert resp.status_code == 200 and 'name="experts-3-name"' in page and "王立新" in page
    assert _snapshot() == before
