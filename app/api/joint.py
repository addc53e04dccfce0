"""一件事 joint cases: filing at the comprehensive window, the combined supplement, the extension of the
joint limit and the collection (app.services.joint). A master case is read at GET /cases/{case_no}."""

from __future__ import annotations

import json

from flask import jsonify, request

from app.api import bp
from app.api.common import current_actor, load_body
from app.api.schemas import DataBody, JointApprovalBody, JointExtensionBody
from app.services import joint
from app.services.applications import Upload
from app.services.errors import ValidationFailed
from app.services.i18n import t


def _json_field(name: str) -> object:
    raw = request.form.get(name)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ValidationFailed(
            t("字段 %(name)s 必须是 JSON", name=name), [{"field": name, "message": "JSON"}]
        ) from exc


def _master(case) -> dict:
    from app.api.cases import case_document

    return case_document(case, current_actor())


@bp.post("/joint-cases")
def joint_cases_create():
    """File a joint (一件事) application at a comprehensive window, or online as the applicant (no
    ``id_check``; the answer is then the applicant's document): multipart form with ``item_code``,
    ``data`` (JSON: the applicant fields and ``components`` {item slug: that item's application}),
    ``id_check`` (JSON) and one file per material (``material-<joint code>``).
    ---
    post:
      tags: [joint]
      requestBody: {content: {multipart/form-data: {schema: {type: object}}}}
      responses:
        201: {content: {application/json: {schema: CaseDocumentOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    uploads = [
        Upload(name[len("material-") :], f.filename or "", f.stream)
        for name, f in request.files.items()
        if name.startswith("material-")
    ]
    id_check = _json_field("id_check")
    case = joint.file_joint_application(
        actor,
        request.form.get("item_code", ""),
        _json_field("data"),
        uploads,
        id_check=id_check if isinstance(id_check, dict) else None,
    )
    return jsonify(_master(case)), 201


@bp.post("/joint-cases/<case_no>/supplements")
def joint_cases_supplement(case_no: str):
    """The supplement to the combined one-time notice, ``data.components`` {item slug: supplement},
    routed to the components that asked.
    ---
    post:
      tags: [joint]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: DataBody}}}
      responses:
        200: {content: {application/json: {schema: CaseDocumentOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(DataBody())
    return jsonify(_master(joint.submit_joint_supplement(current_actor(), case_no, body["data"])))


@bp.post("/joint-cases/<case_no>/extension")
def joint_cases_extension(case_no: str):
    """The window asks to extend the joint limit (Art. 42 para. 2: at most 15 WD, with the reason).
    ---
    post:
      tags: [joint]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: JointExtensionBody}}}
      responses:
        200: {content: {application/json: {schema: CaseDocumentOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(JointExtensionBody())
    case = joint.request_joint_extension(current_actor(), case_no, body["days"], body["reason"])
    return jsonify(_master(case))


@bp.post("/joint-cases/<case_no>/extension/approve")
def joint_cases_extension_approve(case_no: str):
    """The head of the level of government (head on the service centre) approves the extension.
    ---
    post:
      tags: [joint]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: JointApprovalBody}}}
      responses:
        200: {content: {application/json: {schema: CaseDocumentOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(JointApprovalBody())
    return jsonify(_master(joint.approve_joint_extension(current_actor(), case_no, body["opinion"])))


@bp.post("/joint-cases/<case_no>/collect")
def joint_cases_collect(case_no: str):
    """统一窗口出件: one delivery record for all results, only once every component has ended.
    ---
    post:
      tags: [joint]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: DataBody}}}
      responses:
        200: {content: {application/json: {schema: CaseDocumentOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(DataBody())
    return jsonify(_master(joint.collect_joint(current_actor(), case_no, body["data"])))
