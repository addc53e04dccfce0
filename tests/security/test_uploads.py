"""Uploaded materials: the bytes must be the declared format (an HTML/PDF polyglot is refused), and
a material is always served as a download with its checked type, nosniff and a sandbox CSP."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from fpdf import FPDF
from PIL import Image
from sqlalchemy import func, select

from app.models import Material, Session
from tests.web.helpers import submit_case, web_login


def _pdf() -> bytes:
    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text="Environmental impact report")
    return bytes(doc.output())


def _image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 16), (200, 30, 30)).save(buf, format=fmt)
    return buf.getvalue()


POLYGLOT = (
    b"%PDF-1.4\n%<html><body><script>fetch('/api/v1/users').then(r=>r.text()).then(alert)</script></body></html>\n"
    b"1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _upload(client, case_no, code, filename, body):
    return client.post(
        f"/my/cases/{case_no}/materials",  # the applicant's own case on the portal
        data={"code": code, "file": (io.BytesIO(body), filename), "csrf_token": _csrf(client)},
        content_type="multipart/form-data",
    )


def _csrf(client):
    with client.session_transaction() as sess:
        return sess["csrf"]


def _count() -> int:
    Session.remove()
    return Session.scalar(select(func.count()).select_from(Material))


@pytest.fixture
def case_no(api):
    return submit_case(api)


@pytest.fixture
def applicant(client):
    web_login(client, "applicant")
    return client


@pytest.mark.parametrize(
    ("code", "filename", "body"),
    [
        ("application_letter", "letter.pdf", _pdf()),
        ("project_filing_document", "filing.png", _image("PNG")),
        ("project_filing_document", "filing.jpg", _image("JPEG")),
    ],
)
def test_real_files_of_the_declared_format_are_accepted(applicant, case_no, code, filename, body):
    before = _count()
    resp = _upload(applicant, case_no, code, filename, body)
    assert resp.status_code == 303
    assert _count() == before + 1


PNG = _image("PNG")
JPEG = _image("JPEG")


@pytest.mark.parametrize(
    ("code", "filename", "body", "reason"),
    [
        ("application_letter", "letter.pdf", POLYGLOT, "网页或脚本"),
        ("application_letter", "letter.pdf", b"<html><script>alert(1)</script></html>", "不符"),
        ("application_letter", "letter.pdf", PNG, "不符"),
        ("application_letter", "letter.pdf", b"%PDF-1.7\nno trailer at all", "文件尾"),
        (
            "application_letter",
            "letter.pdf",
            _pdf().replace(
                b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"
            ),
            "脚本",
        ),
        ("project_filing_document", "filing.png", PNG + b"<html><script>alert(1)</script>", "PNG 结束后"),
        ("project_filing_document", "filing.png", PNG[:-20], "PNG"),
        (
            "project_filing_document",
            "filing.png",
            PNG[:-12] + _chunk(b"tEXt", b"c\x00<script>x</script>") + PNG[-12:],
            "脚本",
        ),
        ("project_filing_document", "filing.jpg", JPEG + b"<script>alert(1)</script>", "JPEG"),
        ("project_filing_document", "filing.jpg", JPEG[:-2] + b"<svg onload=alert(1)>\xff\xd9", "网页或脚本"),
    ],
)
def test_files_whose_bytes_do_not_match_their_format_are_refused(
    applicant, case_no, code, filename, body, reason
):
    before = _count()
    resp = _upload(applicant, case_no, code, filename, body)
    assert resp.status_code == 422  # the case page again, with the reason; nothing stored
    page = resp.data.decode()
    assert "文件内容不符合" in page and reason in page
    assert _count() == before


def test_the_polyglot_is_refused_by_the_service_with_a_clear_field_error(app, case_no):
    from app.services.errors import ValidationFailed
    from app.services.materials import upload_material
    from tests.factories import actor

    with pytest.raises(ValidationFailed) as err:
        upload_material(actor("applicant"), case_no, "application_letter", "x.pdf", io.BytesIO(POLYGLOT))
    assert err.value.code == "file_content_mismatch"
    assert err.value.details == [{"field": "file", "message": "文件中含有网页或脚本内容，不予接收"}]


def test_a_material_is_served_as_an_attachment_with_its_checked_type(applicant, case_no):
    _upload(applicant, case_no, "project_filing_document", "scan.png", PNG)
    Session.remove()
    material_id = Session.scalar(select(Material.id).order_by(Material.id.desc()))
    resp = applicant.get(f"/my/cases/{case_no}/materials/{material_id}")
    assert resp.status_code == 200 and resp.data == PNG
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"
