"""补正 and 撤回 online: the applicant replaces exactly the materials the correction notice lists, in one
submission, all or nothing; withdraws before a decision with a reason and a confirmation (409 after)."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from tests.conftest import DEMO_PASSWORD
from tests.factories import open_task, submit
from tests.portal.helpers import PDF, PNG, walk

NOTICE = [
    {"material": "eia_report", "reason": "缺少编制单位盖章页"},
    {"material": "eia_report_public_version", "reason": "公开版本含有个人信息"},
]


def _login(client, username: str = "applicant") -> str:
    client.get("/account/login")
    with client.session_transaction() as sess:
        csrf = sess["csrf"]
    resp = client.post(
        "/account/login", data={"identifier": username, "password": DEMO_PASSWORD, "csrf_token": csrf}
    )
    assert resp.status_code == 303, resp.data.decode()[:500]
    with client.session_transaction() as sess:
        return sess["csrf"]


def _correcting(api) -> str:
    case_no = submit(api)
    task = open_task(api, case_no, "accept")
    data = {"accept_outcome": "correct", "deficient_materials": NOTICE}
    assert api.post(f"/tasks/{task['id']}/complete", "env_clerk", json={"data": data}).status_code == 200
    return case_no


def _state(case_no: str):
    from app.models import AuditEvent, Case, Material, Session

    Session.remove()
    case = Session.scalar(select(Case).where(Case.case_no == case_no))
    return (
        case.status,
        case.lock_version,
        Session.scalar(select(func.count()).select_from(Material).where(Material.case_id == case.id)),
        Session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case.id)),
    )


def _post(client, case_no, csrf, files, **fields):
    data = {"csrf_token": csrf, **fields}
    for code, (body, name) in files.items():
        data[f"material-{code}"] = (io.BytesIO(body), name)
    return client.post(f"/my/cases/{case_no}/supplement", data=data, content_type="multipart/form-data")


def test_the_supplement_page_lists_each_material_of_the_notice_with_its_reason(app, api, client):
    case_no = _correcting(api)
    csrf = _login(client)
    page = client.get(f"/my/cases/{case_no}").data.decode()
    assert f'href="/my/cases/{case_no}/supplement"' in page
    form = client.get(f"/my/cases/{case_no}/supplement").data.decode()
    assert form.count('class="supplement-item') == 2
    assert "缺少编制单位盖章页" in form and "公开版本含有个人信息" in form
    assert 'name="material-eia_report"' in form and 'name="material-application_letter"' not in form
    assert csrf


def test_one_submission_replaces_the_listed_materials_and_returns_the_case_to_acceptance(app, api, client):
    from app.models import Case, Material, Session

    case_no = _correcting(api)
    csrf = _login(client)
    files = {"eia_report": (PDF, "报告表-盖章.pdf"), "eia_report_public_version": (PDF, "公开版本.pdf")}
    resp = _post(
        client, case_no, csrf, files, **{"note-eia_report": "已补盖章页", "supplement_note": "按通知补正"}
    )
    assert resp.status_code == 303, resp.data.decode()[:3000]
    Session.remove()
    case = Session.scalar(select(Case).where(Case.case_no == case_no))
    assert case.status == "accepting" and case.waiting_for is None
    (correction,) = case.clock_inputs["correction"]
    assert correction["end"] is not None and correction["supplemented"] == [
        "eia_report",
        "eia_report_public_version",
    ]
    rows = Session.scalars(select(Material).where(Material.case_id == case.id, Material.round == 1)).all()
    assert sorted((m.code, m.filename) for m in rows) == [
        ("eia_report", "报告表-盖章.pdf"),
        ("eia_report_public_version", "公开版本.pdf"),
    ]
    accept = open_task(api, case_no, "accept")  # the clerk decides on acceptance anew
    assert accept["bpmn_id"] == "accept"
    assert client.get(f"/my/cases/{case_no}/supplement").status_code == 409


def test_a_material_the_notice_does_not_list_is_422_and_changes_nothing(app, api, client):
    case_no = _correcting(api)
    csrf = _login(client)
    before = _state(case_no)
    files = {
        "eia_report": (PDF, "a.pdf"),
        "eia_report_public_version": (PDF, "b.pdf"),
        "application_letter": (PDF, "c.pdf"),
    }
    resp = _post(client, case_no, csrf, files)
    assert resp.status_code == 422
    assert "补正通知未列出此材料" in resp.data.decode()
    assert _state(case_no) == before


def test_a_listed_material_left_out_or_a_file_that_is_not_its_format_is_422_and_changes_nothing(
    app, api, client
):
    case_no = _correcting(api)
    csrf = _login(client)
    before = _state(case_no)
    resp = _post(client, case_no, csrf, {"eia_report": (PDF, "a.pdf")})
    assert resp.status_code == 422
    page = resp.data.decode()
    assert 'id="material-eia_report_public_version-error"' in page and "必须上传此材料" in page
    # the second file claims to be a PDF but is a PNG: the sniffing refuses it, the first is not kept either
    resp = _post(
        client, case_no, csrf, {"eia_report": (PDF, "a.pdf"), "eia_report_public_version": (PNG, "b.pdf")}
    )
    assert resp.status_code == 422
    assert 'id="material-eia_report_public_version-error"' in resp.data.decode()
    assert _state(case_no) == before


def test_the_api_supplement_may_only_name_materials_of_the_notice(app, api):
    case_no = _correcting(api)
    before = _state(case_no)
    outside = {"materials": [{"material": "application_letter", "note": "顺便补一份"}]}
    resp = api.post(f"/cases/{case_no}/supplements", "applicant", json={"data": outside})
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "not_in_correction_notice"
    assert "审批申请书" in resp.get_json()["error"]["message"]
    assert _state(case_no) == before


def test_withdrawing_needs_a_reason_and_the_confirmation_then_ends_the_case_with_a_notice(app, api, client):
    from app.models import Case, CaseDocument, Session

    case_no = submit(api)
    csrf = _login(client)
    page = client.get(f"/my/cases/{case_no}").data.decode()
    assert f'href="/my/cases/{case_no}/withdraw"' in page
    before = _state(case_no)
    resp = client.post(f"/my/cases/{case_no}/withdraw", data={"csrf_token": csrf, "reason": "项目取消"})
    assert resp.status_code == 422 and "请勾选确认撤回" in resp.data.decode()
    resp = client.post(
        f"/my/cases/{case_no}/withdraw", data={"csrf_token": csrf, "confirm": "on", "reason": " "}
    )
    assert resp.status_code == 422 and "撤回理由" in resp.data.decode()
    assert _state(case_no) == before
    resp = client.post(
        f"/my/cases/{case_no}/withdraw",
        data={"csrf_token": csrf, "confirm": "on", "reason": "项目取消，不再建设"},
    )
    assert resp.status_code == 303
    Session.remove()
    case = Session.scalar(select(Case).where(Case.case_no == case_no))
    assert case.status == "withdrawn" and case.light is None
    kinds = Session.scalars(select(CaseDocument.kind).where(CaseDocument.case_id == case.id)).all()
    assert "termination_notice" in kinds
    page = client.get(f"/my/cases/{case_no}").data.decode()
    assert "申请已撤回" in page and f'href="/my/cases/{case_no}/withdraw"' not in page


def test_withdrawing_after_the_decision_is_409_on_the_page_and_over_the_api(app, api, client):
    case_no = submit(api)
    walk(api, case_no, "eia_report_form", "accept_approve", until="issue_result")  # decided, not delivered
    csrf = _login(client)
    before = _state(case_no)
    assert "本件已作出决定或已结束，不能撤回" in client.get(f"/my/cases/{case_no}/withdraw").data.decode()
    resp = client.post(
        f"/my/cases/{case_no}/withdraw", data={"csrf_token": csrf, "confirm": "on", "reason": "不要了"}
    )
    assert resp.status_code == 409
    api_resp = api.post(f"/cases/{case_no}/withdraw", "applicant", json={"reason": "不要了"})
    assert api_resp.status_code == 409 and api_resp.get_json()["error"]["code"] == "already_decided"
    assert _state(case_no) == before
