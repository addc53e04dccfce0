"""Statutory documents are generated from case events, numbered uniquely, and kept with their PDF."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import CaseDocument, Session
from app.services import documents
from app.services.auth import Actor
from tests.web.helpers import open_task_id, submit_case

# 机关代字 + 文种代字 + 〔year〕 + the department's sequence number of that kind in that year
NUMBER_RE = re.compile(r"^厦环(收|受|补|不受|特|延|许|不许)〔\d{4}〕[1-9]\d*号$")


def _complete(api, case_no, user, data):
    resp = api.post(f"/tasks/{open_task_id(api, case_no, user)}/complete", user=user, json={"data": data})
    assert resp.status_code == 200, resp.get_json()


def _docs(case_no=None):
    """The documents issued after filing (every case also has its receipt, tested on its own)."""
    Session.remove()
    return list(
        Session.scalars(select(CaseDocument).where(CaseDocument.kind != "receipt").order_by(CaseDocument.id))
    )


def test_acceptance_produces_an_acceptance_notice_with_pdf(app, api):
    case_no = submit_case(api)
    _complete(api, case_no, "env_clerk", {"accept_outcome": "accept"})
    (doc,) = _docs()
    assert doc.kind == "acceptance_notice" and doc.title == "受理通知书"
    assert NUMBER_RE.match(doc.number)
    assert doc.content["case_no"] == case_no
    assert doc.pdf is None  # rendered on first download, not inside the caseworker's save
    from app.models import User
    from app.services.auth import Actor
    from app.services.documents import document_pdf

    with app.app_context():
        clerk = Actor.of(Session.scalar(select(User).where(User.username == "env_clerk")))
        _, pdf = document_pdf(clerk, case_no, doc.id)
    (stored,) = _docs()
    assert pdf.startswith(b"%PDF") and stored.pdf == pdf and len(stored.sha256) == 64


def test_refusal_produces_a_refusal_decision_with_reason_and_remedy(app, api):
    case_no = submit_case(api)
    _complete(
        api,
        case_no,
        "env_clerk",
        {
            "accept_outcome": "refuse",
            "refuse_reason": "不属于本机关职权范围",
            "remedy_rights": "可申请行政复议",
        },
    )
    (doc,) = _docs()
    assert doc.kind == "refusal_decision"
    assert any("不属于本机关职权范围" in p for p in doc.content["paragraphs"])
    assert "可申请行政复议。" in doc.content["paragraphs"]  # the remedy the clerk wrote, as a sentence


def test_extension_and_denial_produce_their_notices(app, api):
    from tests.factories import applicant_of, scenario

    flow = scenario("hazardous_waste_licence", "accept_inspect_approve")
    resp = api.post(
        "/cases",
        "applicant",
        json={
            "item_code": "hazardous_waste_licence",
            "applicant": applicant_of(flow["application"]),
            "data": flow["application"],
        },
    )
    case_no = resp.get_json()["case_no"]
    steps = {s["task"]: s["data"] for s in flow["steps"] if "task" in s}
    _complete(api, case_no, "env_clerk", {"accept_outcome": "accept"})
    _complete(api, case_no, "env_reviewer", steps["review"])
    _complete(api, case_no, "env_reviewer", steps["site_inspection"])
    _complete(
        api,
        case_no,
        "env_decider",
        {
            "decision": "extend",
            "decision_reason": "需延期",
            "extension_days": 5,
            "extension_reason": "情况复杂",
        },
    )
    _complete(api, case_no, "env_head", {"extension_approved": True})
    _complete(
        api,
        case_no,
        "env_decider",
        {
            "decision": "deny",
            "decision_reason": "不予许可",
            "deny_reason": "不符合排放标准",
            "remedy_rights": "可申请行政复议",
        },
    )
    kinds = [d.kind for d in _docs()]
    assert kinds == ["acceptance_notice", "extension_notice", "denial_decision"]
    extension = _docs()[1]
    assert any("延长5个工作日" in p for p in extension.content["paragraphs"])
    numbers = [d.number for d in _docs()]
    assert len(set(numbers)) == 3 and all(NUMBER_RE.match(n) for n in numbers)
    receipt = Session.scalar(select(CaseDocument).where(CaseDocument.kind == "receipt"))
    assert "收〔" in receipt.number and NUMBER_RE.match(receipt.number)  # the office's own 收件 sequence


def test_a_rejected_task_leaves_no_document(app, api):
    case_no = submit_case(api)
    task_id = open_task_id(api, case_no, "env_clerk")
    resp = api.post(
        f"/tasks/{task_id}/complete", user="env_clerk", json={"data": {"accept_outcome": "correct"}}
    )
    assert resp.status_code == 422
    assert _docs() == []


def test_pdf_of_another_departments_case_is_not_found(app, api):
    case_no = submit_case(api)
    _complete(api, case_no, "env_clerk", {"accept_outcome": "accept"})
    (doc,) = _docs()
    with app.app_context():
        from app.models import User

        tr = Actor.of(Session.scalar(select(User).where(User.username == "tr_clerk")))
        with pytest.raises(documents.NotFound):
            documents.document_pdf(tr, case_no, doc.id)


def test_a_missing_font_is_named_in_the_error(monkeypatch):
    from app.services import pdf

    monkeypatch.setenv("TONGBAN_CJK_FONT", "/nonexistent/other.ttf")
    with pytest.raises(pdf.FontMissing, match="/nonexistent/other.ttf"):
        pdf.find_cjk_font()
    monkeypatch.delenv("TONGBAN_CJK_FONT")
    monkeypatch.setattr(pdf, "FONT_CANDIDATES", ("/nonexistent/font.ttc",))
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    pdf._system_font.cache_clear()
    try:
        with pytest.raises(pdf.FontMissing, match="fonts-noto-cjk"):
            pdf.find_cjk_font()
    finally:
        pdf._system_font.cache_clear()
