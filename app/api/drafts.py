"""Application drafts over the API: create, fill in, attach materials, then submit once complete."""

from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.common import current_actor, load_body, material_upload
from app.api.schemas import CaseCreated, DraftCreate, DraftListOut, DraftOut, DraftSave, DraftSubmit
from app.services import drafts as draft_service


def draft_view(draft) -> dict:
    return {
        "id": draft.id,
        "item_code": draft.item.code,
        "item_name": {"zh": draft.item.name_zh, "en": draft.item.name_en},
        "data": draft.data or {},
        "files": [
            {
                "code": f.code,
                "filename": f.filename,
                "content_type": f.content_type,
                "size": f.size,
                "sha256": f.sha256,
                "uploaded_at": f.uploaded_at,
            }
            for f in draft.files
        ],
        "missing_materials": draft_service.missing_materials(draft),
        "created_at": draft.created_at,
        "updated_at": draft.updated_at,
        "submitted_at": draft.submitted_at,
        "case_no": draft_service.case_no_of(draft),
    }


def _one(draft):
    return jsonify(DraftOut().dump(draft_view(draft)))


@bp.post("/drafts")
def drafts_create():
    """Start an application draft for an item (applicants); the data may be incomplete.
    ---
    post:
      tags: [drafts]
      requestBody: {content: {application/json: {schema: DraftCreate}}}
      responses:
        201: {content: {application/json: {schema: DraftOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(DraftCreate())
    return _one(draft_service.create_draft(actor, body["item_code"], body["data"])), 201


@bp.get("/drafts")
def drafts_index():
    """The applicant's open drafts, most recently changed first.
    ---
    get:
      tags: [drafts]
      responses:
        200: {content: {application/json: {schema: DraftListOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    rows = [draft_view(d) for d in draft_service.list_drafts(actor)]
    return jsonify(DraftListOut().dump({"drafts": rows}))


@bp.get("/drafts/<id:draft_id>")
def drafts_show(draft_id: int):
    """One of the applicant's drafts (another user's is 404).
    ---
    get:
      tags: [drafts]
      parameters: [{in: path, name: draft_id, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: DraftOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    return _one(draft_service.get_draft(current_actor(), draft_id))


@bp.put("/drafts/<id:draft_id>")
def drafts_save(draft_id: int):
    """Replace the draft's form data.
    ---
    put:
      tags: [drafts]
      parameters: [{in: path, name: draft_id, required: true, schema: {type: integer}}]
      requestBody: {content: {application/json: {schema: DraftSave}}}
      responses:
        200: {content: {application/json: {schema: DraftOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(DraftSave())
    return _one(draft_service.save_draft(actor, draft_id, body["data"]))


@bp.delete("/drafts/<id:draft_id>")
def drafts_delete(draft_id: int):
    """Delete an open draft and its files.
    ---
    delete:
      tags: [drafts]
      parameters: [{in: path, name: draft_id, required: true, schema: {type: integer}}]
      responses:
        204: {description: Deleted}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
    """
    draft_service.delete_draft(current_actor(), draft_id)
    return "", 204


@bp.post("/drafts/<id:draft_id>/materials")
def drafts_material(draft_id: int):
    """Attach one material's file to the draft (multipart ``code``, ``file``); replaces an earlier one.
    ---
    post:
      tags: [drafts]
      parameters: [{in: path, name: draft_id, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [code, file]
              properties:
                code: {type: string}
                file: {type: string, format: binary}
      responses:
        201: {content: {application/json: {schema: DraftOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        413: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    code, upload = material_upload()
    draft_service.add_draft_file(actor, draft_id, code, upload.filename, upload.stream)
    return _one(draft_service.get_draft(actor, draft_id)), 201


@bp.delete("/drafts/<id:draft_id>/materials/<code>")
def drafts_material_delete(draft_id: int, code: str):
    """Remove a material's file from the draft.
    ---
    delete:
      tags: [drafts]
      parameters:
        - {in: path, name: draft_id, required: true, schema: {type: integer}}
        - {in: path, name: code, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: DraftOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
    """
    return _one(draft_service.remove_draft_file(current_actor(), draft_id, code))


@bp.post("/drafts/<id:draft_id>/submit")
def drafts_submit(draft_id: int):
    """File the case from the draft once its required fields and materials are there (every check of
    ``POST /cases``, plus each required material's file); the receipt and the query code follow.
    ---
    post:
      tags: [drafts]
      parameters: [{in: path, name: draft_id, required: true, schema: {type: integer}}]
      requestBody: {required: false, content: {application/json: {schema: DraftSubmit}}}
      responses:
        201: {content: {application/json: {schema: CaseCreated}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(DraftSubmit()) if request.get_data() else {"data": None}
    case = draft_service.submit_draft(actor, draft_id, data=body.get("data"))
    return jsonify(CaseCreated().dump(case)), 201
