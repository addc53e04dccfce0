"""The licence PDF: content, a 2-D code to the public verification page, and a PAdES signature.

Rendering (fpdf2, CJK font) and signing (pyHanko, PAdES B-B with the department's certificate from
app.services.licence_keys) cost about a second, so they are not done inside the caseworker's step: the
record is issued and SM2-signed in the step, the PDF is made by the scheduler job ``licence_pdfs`` or on
the first download, whichever comes first, and kept (``licence.pdf``). Nothing is lost: a licence
without its PDF is simply still on the job's list.
"""

from __future__ import annotations

import hashlib
import io
import logging
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from app.models import Licence, Session
from app.services import licence_keys
from app.services.context import ctx
from app.services.pdf import FONT_NAME, FontMissing, new_pdf

log = logging.getLogger("tongban.licences")


def verify_url(lic: Licence) -> str:
    base = ctx().settings.public_url
    return f"{base}/licences/verify?" + urlencode({"licence_no": lic.licence_no, "code": lic.verify_code})


def _qr_png(text: str) -> bytes:
    import qrcode

    img = qrcode.make(text, box_size=6, border=2)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _cn(d: date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "长期"


def _value(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def render(lic: Licence) -> bytes:
    pdf = new_pdf(f"{lic.type_name} {lic.licence_no}", margins=20)
    pdf.set_font(FONT_NAME, size=22)
    pdf.cell(0, 14, lic.type_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_NAME, size=11)
    pdf.cell(0, 8, f"证照编号：{lic.licence_no}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows = [
        ("持证主体", lic.holder_name),
        ("统一社会信用代码" if lic.holder_kind == "entity" else "身份证件号码", lic.holder_id_no),
        ("发证机关", lic.issuer_name),
        ("发证日期", _cn(lic.issued_on)),
        ("有效期", f"{_cn(lic.valid_from)} 至 {_cn(lic.valid_until)}" if lic.valid_until else "长期有效"),
    ]
    content = lic.content or {}
    rows += [(f["label"], _value(f["value"])) for f in content.get("fields") or []]
    if content.get("decision_document"):
        rows.append(("许可决定书文号", content["decision_document"]))
    if content.get("paper_number"):
        rows.append(("纸质证书编号", content["paper_number"]))
    if content.get("review_after_years"):
        rows.append(
            (
                "提示",
                f"自批准之日起超过{content['review_after_years']}年方决定开工建设的，应当报原审批部门重新审核",
            )
        )
    pdf.set_font(FONT_NAME, size=12)
    for label, value in rows:
        pdf.set_x(pdf.l_margin)
        pdf.cell(45, 9, label, border=1)
        pdf.multi_cell(0, 9, value or "—", border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    y = pdf.get_y()
    pdf.image(io.BytesIO(_qr_png(verify_url(lic))), x=pdf.l_margin, y=y, w=36, h=36)
    pdf.set_xy(pdf.l_margin + 42, y)
    pdf.set_font(FONT_NAME, size=10)
    pdf.multi_cell(
        0,
        6,
        "扫描二维码或访问“证照核验”页面，输入证照编号和核验码，核验本证照是否真实有效。\n"
        f"核验码：{lic.verify_code}\n"
        f"数据摘要（SM3）：{lic.digest[:32]}\n{lic.digest[32:]}\n"
        f"签名密钥：{lic.department_code}/{lic.key_id}（SM2）",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_y(max(pdf.get_y(), y + 40))
    pdf.set_font(FONT_NAME, size=12)
    pdf.cell(0, 8, lic.issuer_name, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 8, _cn(lic.issued_on), align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def sign(pdf_bytes: bytes, lic: Licence) -> bytes:
    """PAdES B-B signature (invisible field) by the issuing department's certificate."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key_path, cert_path = licence_keys.pades_files(lic.department_code, lic.issuer_name)
    signer = signers.SimpleSigner.load(str(key_path), str(cert_path))
    if signer is None:
        raise RuntimeError(f"cannot load the PDF signing key of {lic.department_code}")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    meta = signers.PdfSignatureMetadata(
        field_name="LicenceSignature",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=f"电子证照 {lic.licence_no}",
        location=lic.issuer_name,
        md_algorithm="sha256",
    )
    out = signers.sign_pdf(writer, meta, signer=signer)
    return bytes(out.getvalue())


def ensure_pdf(lic: Licence) -> bytes:
    """The signed PDF of a licence, made now if it has none yet (the caller commits)."""
    if lic.pdf is None:
        body = sign(render(lic), lic)
        lic.pdf, lic.pdf_sha256 = body, hashlib.sha256(body).hexdigest()
    return lic.pdf


def make_pdf(licence_id: int) -> str:
    """The background job of one licence: its signed PDF, committed ("made"; "done" if it had one
    already, "gone" if the licence is not there). A missing font or key raises: the job is retried."""
    lic = Session.get(Licence, licence_id)
    if lic is None:
        return "gone"
    if lic.pdf is not None:
        return "done"
    ensure_pdf(lic)
    Session.commit()
    return "made"


def make_pending_pdfs(limit: int = 20) -> dict[str, Any]:
    """The job: PDFs of licences that have none yet (one commit each; a font problem is reported)."""
    ids = list(
        Session.scalars(select(Licence.id).where(Licence.pdf.is_(None)).order_by(Licence.id).limit(limit))
    )
    made: list[str] = []
    for lic_id in ids:
        lic = Session.get(Licence, lic_id)
        if lic is None or lic.pdf is not None:
            continue
        try:
            ensure_pdf(lic)
        except FontMissing as exc:
            Session.rollback()
            return {"made": made, "error": exc.message}
        Session.commit()
        made.append(lic.licence_no)
    return {"made": made}
