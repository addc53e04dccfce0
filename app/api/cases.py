from __future__ import annotations

from flask import jsonify

from app.api import bp
from app.api.common import current_actor, load_body
from app.api.schemas import (
    AuditOut,
    CaseCreate,
    CaseCreated,
    CaseOut,
    DataBody,
    NoticeOut,
    RenoticeBody,
    TaskOut,
    WithdrawBody,
)
from app.models.vocab import OPEN_TASK_STATES
from app.services import cases as case_service
from app.services import notices as notice_service

_CASE, _TASKS, _AUDIT, _NOTICES = CaseOut(), TaskOut(many=True), AuditOut(many=True), NoticeOut(many=True)


def case_document(case, actor) -> dict:
    """The CaseDocumentOut of a case: the case, its open tasks, its history and the applicant's notices."""
    out = _CASE.dump(case)
    out["open_tasks"] = _TASKS.dump([t for t in case.tasks if t.state in OPEN_TASK_STATES])
    out["history"] = _AUDIT.dump(case_service.case_history(case))
    out["notices"] = _NOTICES.dump(notice_service.list_notices(actor, case.case_no))
    return out


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
        200: {content: {application/json: {schema: CaseDocumentOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    return jsonify(case_document(case_service.get_case(actor, case_no), actor))


@bp.post("/cases/<case_no>/supplements")
def cases_supplement(case_no: str):
    """The applicant's corrected materials (补正); the case moves on to acceptance.
    ---
    post:
      tags: [cases]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: DataBody}}}
      responses:
        200: {content: {application/json: {schema: CaseDocumentOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(DataBody())
    case = case_service.submit_supplement(actor, case_no, body["data"])
    return jsonify(case_document(case, actor))


@bp.post("/cases/<case_no>/withdraw")
def cases_withdraw(case_no: str):
    """Withdraw an application before its decision (撤回申请); clocks stop and a notice is issued.
    ---
    post:
      tags: [cases]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: WithdrawBody}}}
      responses:
        200: {content: {application/json: {schema: CaseDocumentOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(WithdrawBody())
    case = case_service.withdraw_application(actor, case_no, body["reason"])
    return jsonify(case_document(case, actor))


@bp.post("/cases/<case_no>/special-procedure/notices")
def cases_special_renotice(case_no: str):
    """A further written notice of a special procedure's duration (Art. 45), with reason and new duration.
    ---
    post:
      tags: [cases]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: RenoticeBody}}}
      responses:
        200: {content: {application/json: {schema: CaseDocumentOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(RenoticeBody())
    case = case_service.renotify_special_procedure(actor, case_no, body["notified_wd"], body["reason"])
    return jsonify(case_document(case, actor))
