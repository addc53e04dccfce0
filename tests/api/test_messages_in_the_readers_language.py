"""Service messages are in the reader's language: zh-CN by default, English when the API client asks
with ``Accept-Language: en`` — one language at a time, never both in one sentence (the pages' side:
tests/portal/test_intake.py)."""

from __future__ import annotations

import re

from tests.portal.helpers import fresh_mobile
from tests.results.helpers import walk

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")
EN = {"Accept-Language": "en"}


def _error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == code
    return error


def _chinese_only(text: str, *values: str) -> None:
    for value in values:
        text = text.replace(value, "")
    assert CJK.search(text) and not LATIN.search(text), text


def _english_only(text: str) -> None:
    assert LATIN.search(text) and not CJK.search(text), text


def test_rating_twice_is_refused_in_the_readers_language(api):
    case_no = walk(api, "road_freight_permit", "accept_approve")
    assert api.post(f"/cases/{case_no}/rating", "applicant", json={"score": 5}).status_code == 201
    zh = _error(api.post(f"/cases/{case_no}/rating", "applicant", json={"score": 5}), 409, "already_rated")
    assert zh["message"] == "该办件已评价，每件只能评价一次"
    _chinese_only(zh["message"])
    en = _error(
        api.post(f"/cases/{case_no}/rating", "applicant", json={"score": 5}, headers=dict(EN)),
        409,
        "already_rated",
    )
    assert en["message"] == "This case has already been rated; each case can be rated once"
    _english_only(en["message"])


def test_a_code_asked_again_too_soon_and_a_bad_mobile_number_in_either_language(api):
    mobile = fresh_mobile()
    assert api.post("/auth/mobile-code", json={"mobile": mobile}).status_code == 202
    zh = _error(api.post("/auth/mobile-code", json={"mobile": mobile}), 429, "code_too_soon")
    seconds = re.search(r"\d+", zh["message"]).group()
    assert zh["message"] == f"验证码已发送，请 {seconds} 秒后再试"
    _chinese_only(zh["message"], seconds)
    en = _error(
        api.post("/auth/mobile-code", json={"mobile": mobile}, headers=dict(EN)), 429, "code_too_soon"
    )
    assert re.fullmatch(r"A code was just sent; try again in \d+ seconds", en["message"]), en["message"]
    _english_only(en["message"])

    zh = _error(api.post("/auth/mobile-code", json={"mobile": "12345"}), 422, "validation_failed")
    assert zh["message"] == "手机号码格式不正确"
    assert zh["details"] == [{"field": "mobile", "message": "请输入 11 位手机号码"}]
    en = _error(
        api.post("/auth/mobile-code", json={"mobile": "12345"}, headers=dict(EN)), 422, "validation_failed"
    )
    assert en["message"] == "Invalid mobile number"
    assert en["details"] == [{"field": "mobile", "message": "Enter an 11-digit mobile number"}]
    _english_only(en["message"] + en["details"][0]["message"])


def test_a_missing_draft_is_named_in_the_readers_language(api):
    zh = _error(api.get("/drafts/987654321", "applicant"), 404, "draft_not_found")
    assert zh["message"] == "草稿 987654321 不存在"
    _chinese_only(zh["message"], "987654321")
    en = _error(api.get("/drafts/987654321", "applicant", headers=dict(EN)), 404, "draft_not_found")
    assert en["message"] == "There is no draft 987654321"
    _english_only(en["message"])


def test_a_missing_licence_is_named_in_the_readers_language(api):
    number = "NO-SUCH-LICENCE"
    zh = _error(api.get(f"/licences/{number}", "applicant"), 404, "licence_not_found")
    assert zh["message"] == f"证照 {number} 不存在"
    _chinese_only(zh["message"], number)
    en = _error(api.get(f"/licences/{number}", "applicant", headers=dict(EN)), 404, "licence_not_found")
    assert en["message"] == f"There is no licence {number}"
    _english_only(en["message"].replace(number, ""))
