"""The receipt (收件回执) is a statutory document issued when a case is filed: case number, query code,
item, the materials received and the time of receipt; the applicant downloads it, the window prints it."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from tests.portal.helpers import PDF
from tests.portal.test_intake import REISSUE, REISSUE_REQUIRED, _counts, _csrf, _files, _form
from tests.web.helpers import web_login


def _receipt(case_no: str):
    from app.models import Case, CaseDocument, Session

    Session.remove()
    case = Session.scalar(select(Case).where(Case.case_no == case_no))
    docs = Session.scalars(
        select(CaseDocument).where(CaseDocument.case_id == case.id, CaseDocument.kind == "receipt")
    ).all()
    assert len(docs) == 1, [d.kind for d in docs]
    return case, docs[0]


def _text(pdf: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is needed to read the PDF: make browser")
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def _window_intake(client) -> str:
    token = web_login(client, "window_clerk")
    form = _form("road_cert_reissue")
    data = form | {"csrf_token": token, "id_checked": "on", "id_no_read": form["applicant_id_number"]}
    resp = client.post(
        f"/window/new/{REISSUE}", data=data | _files(REISSUE_REQUIRED), content_type="multipart/form-data"
    )
    assert resp.status_code == 303, resp.data.decode()[:2000]
    return resp.headers["Location"].rsplit("/", 1)[-1]


def test_a_window_intake_issues_a_receipt_listing_each_material_received_and_the_time(app, client):
    case_no = _window_intake(client)
    case, doc = _receipt(case_no)
    content = doc.content
    text = "\n".join(content["paragraphs"])
    rows = dict(content["rows"])
    # 机关代字 of the district transport bureau + 收 (receipt) + year + its own sequence number
    assert doc.title == "收件回执" and re.match(r"^湖交收〔\d{4}〕[1-9]\d*号$", doc.number)
    assert rows["办件编号"] == case_no and rows["查询码"] == case.query_code
    assert "道路运输证补发" in rows["申请事项"] and rows["收件方式"].startswith(
        "窗口收件（厦门市政务服务中心"
    )
    local = case.submitted_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert rows["收件时间"] == f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    assert len(content["items"]) == len(REISSUE_REQUIRED)
    assert all(
        f"（{code}.pdf）" in line for line, code in zip(content["items"], REISSUE_REQUIRED, strict=True)
    )
    assert "即办件" in text  # 道路运输证补发 is handled on the spot

    page = client.get(f"/window/receipts/{case_no}").data.decode()
    assert f'/window/receipts/{case_no}.pdf"' in page
    resp = client.get(f"/window/receipts/{case_no}.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    printed = _text(resp.data)
    assert case_no in printed and case.query_code in printed and "收件回执" in printed


def test_the_applicant_downloads_the_receipt_of_an_online_application_and_the_notice_links_it(app, client):
    from app.models import CaseNotice, Session
    from tests.conftest import Api
    from tests.portal.helpers import register_person, token_of

    api = Api(client)
    person = register_person(api)
    token = token_of(api, person["mobile"])
    # the wizard: log in through the public login, then apply with the files
    client.get("/account/login")
    csrf = _csrf(client)
    resp = client.post(
        "/account/login",
        data={"identifier": person["mobile"], "password": "Portal-pass-1", "csrf_token": csrf},
    )
    assert resp.status_code == 303
    form = _form(
        "road_cert_reissue",
        applicant_name=person["name"],
        applicant_id_number=person["id_no"],
        applicant_kind="person",
    )
    resp = client.post(
        f"/apply/{REISSUE}",
        data=form | {"csrf_token": _csrf(client), "confirm": "on"} | _files(REISSUE_REQUIRED),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 303, resp.data.decode()[:3000]
    case_no = resp.headers["Location"].rsplit("/", 1)[-1]
    case, doc = _receipt(case_no)
    assert dict(doc.content["rows"])["收件方式"] == "网上申请"
    notice = Session.scalar(
        select(CaseNotice).where(CaseNotice.case_id == case.id, CaseNotice.event == "submitted")
    )
    assert notice.document_id == doc.id
    page = client.get(f"/my/cases/{case_no}").data.decode()
    assert f"/my/cases/{case_no}/documents/{doc.id}.pdf" in page
    pdf = client.get(f"/my/cases/{case_no}/documents/{doc.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert case_no in _text(pdf.data)
    # over the API too, with the applicant's token
    docs = client.get(f"/api/v1/cases/{case_no}/documents", headers={"Authorization": f"Bearer {token}"})
    assert docs.status_code == 200 and docs.get_json()["documents"][0]["kind"] == "receipt"


def test_a_material_whose_bytes_are_not_its_format_refuses_the_whole_application_before_any_row(app, client):
    """The sniffing runs before the case is filed: a fake PDF names its material and writes nothing."""
    from app.models import CaseDocument, Session

    before = _counts()
    Session.remove()
    docs_before = Session.scalar(select(func.count()).select_from(CaseDocument))
    token = web_login(client, "window_clerk")
    form = _form("road_cert_reissue")
    data = form | {"csrf_token": token, "id_checked": "on", "id_no_read": form["applicant_id_number"]}
    files = _files(REISSUE_REQUIRED)
    # a PDF header with HTML inside: the leading bytes pass, the content sniffing refuses it
    files["material-vehicle_licence"] = (
        io.BytesIO(PDF.replace(b"%%EOF", b"<script>alert(1)</script>\n%%EOF")),
        "vehicle_licence.pdf",
    )
    resp = client.post(f"/window/new/{REISSUE}", data=data | files, content_type="multipart/form-data")
    assert resp.status_code == 422
    page = resp.data.decode()
    assert 'id="material-vehicle_licence-error"' in page and "脚本" in page
    assert _counts() == before
    Session.remove()
    assert Session.scalar(select(func.count()).select_from(CaseDocument)) == docs_before


def test_a_case_filed_over_the_api_before_its_files_says_so_on_the_receipt(app, api):
    from tests.factories import submit

    case_no = submit(api)  # POST /cases with submitted_materials declared, files to follow
    _case, doc = _receipt(case_no)
    assert re.match(r"^厦环收〔\d{4}〕[1-9]\d*号$", doc.number)  # the department's receipt sequence
    assert doc.content["items"] and all("材料随后上传" in line for line in doc.content["items"])
    assert any("前作出是否受理的决定" in p for p in doc.content["paragraphs"])
