"""The applicant-facing API: registration with an SMS code, the public progress lookup, case lists."""

from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.common import current_actor, load_args, load_body
from app.api.schemas import (
    CaseListArgs,
    CaseListOut,
    MobileCodeRequest,
    MobileCodeSent,
    ProgressOut,
    RegisterRequest,
    UserOut,
)
from app.limiter import account_limit, progress_limit
from app.services import accounts, joint, public_cases


@bp.post("/auth/mobile-code")
@account_limit
def auth_mobile_code():
    """Send a 6-digit verification code to a mobile number (SMS channel); one per minute.
    ---
    post:
      tags: [auth]
      security: []
      requestBody: {content: {application/json: {schema: MobileCodeRequest}}}
      responses:
        202: {content: {application/json: {schema: MobileCodeSent}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
        429: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(MobileCodeRequest())
    sent = accounts.request_mobile_code(body["mobile"], body["purpose"])
    return jsonify(MobileCodeSent().dump(sent)), 202


@bp.post("/auth/register")
@account_limit
def auth_register():
    """Self-registration of an applicant (natural person or legal entity) with the SMS code.
    ---
    post:
      tags: [auth]
      security: []
      requestBody: {content: {application/json: {schema: RegisterRequest}}}
      responses:
        201: {content: {application/json: {schema: UserOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
        429: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(RegisterRequest())
    actor = accounts.register_applicant(body)
    return jsonify(UserOut().dump(actor)), 201


@bp.get("/progress/<case_no>")
@progress_limit
def progress_show(case_no: str):
    """Public progress of a case: status, public step names and dates; needs the receipt's query code.
    ---
    get:
      tags: [progress]
      security: []
      parameters:
        - {in: path, name: case_no, required: true, schema: {type: string}}
        - {in: query, name: code, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: ProgressOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        429: {content: {application/json: {schema: ErrorOut}}}
    """
    return jsonify(ProgressOut().dump(joint.lookup_progress(case_no, request.args.get("code", ""))))


@bp.get("/cases")
def cases_index():
    """The actor's cases: an applicant's own; staff their department's; filters and paging.
    ---
    get:
      tags: [cases]
      parameters:
        - {in: query, name: status, schema: {type: string}}
        - {in: query, name: item_code, schema: {type: string}}
        - {in: query, name: q, schema: {type: string}}
        - {in: query, name: light, schema: {type: string, enum: [green, yellow, red]}}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {content: {application/json: {schema: CaseListOut}}}
        401: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    args = load_args(CaseListArgs())
    page = public_cases.list_cases(actor, **args)
    out = {"cases": page.rows, "total": page.total, "page": page.page, "per_page": page.per_page}
    return jsonify(CaseListOut().dump(out))
