"""Application drafts kept server-side (wizard and API), and the materials API of a case.

A draft is its owner's alone; it is submitted once its required materials are there, with every check of
a direct filing, and becomes exactly one case that carries the draft's files and a receipt listing them.
"""

from __future__ import annotations

import io

from sqlalchemy import func, select

from tests.factories import scenario, submit
from tests.portal.helpers import PDF, PNG, bearer, register_person, token_of
from tests.portal.test_supplement_withdraw import _login

EIA = "350200-SXHJ-XK-0001"
REQUIRED = ["application_letter", "eia_report", "eia_report_public_version"]


def _application() -> dict:
    data = dict(scenario("eia_report_form", "accept_approve")["application"])
    data.pop("submitted_materials")
    return data


def _attach(client, token, draft_id, code, body=PDF, name=None):
    return client.post(
        f"/api/v1/drafts/{draft_id}/materials",
        data={"code": code, "file": (io.BytesIO(body), name or f"{code}.pdf")},
        content_type="multipart/form-data",
        headers=bearer(token),
    )


def _cases() -> int:
    from app.models import Case, Session

    Session.remove()
    return Session.scalar(select(func.count()).select_from(Case))


def test_a_draft_is_filled_in_step_by_step_and_submitted_once_its_required_materials_are_there(app, api):
    from app.models import Case, CaseDocument, Material, Session

    person = register_person(api)
    token = token_of(api, person["mobile"])
    c = api.client
    data = _application()
    half = {k: data[k] for k in ("applicant_kind", "applicant_name", "project_name")}
    created = c.post("/api/v1/drafts", json={"item_code": EIA, "data": half}, headers=bearer(token))
    assert created.status_code == 201, created.get_json()
    draft = created.get_json()
    assert draft["data"] == half and draft["missing_materials"] == REQUIRED and draft["case_no"] is None
    draft_id = draft["id"]
    assert c.put(f"/api/v1/drafts/{draft_id}", json={"data": data}, headers=bearer(token)).status_code == 200
    for code in REQUIRED[:2]:
        assert _attach(c, token, draft_id, code).status_code == 201
    shown = c.get(f"/api/v1/drafts/{draft_id}", headers=bearer(token)).get_json()
    assert shown["missing_materials"] == ["eia_report_public_version"] and len(shown["files"]) == 2

    before = _cases()
    early = c.post(f"/api/v1/drafts/{draft_id}/submit", headers=bearer(token))
    assert early.status_code == 422
    assert [d["field"] for d in early.get_json()["error"]["details"]] == [
        "material-eia_report_public_version"
    ]
    assert _cases() == before
    assert c.get(f"/api/v1/drafts/{draft_id}", headers=bearer(token)).get_json()["submitted_at"] is None

    assert _attach(c, token, draft_id, "eia_report_public_version", name="公开版.pdf").status_code == 201
    resp = c.post(f"/api/v1/drafts/{draft_id}/submit", headers=bearer(token))
    assert resp.status_code == 201, resp.get_json()
    answer = resp.get_json()
    assert answer["status"] == "accepting" and len(answer["query_code"]) == 8
    Session.remove()
    case = Session.scalar(select(Case).where(Case.case_no == answer["case_no"]))
    assert case.applicant_user_id == person["user"]["id"]
    stored = Session.scalars(select(Material).where(Material.case_id == case.id, Material.sha256 != "")).all()
    assert sorted(m.code for m in stored) == sorted(REQUIRED) and {m.round for m in stored} == {0}
    receipt = Session.scalar(
        select(CaseDocument).where(CaseDocument.case_id == case.id, CaseDocument.kind == "receipt")
    )
    assert any("公开版.pdf" in line for line in receipt.content["items"])
    after = c.get(f"/api/v1/drafts/{draft_id}", headers=bearer(token)).get_json()
    assert after["case_no"] == answer["case_no"] and after["submitted_at"] is not None
    assert c.get("/api/v1/drafts", headers=bearer(token)).get_json()["drafts"] == []
    again = c.post(f"/api/v1/drafts/{draft_id}/submit", headers=bearer(token))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "draft_submitted"
    assert _cases() == before + 1


def test_another_users_draft_is_not_found_and_staff_keep_no_drafts(app, api):
    owner = register_person(api)
    owner_token = token_of(api, owner["mobile"])
    draft_id = api.client.post(
        "/api/v1/drafts", json={"item_code": EIA}, headers=bearer(owner_token)
    ).get_json()["id"]
    other = bearer(token_of(api, register_person(api)["mobile"]))
    c = api.client
    assert c.get(f"/api/v1/drafts/{draft_id}", headers=other).status_code == 404
    assert c.put(f"/api/v1/drafts/{draft_id}", json={"data": {}}, headers=other).status_code == 404
    assert (
        _attach(c, token_of(api, register_person(api)["mobile"]), draft_id, "eia_report").status_code == 404
    )
    assert c.post(f"/api/v1/drafts/{draft_id}/submit", headers=other).status_code == 404
    assert c.delete(f"/api/v1/drafts/{draft_id}", headers=other).status_code == 404
    assert api.post("/drafts", "env_clerk", json={"item_code": EIA}).status_code == 403
    mine = c.get(f"/api/v1/drafts/{draft_id}", headers=bearer(owner_token)).get_json()
    assert mine["files"] == [] and mine["data"] == {}


def test_a_draft_refuses_unknown_fields_and_files_that_are_not_their_format_and_keeps_what_it_had(app, api):
    token = token_of(api, register_person(api)["mobile"])
    c = api.client
    draft_id = c.post(
        "/api/v1/drafts", json={"item_code": EIA, "data": {"project_name": "甲"}}, headers=bearer(token)
    ).get_json()["id"]
    bad = c.put(f"/api/v1/drafts/{draft_id}", json={"data": {"surprise": 1}}, headers=bearer(token))
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["field"] == "data.surprise"
    fake = _attach(c, token, draft_id, "eia_report", body=PNG, name="report.pdf")
    assert fake.status_code == 422 and fake.get_json()["error"]["code"] == "file_content_mismatch"
    unknown = _attach(c, token, draft_id, "no_such_material")
    assert unknown.status_code == 422
    shown = c.get(f"/api/v1/drafts/{draft_id}", headers=bearer(token)).get_json()
    assert shown["data"] == {"project_name": "甲"} and shown["files"] == []


def test_the_materials_api_takes_files_from_the_applicant_and_the_departments_clerk_only(app, api):
    case_no = submit(api)  # the demo applicant's case: files declared, to follow

    def upload(user, code="eia_report", body=PDF, name="report.pdf"):
        return api.post(
            f"/cases/{case_no}/materials",
            user,
            data={"code": code, "file": (io.BytesIO(body), name)},
            content_type="multipart/form-data",
        )

    ok = upload("applicant")
    assert ok.status_code == 201 and ok.get_json()["code"] == "eia_report" and ok.get_json()["round"] == 0
    assert upload("env_clerk", "project_filing_document").status_code == 201
    assert upload("applicant2").status_code == 404
    assert upload("tr_clerk").status_code == 404
    assert upload("env_reviewer").status_code == 403
    assert upload("applicant", body=PNG).get_json()["error"]["code"] == "file_content_mismatch"
    missing = api.post(
        f"/cases/{case_no}/materials", "applicant", data={}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422 and [d["field"] for d in missing.get_json()["error"]["details"]] == [
        "code",
        "file",
    ]
    listed = api.get(f"/cases/{case_no}/materials", "applicant").get_json()["materials"]
    assert sorted(m["code"] for m in listed) == ["eia_report", "project_filing_document"]


def test_the_wizard_saves_a_draft_and_resumes_it_with_the_files_already_kept(app, client):
    from app.models import ApplicationDraft, Case, Session

    csrf = _login(client)
    fields = {k: str(v) for k, v in _application().items()}
    partial = {
        k: fields[k] for k in ("applicant_kind", "applicant_name", "applicant_id_number", "project_name")
    }
    resp = client.post(
        f"/apply/{EIA}",
        data={
            "csrf_token": csrf,
            "_action": "save_draft",
            **partial,
            "material-eia_report": (io.BytesIO(PDF), "r.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303, resp.data.decode()[:2000]
    assert "?draft=" in resp.headers["Location"]
    draft_id = int(resp.headers["Location"].split("draft=")[1])
    page = client.get(resp.headers["Location"]).data.decode()
    assert 'name="draft_id"' in page and fields["project_name"] in page
    assert 'id="material-eia_report-kept"' in page and "r.pdf" in page
    assert "我的草稿" in client.get("/my/cases").data.decode()
    assert str(draft_id) in client.get("/my/drafts").data.decode()

    files = {
        f"material-{c}": (io.BytesIO(PDF), f"{c}.pdf")
        for c in ("application_letter", "eia_report_public_version")
    }
    resp = client.post(
        f"/apply/{EIA}",
        data={"csrf_token": csrf, "draft_id": str(draft_id), "confirm": "on", **fields, **files},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303, resp.data.decode()[:3000]
    case_no = resp.headers["Location"].rsplit("/", 1)[-1]
    Session.remove()
    draft = Session.get(ApplicationDraft, draft_id)
    case = Session.scalar(select(Case).where(Case.case_no == case_no))
    assert draft.case_id == case.id
    # the draft's link now leads to its case
    again = client.get(f"/apply/{EIA}?draft={draft_id}")
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/my/cases/{case_no}")
