"""Public progress lookup (query code, no personal data, rate limit) and the case lists of the API."""

from __future__ import annotations

import json

from tests.factories import applicant_of, scenario
from tests.web.helpers import APPLICANT, open_task_id, submit_case


def _submit(api, slug="eia_report_form", user="applicant"):
    application = scenario(slug, "accept_approve")["application"]
    resp = api.post(
        "/cases", user, json={"item_code": slug, "applicant": applicant_of(application), "data": application}
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def test_the_create_answer_and_the_case_document_carry_the_query_code(api):
    created = _submit(api)
    assert len(created["query_code"]) == 8
    doc = api.get(f"/cases/{created['case_no']}", "applicant").get_json()
    assert doc["query_code"] == created["query_code"]


def test_progress_answers_without_login_with_public_words_and_no_personal_data(api):
    created = _submit(api)
    resp = api.get(f"/progress/{created['case_no']}", query_string={"code": created["query_code"].lower()})
    body = resp.get_json()
    assert resp.status_code == 200
    assert body["status"] == "accepting" and body["status_name"]["zh"] == "受理审查中"
    assert body["current_steps"] == [{"zh": "受理审查", "en": "Acceptance check"}]
    assert [s["name"]["zh"] for s in body["timeline"]] == ["提交申请", "受理审查"]
    text = json.dumps(body, ensure_ascii=False)
    application = scenario("eia_report_form", "accept_approve")["application"]
    for private in (
        application["applicant_name"],
        application["applicant_id_number"],
        application["contact_phone"],
        "clerk",
        "env_clerk",
    ):
        assert private not in text, private


def test_progress_with_a_wrong_code_or_case_is_404_alike(api):
    created = _submit(api)
    wrong = api.get(f"/progress/{created['case_no']}", query_string={"code": "AAAAAAAA"})
    missing = api.get("/progress/TB20260101000000018", query_string={"code": created["query_code"]})
    garbage = api.get("/progress/nonsense", query_string={"code": ""})
    assert {wrong.status_code, missing.status_code, garbage.status_code} == {404}
    assert wrong.get_json()["error"] == missing.get_json()["error"]


def test_progress_follows_the_case_through_correction(api):
    created = _submit(api)
    case_no, code = created["case_no"], created["query_code"]
    task = open_task_id(api, case_no, "env_clerk")
    data = {
        "accept_outcome": "correct",
        "deficient_materials": [{"material": "eia_report", "reason": "缺少编制单位承诺书"}],
    }
    assert api.post(f"/tasks/{task}/complete", "env_clerk", json={"data": data}).status_code == 200
    body = api.get(f"/progress/{case_no}", query_string={"code": code}).get_json()
    assert body["status"] == "correcting" and body["current_steps"][0]["zh"] == "待申请人补正材料"
    assert body["timeline"][1]["completed_on"] is not None


def test_progress_lookup_is_rate_limited(app, api, client, monkeypatch):
    from app.limiter import limiter

    created = _submit(api)
    monkeypatch.setattr(app.config["TONGBAN"], "public_rate_limit", "3 per minute")
    with app.app_context():
        limiter.reset()
    answers = [
        api.get(f"/progress/{created['case_no']}", query_string={"code": created["query_code"]}).status_code
        for _ in range(3)
    ]
    assert answers == [200, 200, 200]
    blocked = api.get(f"/progress/{created['case_no']}", query_string={"code": created["query_code"]})
    assert blocked.status_code == 429 and blocked.get_json()["error"]["code"] == "too_many_requests"
    page = client.get("/progress")
    assert page.status_code == 429 and "操作过于频繁" in page.data.decode()  # the page shares the counter


def test_progress_page_shows_the_result_and_a_wrong_code_message(client, api):
    created = _submit(api)
    client.get("/progress")
    with client.session_transaction() as sess:
        token = sess["csrf"]
    ok = client.post(
        "/progress", data={"csrf_token": token, "case_no": created["case_no"], "code": created["query_code"]}
    )
    page = ok.data.decode()
    assert ok.status_code == 200 and "受理审查中" in page and "生态环境局" in page
    assert APPLICANT["name"] not in page
    bad = client.post(
        "/progress", data={"csrf_token": token, "case_no": created["case_no"], "code": "WRONG234"}
    )
    assert bad.status_code == 404 and "查询码不正确" in bad.data.decode()


def test_case_list_gives_an_applicant_only_their_own_cases(api):
    mine = _submit(api, user="applicant")["case_no"]
    theirs = _submit(api, user="applicant2")["case_no"]
    listed = [c["case_no"] for c in api.get("/cases", "applicant").get_json()["cases"]]
    assert mine in listed and theirs not in listed
    row = next(c for c in api.get("/cases", "applicant").get_json()["cases"] if c["case_no"] == mine)
    assert row["status_name"]["zh"] == "受理审查中" and row["light"] is None


def test_case_list_gives_staff_their_department_with_filters(api):
    env = _submit(api, "eia_report_form")["case_no"]
    road = _submit(api, "road_freight_permit")["case_no"]
    env_list = [c["case_no"] for c in api.get("/cases", "env_clerk").get_json()["cases"]]
    assert env in env_list and road not in env_list
    filtered = api.get(
        "/cases", "tr_reviewer", query_string={"item_code": "road_freight_permit", "status": "accepting"}
    )
    assert [c["case_no"] for c in filtered.get_json()["cases"]] == [road]
    assert api.get("/cases", "env_clerk", query_string={"status": "completed"}).get_json()["cases"] == []
    oversight = [c["case_no"] for c in api.get("/cases", "supervisor").get_json()["cases"]]
    assert {env, road} <= set(oversight)


def test_case_list_arguments_are_checked(api):
    for args, field in (
        ({"per_page": "1000"}, "per_page"),
        ({"status": "nope"}, "status"),
        ({"colour": "red"}, "colour"),
    ):
        resp = api.get("/cases", "env_clerk", query_string=args)
        assert resp.status_code == 422 and resp.get_json()["error"]["details"][0]["field"] == field
    assert api.get("/cases").status_code == 401


def test_applicant_case_page_speaks_plainly_and_shows_the_correction(client, api):
    from tests.web.helpers import web_login

    case_no = submit_case(api)
    task = open_task_id(api, case_no, "env_clerk")
    data = {
        "accept_outcome": "correct",
        "deficient_materials": [
            {"material": "eia_report_public_version", "reason": "公开版本未删除个人信息"}
        ],
    }
    assert api.post(f"/tasks/{task}/complete", "env_clerk", json={"data": data}).status_code == 200
    web_login(client, "applicant")
    page = client.get(f"/my/cases/{case_no}").data.decode()
    assert "待补正材料" in page and 'data-next="supplement"' in page
    assert "公开版本未删除个人信息" in page and "补正材料通知书" in page
    for internal in ("env_clerk", "clerk", "accept_outcome", "deficient_materials", "受理审查</a>"):
        assert internal not in page, internal
    listing = client.get("/my/cases").data.decode()
    assert case_no in listing and "待申请人补正材料" in listing


def test_applicant_downloads_the_correction_notice_from_the_portal(client, api):
    from app.services.pdf import FontMissing, find_cjk_font
    from tests.web.helpers import web_login

    try:
        find_cjk_font()
    except FontMissing:
        import pytest

        pytest.skip("no CJK font")
    case_no = submit_case(api)
    task = open_task_id(api, case_no, "env_clerk")
    data = {
        "accept_outcome": "correct",
        "deficient_materials": [{"material": "eia_report", "reason": "缺页"}],
    }
    api.post(f"/tasks/{task}/complete", "env_clerk", json={"data": data})
    web_login(client, "applicant")
    page = client.get(f"/my/cases/{case_no}").data.decode()
    href = page.split('data-kind="correction_notice"')[0].rsplit('href="', 1)[1].split('"')[0]
    resp = client.get(href)
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")


def test_someone_elses_case_page_is_404(client, api):
    from tests.web.helpers import web_login

    case_no = submit_case(api)
    web_login(client, "applicant2")
    assert client.get(f"/my/cases/{case_no}").status_code == 404


def test_staff_get_403_on_applicant_pages(client):
    from tests.web.helpers import web_login

    web_login(client, "env_clerk")
    assert client.get("/my/cases").status_code == 403
