"""The supervision pages through the test client: access, forms with bad input, exports, the PDF report."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.models import Session, SupervisionOrder, User
from app.services import alerts
from app.services.auth import Actor
from tests.supervision.conftest import at, submit
from tests.web.helpers import web_login


@pytest.fixture
def red_case(app):
    """A case whose acceptance ran out (red), swept on a frozen clock; no app context is kept."""
    with app.app_context():
        people = {u.username: Actor.of(u) for u in Session.scalars(select(User))}
        case = submit(people, "2026-03-02")
        alerts.sweep(None, at("2026-03-10"))
        case_no = case.case_no
        Session.remove()
    return case_no


def test_the_cockpit_is_for_supervisors_only(client, red_case):
    assert client.get("/supervision/").status_code == 302  # to the login page
    web_login(client, "env_clerk")
    assert client.get("/supervision/").status_code == 403
    client.post("/logout", data={"csrf_token": web_login(client, "env_clerk")})
    web_login(client, "supervisor")
    page = client.get("/supervision/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and red_case in html and 'data-light="red">1<' in html


def test_a_bad_order_form_is_shown_again_with_the_problem_and_nothing_is_issued(client, red_case):
    token = web_login(client, "supervisor")
    resp = client.post(
        "/supervision/orders",
        data={"csrf_token": token, "case_no": red_case, "instruction": "请说明", "reply_wd": "abc"},
    )
    assert resp.status_code == 422 and "reply_wd" in resp.get_data(as_text=True)
    with client.application.app_context():
        assert Session.scalar(select(func.count()).select_from(SupervisionOrder)) == 0
        Session.remove()
    ok = client.post(
        "/supervision/orders",
        data={"csrf_token": token, "case_no": red_case, "instruction": "请说明", "reply_wd": "2"},
    )
    assert ok.status_code == 303 and "/supervision/orders/" in ok.headers["Location"]


def test_the_department_replies_to_an_order_on_its_page(client, red_case):
    token = web_login(client, "supervisor")
    location = client.post(
        "/supervision/orders",
        data={"csrf_token": token, "case_no": red_case, "instruction": "请说明", "reply_wd": "2"},
    ).headers["Location"]
    token = web_login(client, "env_decider")
    page = client.get(location).get_data(as_text=True)
    assert 'id="reply-form"' in page
    assert client.post(f"{location}/reply", data={"csrf_token": token, "reply": ""}).status_code == 422
    done = client.post(f"{location}/reply", data={"csrf_token": token, "reply": "已督促受理"})
    assert done.status_code == 303
    assert "已督促受理" in client.get(location).get_data(as_text=True)
    web_login(client, "tr_decider")
    assert client.get(location).status_code == 404


def test_lists_export_to_excel(client, red_case):
    web_login(client, "supervisor")
    resp = client.get("/supervision/export/overdue.xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "办件编号" and rows[1][0] == red_case and len(rows) == 2
    assert client.get("/supervision/export/alerts.xlsx").status_code == 200
    assert client.get("/supervision/export/nonsense.xlsx").status_code == 422


def test_the_monthly_report_is_a_pdf_with_a_chinese_font(app, client, red_case):
    from app.services.pdf import FontMissing, find_cjk_font
    from tests.supervision.reporting import monthly_pdf, request_report

    try:
        find_cjk_font()
    except FontMissing:
        pytest.skip("no CJK font (apt-get install fonts-noto-cjk or fonts-wqy-microhei)")
    token = web_login(client, "supervisor")
    resp = monthly_pdf(app, client, token, "2026-03")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    assert b"FontFile2" in resp.data or b"FontFile" in resp.data  # the CJK font is embedded
    assert request_report(client, token, "2026-3x").status_code == 422


def test_the_heat_map_page_lists_the_steps(client, red_case):
    web_login(client, "supervisor")
    page = client.get("/supervision/heatmap/eia_report_form?days=366")
    assert page.status_code == 200 and 'data-bpmn-id="accept"' in page.get_data(as_text=True)
    xml = client.get("/supervision/heatmap/eia_report_form/diagram.bpmn")
    assert xml.status_code == 200 and b"eia_report_form" in xml.data
    assert client.get("/supervision/heatmap/no_such_item").status_code == 404
    sub = client.get("/supervision/heatmap/eia_report_form?days=366&process=eia_report_form_expert_review")
    assert sub.status_code == 200 and 'data-process="eia_report_form"' in sub.get_data(as_text=True)
    sub_xml = client.get(
        "/supervision/heatmap/eia_report_form/diagram.bpmn?process=eia_report_form_expert_review"
    )
    assert b'id="eia_report_form_expert_review"' in sub_xml.data
    assert client.get("/supervision/heatmap/eia_report_form?process=nope").status_code == 422
