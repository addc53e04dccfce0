"""Filing with materials: the online wizard (applicant) and the comprehensive window (walk-in, any department)."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from tests.factories import scenario
from tests.portal.helpers import PDF, PNG
from tests.web.helpers import web_login

REISSUE = "350206-QXJT-GG-0001"  # 道路运输证补发, transport
EIA = "350200-SXHJ-XK-0001"  # 建设项目环境影响报告表审批, env


def _counts():
    from app.models import Case, Material, Session, WindowIntake

    Session.remove()
    return tuple(Session.scalar(select(func.count()).select_from(m)) for m in (Case, Material, WindowIntake))


def _form(slug: str, **override) -> dict:
    """The posted fields of the application form (HTML names) from the item's first scenario."""
    application = dict(
        scenario(slug, "issue" if slug == "road_cert_reissue" else "accept_approve")["application"]
    )
    application.pop("submitted_materials", None)
    application.update(override)
    data = {}
    for key, value in application.items():
        data[key] = str(value)
    return data


def _files(codes, content=PDF, ext="pdf"):
    return {f"material-{c}": (io.BytesIO(content), f"{c}.{ext}") for c in codes}


REISSUE_REQUIRED = [
    "application_form",
    "loss_statement_or_damaged_certificate",
    "vehicle_licence",
    "operator_identity",
]


def _csrf(client):
    with client.session_transaction() as sess:
        return sess["csrf"]


def test_window_registers_another_departments_item_and_prints_the_receipt(app, client, api):
    from app.models import Case, Material, Session, WindowIntake

    token = web_login(client, "window_clerk")
    form = _form("road_cert_reissue")
    data = form | {"csrf_token": token, "id_checked": "on", "id_no_read": form["applicant_id_number"]}
    resp = client.post(
        f"/window/new/{REISSUE}", data=data | _files(REISSUE_REQUIRED), content_type="multipart/form-data"
    )
    assert resp.status_code == 303, resp.data.decode()[:2000]
    receipt = client.get(resp.headers["Location"]).data.decode()
    case_no = receipt.split('class="case-no">')[1].split("<")[0]
    Session.remove()
    case = Session.scalar(select(Case).where(Case.case_no == case_no))
    assert case.department_code == "transport" and case.applicant_user_id is None
    assert case.query_code in receipt and "交通运输局" in receipt and "收件回执" in receipt
    intake = Session.get(WindowIntake, case.id)
    expected_document = {"person": "resident_id_card", "entity": "business_licence"}[form["applicant_kind"]]
    assert intake.department_code == "centre" and intake.id_document == expected_document
    stored = Session.scalars(
        select(Material.code).where(Material.case_id == case.id, Material.sha256 != "")
    ).all()
    assert sorted(stored) == sorted(REISSUE_REQUIRED)
    # handled by the item's department: its clerk has the task, the window does not
    assert any(t["case_no"] == case_no for t in api.get("/tasks", "tr_clerk").get_json()["tasks"])
    assert api.get("/tasks", "window_clerk").get_json()["tasks"] == []
    assert case_no in [c["case_no"] for c in api.get("/cases", "window_clerk").get_json()["cases"]]


def test_window_files_an_env_item_too(client):
    token = web_login(client, "window_clerk")
    form = _form("eia_report_form")
    data = form | {"csrf_token": token, "id_checked": "on", "id_no_read": form["applicant_id_number"]}
    files = _files(["application_letter", "eia_report", "eia_report_public_version"])
    resp = client.post(f"/window/new/{EIA}", data=data | files, content_type="multipart/form-data")
    assert resp.status_code == 303
    assert "生态环境局" in client.get(resp.headers["Location"]).data.decode()


def test_window_refuses_an_unchecked_or_mismatching_id_and_writes_nothing(client):
    token = web_login(client, "window_clerk")
    form = _form("road_cert_reissue")
    before = _counts()
    resp = client.post(
        f"/window/new/{REISSUE}",
        data=form | {"csrf_token": token, "id_no_read": "91350200MA2Y8K3Q1X"} | _files(REISSUE_REQUIRED),
        content_type="multipart/form-data",
    )
    page = resp.data.decode()
    assert resp.status_code == 422 and "请核验申请人证件原件" in page and "证件号码与申请表不一致" in page
    assert _counts() == before


def test_window_cannot_read_cases_it_did_not_register(api):
    from tests.web.helpers import submit_case

    case_no = submit_case(api)
    assert api.get(f"/cases/{case_no}", "window_clerk").status_code == 404


def test_the_window_page_lists_items_of_every_department(client):
    web_login(client, "window_clerk")
    page = client.get("/window/").data.decode()
    assert "建设项目环境影响报告表审批" in page and "道路运输证补发" in page
    assert client.get("/", follow_redirects=False).headers["Location"].endswith("/window/")


def test_other_staff_cannot_use_the_window(client):
    web_login(client, "tr_clerk")
    assert client.get("/window/").status_code == 403


def _apply(client, token, slug, code, files, **override):
    data = _form(slug, **override) | {"csrf_token": token, "confirm": "on"}
    return client.post(f"/apply/{code}", data=data | files, content_type="multipart/form-data")


def test_online_application_files_the_case_with_every_material(client):
    from app.models import Case, Material, Session

    web_login(client, "applicant")
    client.get(f"/apply/{REISSUE}")
    resp = _apply(
        client,
        _csrf(client),
        "road_cert_reissue",
        REISSUE,
        _files(REISSUE_REQUIRED[:2]) | _files(REISSUE_REQUIRED[2:], PNG, "png"),
    )
    assert resp.status_code == 303, resp.data.decode()[:3000]
    case_no = resp.headers["Location"].rsplit("/", 1)[1]
    page = client.get(resp.headers["Location"]).data.decode()
    assert "申请已提交" in page and case_no in page
    Session.remove()
    case = Session.scalar(select(Case).where(Case.case_no == case_no))
    assert case.data["application"]["submitted_materials"] == REISSUE_REQUIRED
    names = Session.scalars(
        select(Material.filename).where(Material.case_id == case.id, Material.sha256 != "")
    ).all()
    assert sorted(names) == sorted(
        [
            "application_form.pdf",
            "loss_statement_or_damaged_certificate.pdf",
            "vehicle_licence.png",
            "operator_identity.png",
        ]
    )


def test_missing_required_material_is_named_and_nothing_is_written(client):
    web_login(client, "applicant")
    client.get(f"/apply/{REISSUE}")
    before = _counts()
    resp = _apply(client, _csrf(client), "road_cert_reissue", REISSUE, _files(REISSUE_REQUIRED[:3]))
    page = resp.data.decode()
    assert (
        resp.status_code == 422
        and 'href="#field-material-operator_identity"' in page
        and "必须上传此材料" in page
        and "this material is required" not in page.lower()
    )
    assert _counts() == before


def test_a_missing_material_is_named_in_english_for_an_english_reader(client):
    web_login(client, "applicant")
    client.get("/lang/en")
    client.get(f"/apply/{REISSUE}")
    before = _counts()
    resp = _apply(client, _csrf(client), "road_cert_reissue", REISSUE, _files(REISSUE_REQUIRED[:3]))
    page = resp.data.decode()
    assert resp.status_code == 422 and 'href="#field-material-operator_identity"' in page
    assert "This material is required" in page and "必须上传此材料" not in page
    assert "Please correct the application" in page and "申请有误" not in page
    assert _counts() == before


def test_a_file_whose_bytes_are_not_its_format_is_refused(client):
    web_login(client, "applicant")
    client.get(f"/apply/{REISSUE}")
    files = _files(REISSUE_REQUIRED[1:]) | {
        "material-application_form": (io.BytesIO(b"MZ\x90\x00not a pdf"), "form.pdf")
    }
    before = _counts()
    resp = _apply(client, _csrf(client), "road_cert_reissue", REISSUE, files)
    assert resp.status_code == 422 and "内容与格式不符" in resp.data.decode()
    wrong_ext = _files(REISSUE_REQUIRED[1:]) | {"material-application_form": (io.BytesIO(PDF), "form.docx")}
    resp = _apply(client, _csrf(client), "road_cert_reissue", REISSUE, wrong_ext)
    assert resp.status_code == 422 and "格式须为 pdf, jpg, png" in resp.data.decode()
    assert _counts() == before


def test_a_bad_id_number_in_the_form_is_named_in_the_users_language(client):
    web_login(client, "applicant")
    client.get(f"/apply/{REISSUE}")
    before = _counts()
    resp = _apply(
        client,
        _csrf(client),
        "road_cert_reissue",
        REISSUE,
        _files(REISSUE_REQUIRED),
        applicant_id_number="350203198506123014",  # check digit should be 3
    )
    page = resp.data.decode()
    assert resp.status_code == 422 and 'href="#field-applicant_id_number"' in page and "校验码" in page
    assert _counts() == before


def test_the_wizard_needs_the_applicants_pledge(client):
    web_login(client, "applicant")
    client.get(f"/apply/{REISSUE}")
    data = _form("road_cert_reissue") | {"csrf_token": _csrf(client)}
    resp = client.post(
        f"/apply/{REISSUE}", data=data | _files(REISSUE_REQUIRED), content_type="multipart/form-data"
    )
    assert resp.status_code == 422 and "请勾选承诺" in resp.data.decode()


def test_the_wizard_prefills_the_registered_identity_and_asks_anonymous_users_to_log_in(client, api):
    from tests.portal.helpers import PASSWORD, register_person

    assert client.get(f"/apply/{REISSUE}").headers["Location"].startswith("/account/login")
    who = register_person(api, name="预填测试人")
    client.get("/account/login")
    client.post(
        "/account/login",
        data={"csrf_token": _csrf(client), "identifier": who["mobile"], "password": PASSWORD},
    )
    page = client.get(f"/apply/{REISSUE}").data.decode()
    assert (
        f'value="{who["id_no"]}"' in page
        and 'value="预填测试人"' in page
        and f'value="{who["mobile"]}"' in page
    )
