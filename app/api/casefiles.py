"""A case's file over the API: its documents (with the PDF of each) and its materials (list, upload)."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, jsonify, request, url_for

from app.api import bp
from app.api import results as results_api
from app.api.common import current_actor, material_upload
from app.api.schemas import DocumentListOut, MaterialListOut, MaterialOut
from app.security import DOWNLOAD_CSP
from app.services import documents as document_service
from app.services import materials as material_service


def document_rows(case_no: str, docs) -> list[dict]:
    return [
        {
            "id": d.id,
            "kind": d.kind,
            "title": d.title,
            "number": d.number,
            "issued_on": (d.content or {}).get("issued_on"),
            "url": url_for("api.cases_document_pdf", case_no=case_no, document_id=d.id),
        }
        for d in docs
    ]


@bp.get("/cases/<case_no>/documents")
def cases_documents(case_no: str):
    """The statutory documents of a case (收件回执, 受理, 补正, 决定 …), each with its PDF address.
    ---
    get:
      tags: [cases]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: DocumentListOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    docs = document_service.list_documents(actor, case_no)
    return jsonify(DocumentListOut().dump({"documents": document_rows(case_no, docs)}))


@bp.get("/cases/<case_no>/documents/<id:document_id>.pdf")
def cases_document_pdf(case_no: str, document_id: int):
    """One document of a case as PDF (an attachment).
    ---
    get:
      tags: [cases]
      parameters:
        - {in: path, name: case_no, required: true, schema: {type: string}}
        - {in: path, name: document_id, required: true, schema: {type: integer}}
      responses:
        200: {description: The PDF, content: {application/pdf: {schema: {type: string, format: binary}}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        503: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    doc, body = document_service.document_pdf(actor, case_no, document_id)
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    name = quote(f"{doc.title}-{case_no}.pdf", safe="")
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=document-{doc.id}.pdf; filename*=UTF-8''{name}"
    )
    return resp


def material_row(case_no: str, m) -> dict:
    return {
        "id": m.id,
        "code": m.code,
        "filename": m.filename,
        "content_type": m.content_type,
        "size": m.size,
        "sha256": m.sha256,
        "round": m.round,
        "uploaded_at": m.uploaded_at,
    }


@bp.get("/cases/<case_no>/materials")
def cases_materials(case_no: str):
    """The materials received for a case (round 0: the application; n: the n-th supplement).
    ---
    get:
      tags: [cases]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: MaterialListOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    rows = [m for m in material_service.list_materials(actor, case_no) if m.sha256]
    return jsonify(MaterialListOut().dump({"materials": [material_row(case_no, m) for m in rows]}))


@bp.post("/cases/<case_no>/materials")
def cases_material_upload(case_no: str):
    """Add one material to a case: a file (multipart: ``code``, ``file``) from the applicant of the case,
    the window that registered it, or a clerk of the department — format, size and content are checked —
    or, as JSON ``{code, licence_no}``, a held e-licence used instead of a file.
    ---
    post:
      tags: [cases]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json: {schema: LicenceMaterialRequest}
          multipart/form-data:
            schema:
              type: object
              required: [code, file]
              properties:
                code: {type: string, description: the material's code from the item}
                file: {type: string, format: binary}
      responses:
        201:
          content:
            application/json:
              schema:
                oneOf: [MaterialOut, LicenceUseOut]
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        413: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    if request.is_json:
        return results_api.cases_material_licence(case_no)
    actor = current_actor()
    code, upload = material_upload()
    row = material_service.upload_material(actor, case_no, code, upload.filename, upload.stream)
    return jsonify(MaterialOut().dump(material_row(case_no, row))), 201
