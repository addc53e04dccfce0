"""GET /api/v1/cases/{case_no} answers the applicant in plain language (public step names, dates, the
promised limit, what to do next, documents, messages) and staff with the full case file."""

from __future__ import annotations

import json

from tests.factories import open_task, submit
from tests.portal.helpers import walk

NOTICE = [{"material": "eia_report", "reason": "缺少编制单位盖章页"}]
STAFF_ONLY = {"history", "open_tasks", "data", "process_version", "clocks", "applicant", "waiting_for"}


def _correcting(api) -> str:
    case_no = submit(api)
    task = open_task(api, case_no, "accept")
    data = {"accept_outcome": "correct", "deficient_materials": NOTICE}
    assert api.post(f"/tasks/{task['id']}/complete", "env_clerk", json={"data": data}).status_code == 200
    return case_no


def test_the_applicant_reads_what_to_do_next_with_the_materials_and_reasons_of_the_notice(app, api):
    case_no = _correcting(api)
    doc = api.get(f"/cases/{case_no}", "applicant").get_json()
    assert not STAFF_ONLY & set(doc), STAFF_ONLY & set(doc)
    assert doc["status"] == "correcting" and doc["status_name"]["zh"] == "待补正材料"
    assert doc["current_steps"] == [{"zh": "待申请人补正材料", "en": "Waiting for your corrected materials"}]
    assert doc["next_action"]["code"] == "supplement" and doc["clock"]["paused"] is True
    assert doc["correction"]["round"] == 1
    assert doc["correction"]["materials"] == [
        {
            "code": "eia_report",
            "name": doc["correction"]["materials"][0]["name"],
            "reason": "缺少编制单位盖章页",
        }
    ]
    assert doc["correction"]["materials"][0]["name"]["zh"].startswith("建设项目环境影响报告表")
    assert [d["kind"] for d in doc["documents"]] == ["receipt", "correction_notice"]
    assert doc["documents"][1]["url"] == f"/api/v1/cases/{case_no}/documents/{doc['documents'][1]['id']}.pdf"
    assert [n["event"] for n in doc["notices"]] == ["submitted", "correction_requested"]
    assert doc["notices"][1]["document_id"] == doc["documents"][1]["id"]
    text = json.dumps(doc, ensure_ascii=False)
    for internal in ("env_clerk", "clerk", "reviewer", "accept_outcome", "deficient_materials"):
        assert internal not in text, internal
    pdf = api.get(doc["documents"][1]["url"].removeprefix("/api/v1"), "applicant")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_staff_keep_the_full_case_file(app, api):
    case_no = _correcting(api)
    doc = api.get(f"/cases/{case_no}", "env_clerk").get_json()
    assert STAFF_ONLY <= set(doc)
    assert doc["history"][-1]["actor"] == "env_clerk" and doc["waiting_for"] == "supplement"


def test_the_applicant_document_follows_the_case_to_its_decision(app, api):
    case_no = submit(api)
    walk(api, case_no, "eia_report_form", "accept_approve", until="issue_result")
    doc = api.get(f"/cases/{case_no}", "applicant").get_json()
    assert doc["accepted_on"] and doc["decided_on"] and doc["may_withdraw"] is False
    assert doc["current_steps"] and all("zh" in s and "en" in s for s in doc["current_steps"])
    assert "approval_decision" in [d["kind"] for d in doc["documents"]]
    assert [n["event"] for n in doc["notices"]][-1] == "decided_approved"
    names = [step["name"]["zh"] for step in doc["timeline"]]
    assert names[0] == "提交申请" and len(names) >= 4


def test_the_supplement_and_withdraw_answers_are_the_applicants_document_too(app, api):
    case_no = _correcting(api)
    supplement = {"materials": [{"material": "eia_report", "note": "已补盖章页"}]}
    answer = api.post(f"/cases/{case_no}/supplements", "applicant", json={"data": supplement}).get_json()
    assert answer["status"] == "accepting" and "history" not in answer and answer["correction"] is None
    answer = api.post(f"/cases/{case_no}/withdraw", "applicant", json={"reason": "项目取消"}).get_json()
    assert answer["status"] == "withdrawn" and answer["documents"][-1]["kind"] == "termination_notice"


def test_the_openapi_document_declares_the_applicants_case_document(api):
    schemas = api.get("/openapi.json").get_json()["components"]["schemas"]
    mine = set(schemas["ApplicantCaseOut"]["properties"])
    assert {"status_name", "current_steps", "timeline", "clock", "next_action", "correction"} <= mine
    assert {"documents", "notices", "materials", "query_code", "may_withdraw"} <= mine
    assert not STAFF_ONLY & mine
