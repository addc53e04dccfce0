from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.casefiles import document_rows
from app.api.common import current_actor, load_body
from app.api.messages import notice_row
from app.api.schemas import (
    ApplicantCaseOut,
    AuditOut,
    CaseCreate,
    CaseCreated,
    CaseOut,
    DataBody,
    JointComponentOut,
    NoticeOut,
    RenoticeBody,
    TaskOut,
    WithdrawBody,
)
from app.models.vocab import OPEN_TASK_STATES
from app.services import cases as case_service
from app.services import documents as document_service
from app.services import idempotency
from app.services import joint as joint_service
from app.services import messages as message_service
from app.services import notices as notice_service
from app.services import supplements as supplement_service

_CASE, _TASKS, _AUDIT, _NOTICES = CaseOut(), TaskOut(many=True), AuditOut(many=True), NoticeOut(many=True)
_COMPONENTS = JointComponentOut(many=True)


def case_document(case, actor) -> dict:
    """The case as the actor may read it: applicants get the plain-language ApplicantCaseOut, staff
    the CaseDocumentOut (the case, its open tasks, its history and the applicant's notices)."""
    if actor.is_applicant and not (actor.is_staff or actor.is_oversight):
        return ApplicantCaseOut().dump(applicant_document(actor, case.case_no))
    out = _CASE.dump(case)
    out["open_tasks"] = _TASKS.dump([t for t in case.tasks if t.state in OPEN_TASK_STATES])
    out["history"] = _AUDIT.dump(case_service.case_history(case))
    out["notices"] = _NOTICES.dump(notice_service.list_notices(actor, case.case_no))
    if joint_service.is_master(case):  # 一件事: the components as every party to the master may read them
        out["components"] = _COMPONENTS.dump(
            [joint_service.component_summary(c) for c in joint_service.components_of(case)]
        )
    elif case.parent_case_id is not None:
        master = joint_service.master_of(case)
        out["joint_master"] = master.case_no if master is not None else None
    return out


def applicant_document(actor, case_no: str) -> dict:
    """Status and public step names, dates, the promised limit's clock, what to do next (with the
    materials a correction notice asks for), documents, materials and messages — no staff data."""
    doc = joint_service.applicant_case(actor, case_no)
    case = case_service.get_case(actor, case_no)
    request = supplement_service.correction_request(case)
    doc["correction"] = (
        {
            "round": request.round,
            "notice_on": request.notice_on.isoformat(),
            "deadline": request.deadline.isoformat() if request.deadline else None,
            "materials": [{"code": r.code, "name": r.name, "reason": r.reason} for r in request.materials],
        }
        if request is not None
        else None
    )
    docs = document_service.list_documents(actor, case_no)
    doc["documents"] = document_rows(case_no, docs)
    notices = message_service.case_messages(actor, case_no)
    doc["notices"] = [notice_row(n, case_no, sent) for n, sent in notices]
    return doc


@bp.post("/cases")
def cases_create():
    """Submit an application for a service item. With an ``Idempotency-Key`` the same request (same
    user, key and body) within 24 hours files once and answers every retry with the first answer.
    ---
    post:
      tags: [cases]
      parameters:
        - in: header
          name: Idempotency-Key
          required: false
          description: >-
            A client-chosen key (1..255 visible ASCII characters) naming this submission. A retry with
            the same key and body returns the first answer (header Idempotent-Replayed is true); the same
            key with another body is a 422 idempotency_key_reused. Kept 24 hours per user.
          schema: {type: string, minLength: 1, maxLength: 255}
      requestBody: {content: {application/json: {schema: CaseCreate}}}
      responses:
        201:
          content: {application/json: {schema: CaseCreated}}
          headers:
            Idempotent-Replayed: {description: "true when this is the stored first answer", schema: {type: string}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(CaseCreate())
    key = request.headers.get("Idempotency-Key")

    def file(link=None):
        return case_service.submit_application(
            actor, body["item_code"], body["applicant"], body["data"], link=link
        )

    if key is None:
        return jsonify(CaseCreated().dump(file())), 201
    answer = idempotency.submit_once(actor, key, request.get_json(), file, CaseCreated().dump)
    return (
        jsonify(answer.body),
        answer.status,
        {"Idempotent-Replayed": "true" if answer.replayed else "false"},
    )


@bp.get("/cases/<case_no>")
def cases_show(case_no: str):
    """A case. Staff get the case file (CaseDocumentOut: status, clocks, open tasks, history, data);
    the applicant of the case gets it in plain language (ApplicantCaseOut: status and public step names,
    dates, the promised limit's clock, what to do next, documents, materials, messages).
    ---
    get:
      tags: [cases]
      parameters: [{in: path, name: case_no, required: true, schema: {type: string}}]
      responses:
        200:
          description: CaseDocumentOut for staff, ApplicantCaseOut for the applicant
          content:
            application/json:
              schema:
                oneOf: [CaseDocumentOut, ApplicantCaseOut]
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
        200:
          description: CaseDocumentOut for staff, ApplicantCaseOut for the applicant
          content:
            application/json:
              schema:
                oneOf: [CaseDocumentOut, ApplicantCaseOut]
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
        200:
          description: CaseDocumentOut for staff, ApplicantCaseOut for the applicant
          content:
            application/json:
              schema:
                oneOf: [CaseDocumentOut, ApplicantCaseOut]
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
        200:
          description: CaseDocumentOut for staff, ApplicantCaseOut for the applicant
          content:
            application/json:
              schema:
                oneOf: [CaseDocumentOut, ApplicantCaseOut]
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(RenoticeBody())
    case = case_service.renotify_special_procedure(actor, case_no, body["notified_wd"], body["reason"])
    return jsonify(case_document(case, actor))
