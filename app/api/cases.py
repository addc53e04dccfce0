from __future__ import annotations

from flask import jsonify

from app.api import bp
from app.api.common import current_actor, load_body
from app.api.schemas import AuditOut, CaseCreate, CaseCreated, CaseOut, DataBody, TaskOut
from app.services import cases as case_service
from app.services.projection import OPEN_STATES


def case_document(case) -> dict:
    out = CaseOut().dump(case)
    out["open_tasks"] = TaskOut(many=True).dump([t for t in case.tasks if t.state in OPEN_STATES])
    out["history"] = AuditOut(many=True).dump(case_service.case_history(case))
    extra = case_extras.get("clocks")
    if extra is not None:
        out.update(extra(case))
    return out


# Later capabilities (clocks) add fields to the case document here, without touching the view.
case_extras: dict = {}


@bp.post("/cases")
def cases_create():
    """Submit an application for a service item.
    ---
    post:
      tags: [cases]
      requestBody: {content: {application/json: {schema: CaseCreate}}}
      responses:
        201: {content: {application/json: {schema: CaseCreated}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(CaseCreate())
    case = case_service.submit_application(actor, body["item_code"], body["applicant"], body["data"])
    return jsonify(CaseCreated().dump(case)), 201


@bp.get("/cases/<case_no>")
def cases_show(case_no: str):
    """A case: status, open tasks, history.
    ---
    get:
      tags: [cases]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: CaseOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    return jsonify(case_document(case_service.get_case(actor, case_no)))


@bp.post("/cases/<case_no>/supplements")
def cases_supplement(case_no: str):
    """The applicant's corrected materials (补正); the case moves on to acceptance.
    ---
    post:
      tags: [cases]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: DataBody}}}
      responses:
        200: {content: {application/json: {schema: CaseOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(DataBody())
    case = case_service.submit_supplement(actor, case_no, body["data"])
    return jsonify(case_document(case))
