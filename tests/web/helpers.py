"""Shared helpers of the web tests: demo application data, page login, CSRF token."""

from __future__ import annotations

import copy

from tests.conftest import DEMO_PASSWORD

APPLICATION = {
    "applicant_kind": "entity",
    "applicant_name": "厦门海沧新材料科技有限公司",
    "applicant_id_number": "91350200MA2Y8K3Q1P",
    "legal_representative": "陈建国",
    "contact_name": "林晓燕",
    "contact_phone": "13859201234",
    "contact_address": "厦门市海沧区新阳工业区阳光西路88号",
    "project_name": "年产5000吨水性涂料生产线建设项目",
    "project_location": "厦门市海沧区新阳工业区阳光西路88号",
    "construction_nature": "new",
    "industry_category": "C2641 涂料制造",
    "eia_catalogue_row": "coating_264",
    "total_investment_10k_cny": 3200,
    "env_investment_10k_cny": 180,
    "eia_preparer_name": "福建省环科环境技术咨询有限公司",
    "eia_preparer_uscc": "91350200MA34T6H0FA",
    "submitted_materials": ["application_letter", "eia_report", "project_filing_document"],
}
APPLICANT = {
    "kind": "entity",
    "name": "厦门海沧新材料科技有限公司",
    "id_no": "91350200MA2Y8K3Q1P",
    "phone": "13859201234",
}


def submit_case(api, applicant_name: str | None = None) -> str:
    applicant = dict(APPLICANT)
    data = copy.deepcopy(APPLICATION)
    if applicant_name:
        applicant["name"] = applicant_name
        data["applicant_name"] = applicant_name
    resp = api.post(
        "/cases",
        user="applicant",
        json={"item_code": "eia_report_form", "applicant": applicant, "data": data},
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["case_no"]


def open_task_id(api, case_no: str, user: str) -> int:
    doc = api.get(f"/cases/{case_no}", user=user).get_json()
    (task,) = doc["open_tasks"]
    return task["id"]


def web_login(client, username: str) -> str:
    """Log the test client in through the login page; returns the session's CSRF token."""
    client.get("/login")
    with client.session_transaction() as sess:
        token = sess["csrf"]
    resp = client.post("/login", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, resp.data.decode()[:500]
    with client.session_transaction() as sess:
        return sess["csrf"]


def visible_text(html: str) -> str:
    """The text a reader sees: tags, attributes, scripts and styles removed."""
    import re
    from html import unescape

    html = re.sub(r"(?is)<(script|style|template)\b.*?</\1>", " ", html)
    return unescape(re.sub(r"<[^>]+>", " ", html))
