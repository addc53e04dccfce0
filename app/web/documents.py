"""Statutory documents of a case: the PDF download."""

from __future__ import annotations

from flask import Blueprint, Response

from app.models.vocab import CASEWORKER_ROLES, OVERSIGHT_ROLES
from app.services import documents as document_service
from app.web.auth import login_required

bp = Blueprint("documents", __name__, url_prefix="/cases")


@bp.get("/<case_no>/documents/<id:document_id>.pdf")
@login_required(*CASEWORKER_ROLES, *OVERSIGHT_ROLES)  # applicants: the portal
def pdf(actor, case_no: str, document_id: int):
    doc, body = document_service.document_pdf(actor, case_no, document_id)
    filename = f"{doc.title}-{case_no}-{doc.id}.pdf"
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=document-{doc.id}.pdf; filename*=UTF-8''{_quote(filename)}"
    )
    return resp


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
