"""A 422 names the field without echoing the whole invalid value (a 5 MB field gave a 5 MB error)."""

from __future__ import annotations

import copy

from tests.web.helpers import APPLICANT, APPLICATION

FIVE_MB = 5_000_000


def _post(api, **body):
    payload = {"item_code": "eia_report_form", "applicant": APPLICANT, "data": APPLICATION, **body}
    return api.post("/cases", user="applicant", json=payload)


def test_a_huge_invalid_value_is_not_echoed(api):
    data = copy.deepcopy(APPLICATION)
    data["contact_phone"] = "1" * FIVE_MB
    resp = _post(api, data=data)
    error = resp.get_json()["error"]
    assert resp.status_code == 422 and error["code"] == "validation_failed"
    assert len(resp.data) < 10_000
    assert {"field": "contact_phone", "message": "格式不正确"} in error["details"]


def test_a_huge_unknown_field_name_is_cut_in_message_and_details(api):
    resp = _post(api, **{"x" * FIVE_MB: 1})
    error = resp.get_json()["error"]
    assert resp.status_code == 422 and len(resp.data) < 10_000
    (detail,) = error["details"]
    assert detail["field"].startswith("xxxx") and f"共 {FIVE_MB} 个字符" in detail["field"]
    assert "已截断" in error["message"]


def test_a_huge_unknown_form_field_is_cut_too(api):
    data = copy.deepcopy(APPLICATION)
    data["y" * FIVE_MB] = 1
    resp = _post(api, data=data)
    assert resp.status_code == 422 and len(resp.data) < 10_000
    assert resp.get_json()["error"]["details"][0]["message"] == "不允许的字段"


def test_thousands_of_bad_fields_give_a_bounded_list(api):
    resp = _post(api, **{f"f{i}": i for i in range(5000)})
    details = resp.get_json()["error"]["details"]
    assert resp.status_code == 422 and len(details) == 101
    assert details[-1] == "另有 4900 项 / 4900 more"
    assert len(resp.data) < 50_000


def test_a_short_invalid_value_still_gets_the_full_message(api):
    resp = api.post("/auth/token", json={"username": "x", "pasword": "y"})
    fields = {d["field"] for d in resp.get_json()["error"]["details"]}
    assert resp.status_code == 422 and fields == {"password", "pasword"}
