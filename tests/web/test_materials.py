"""Materials through the real app: upload on the case page, the content-addressed store, download.

Routes: staff ``POST /cases/<case_no>/materials`` (clerks of its department) and
``GET /cases/<case_no>/materials/<id>`` (staff who may see the case); the applicant's own
``POST /my/cases/<case_no>/materials`` and ``GET /my/cases/<case_no>/materials/<id>`` on the portal. The API has no material routes
today. Files are real PDF/JPEG/PNG documents made with fpdf2 and Pillow; the store is the app's own
``<TONGBAN_DATA_DIR>/files``.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image
from sqlalchemy import func, select

from app.models import AuditEvent, Case, Material, Session
from app.services.context import ctx
from tests.web.helpers import submit_case, web_login

MiB = 1024 * 1024


def pdf_bytes(text: str = "Tongban material") -> bytes:
    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text=text)
    return bytes(doc.output())


def image_bytes(fmt: str, colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format=fmt)
    return out.getvalue()


# material code (eia_report_form) -> accepted formats: eia_report [pdf]; project_filing_document and
# authorization_letter [pdf, jpg, png]
ACCEPTED = [
    ("eia_report", "环境影响报告表.pdf", pdf_bytes, "application/pdf"),
    ("project_filing_document", "备案文件.jpg", lambda: image_bytes("JPEG"), "image/jpeg"),
    ("authorization_letter", "委托书.png", lambda: image_bytes("PNG"), "image/png"),
]


def store() -> Path:
    return ctx().settings.data_dir / "files"


def stored_files() -> set[Path]:
    """Every file in the store, temporary ones included."""
    root = store()
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def snapshot():
    Session.remove()
    return (
        Session.scalar(select(func.count()).select_from(Material)),
        Session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "material.upload")
        ),
        stored_files(),
    )


def base(client) -> str:
    """Applicants work on the portal (/my/cases), staff in the workspace (/cases)."""
    return "/my/cases" if getattr(client, "is_applicant", False) else "/cases"


def upload(client, case_no: str, csrf: str, code: str, filename: str, body: bytes):
    return client.post(
        f"{base(client)}/{case_no}/materials",
        data={"csrf_token": csrf, "code": code, "file": (io.BytesIO(body), filename)},
        content_type="multipart/form-data",
    )


def uploaded(case_no: str, code: str) -> Material:
    """The one uploaded file of ``code`` (rows declared at filing have no bytes and an empty hash)."""
    Session.remove()
    case_id = Session.scalar(select(Case.id).where(Case.case_no == case_no))
    (row,) = Session.scalars(
        select(Material).where(Material.case_id == case_id, Material.code == code, Material.sha256 != "")
    )
    return row


@pytest.fixture
def case_no(api):
    return submit_case(api)


@pytest.fixture
def applicant(app, case_no):
    client = app.test_client()
    client.is_applicant = True
    return client, web_login(client, "applicant")


def as_user(app, username: str):
    client = app.test_client()
    web_login(client, username)
    return client


@pytest.mark.parametrize(("code", "filename", "make", "content_type"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_the_applicant_uploads_each_accepted_format_and_gets_the_same_bytes_back(
    app, case_no, applicant, code, filename, make, content_type
):
    client, csrf = applicant
    body = make()
    resp = upload(client, case_no, csrf, code, filename, body)
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"/my/cases/{case_no}#materials")
    assert "材料已上传" in client.get(f"/my/cases/{case_no}").data.decode()

    row = uploaded(case_no, code)
    sha = hashlib.sha256(body).hexdigest()
    assert (row.filename, row.content_type, row.size, row.sha256) == (filename, content_type, len(body), sha)
    assert (store() / sha[:2] / sha).read_bytes() == body
    audit = Session.scalar(select(AuditEvent).where(AuditEvent.action == "material.upload"))
    assert audit.target == code and audit.after == {"filename": filename, "size": len(body), "sha256": sha}

    download = client.get(f"/my/cases/{case_no}/materials/{row.id}")
    assert download.status_code == 200 and download.data == body
    assert download.mimetype == content_type
    assert download.headers["Content-Length"] == str(len(body))
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    clerk = app.test_client()
    web_login(clerk, "env_clerk")
    inline = clerk.get(f"/cases/{case_no}/materials/{row.id}")
    assert inline.status_code == 200 and inline.data == body


def test_department_staff_and_supervisors_download_the_applicants_file(app, case_no, applicant):
    client, csrf = applicant
    body = pdf_bytes("report for the department")
    assert upload(client, case_no, csrf, "eia_report", "report.pdf", body).status_code == 303
    row = uploaded(case_no, "eia_report")
    for user in ("env_clerk", "env_reviewer", "env_decider", "supervisor"):
        resp = as_user(app, user).get(f"/cases/{case_no}/materials/{row.id}?download=1")
        assert resp.status_code == 200, user
        assert resp.data == body and resp.mimetype == "application/pdf", user
        assert resp.headers["Content-Disposition"] == "attachment; filename=report.pdf", user
    page = as_user(app, "env_clerk").get(f"/cases/{case_no}").data.decode()
    assert (
        f"/cases/{case_no}/materials/{row.id}" in page
    )  # a download link (materials are never shown inline)


def test_another_applicant_and_another_department_get_404_for_the_file_and_the_upload(
    app, api, case_no, applicant
):
    client, csrf = applicant
    body = pdf_bytes("private")
    assert upload(client, case_no, csrf, "eia_report", "private.pdf", body).status_code == 303
    row = uploaded(case_no, "eia_report")
    for user in ("applicant2", "tr_clerk", "tr_decider"):
        other = app.test_client()
        other.is_applicant = user.startswith("applicant")
        other_csrf = web_login(other, user)
        resp = other.get(f"{base(other)}/{case_no}/materials/{row.id}?download=1")
        assert resp.status_code == 404 and body not in resp.data, user
        before = snapshot()
        if user != "tr_decider":  # deciders may not upload at all (403 before the case is looked at)
            resp = upload(other, case_no, other_csrf, "eia_report", "other.pdf", pdf_bytes(user))
            assert resp.status_code == 404, user
        assert snapshot() == before
    # a material of this case asked for under another case's number is not found either
    own_case = submit_case(api, applicant_name="厦门另一家公司")
    resp = client.get(f"/my/cases/{own_case}/materials/{row.id}")
    assert resp.status_code == 404
    assert client.get(f"/my/cases/{case_no}/materials/{row.id + 1000}").status_code == 404


WRONG = [
    ("an extension the material does not accept", "eia_report", "报告表.exe", pdf_bytes, "文件格式须为 pdf"),
    (
        "an image for a pdf-only material",
        "eia_report",
        "报告表.jpg",
        lambda: image_bytes("JPEG"),
        "文件格式须为 pdf",
    ),
    ("png bytes named .pdf", "eia_report", "报告表.pdf", lambda: image_bytes("PNG"), "文件内容不符合"),
    ("a pdf named .png", "authorization_letter", "委托书.png", pdf_bytes, "文件内容不符合"),
    ("an empty file", "eia_report", "报告表.pdf", lambda: b"", "文件为空"),
    ("no extension", "eia_report", "报告表", pdf_bytes, "文件格式须为 pdf"),
    ("a material the item does not have", "tax_return", "税单.pdf", pdf_bytes, "该事项没有这项材料"),
]


@pytest.mark.parametrize(("why", "code", "filename", "make", "message"), WRONG, ids=[w[0] for w in WRONG])
def test_a_wrong_file_is_refused_with_422_and_a_reason_and_nothing_is_stored(
    case_no, applicant, why, code, filename, make, message
):
    client, csrf = applicant
    before = snapshot()
    resp = upload(client, case_no, csrf, code, filename, make())
    assert resp.status_code == 422, why
    page = resp.data.decode()
    assert re.search(rf'class="flash flash-error">[^<]*{message}', page), why
    assert snapshot() == before


def test_a_post_without_a_file_is_refused_with_422(case_no, applicant):
    client, csrf = applicant
    before = snapshot()
    resp = client.post(
        f"{base(client)}/{case_no}/materials",
        data={"csrf_token": csrf, "code": "eia_report"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422 and "请选择要上传的文件" in resp.data.decode()
    assert snapshot() == before


def test_a_file_over_the_limit_is_refused_with_413_and_nothing_is_stored(case_no, applicant):
    client, csrf = applicant
    limit = ctx().settings.max_upload_mb * MiB
    head = pdf_bytes()
    before = snapshot()
    # one byte over the service's limit (the request itself is still under MAX_CONTENT_LENGTH)
    resp = upload(client, case_no, csrf, "eia_report", "big.pdf", head + b"\0" * (limit + 1 - len(head)))
    assert resp.status_code == 413
    assert f"文件超过 {ctx().settings.max_upload_mb} MB" in resp.data.decode()
    assert snapshot() == before
    # a request bigger than MAX_CONTENT_LENGTH is cut off by the server before the service sees it
    resp = upload(client, case_no, csrf, "eia_report", "bigger.pdf", head + b"\0" * (limit + 128 * 1024))
    assert resp.status_code == 413 and "上传的文件过大" in resp.data.decode()
    assert snapshot() == before


def test_the_same_bytes_are_stored_once_whoever_uploads_them_for_whichever_case(app, api, case_no, applicant):
    client, csrf = applicant
    body = pdf_bytes("one file, three uploads")
    sha = hashlib.sha256(body).hexdigest()
    files_before = stored_files()
    assert upload(client, case_no, csrf, "eia_report", "a.pdf", body).status_code == 303
    assert upload(client, case_no, csrf, "eia_report_public_version", "b.pdf", body).status_code == 303
    clerk = app.test_client()
    clerk_csrf = web_login(clerk, "env_clerk")
    second_case = submit_case(api, applicant_name="厦门另一家公司")
    assert upload(clerk, second_case, clerk_csrf, "eia_report", "c.pdf", body).status_code == 303

    Session.remove()
    rows = Session.scalars(select(Material).where(Material.sha256 == sha).order_by(Material.id)).all()
    assert [r.filename for r in rows] == ["a.pdf", "b.pdf", "c.pdf"]
    assert stored_files() - files_before == {store() / sha[:2] / sha}
    for row, who, number in ((rows[0], client, case_no), (rows[2], clerk, second_case)):
        resp = who.get(f"{base(who)}/{number}/materials/{row.id}?download=1")
        assert resp.status_code == 200 and resp.data == body
