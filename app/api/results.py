"""The results API: e-licences (list, read, verify, revoke, reuse), ratings and rectifications, 双公示."""

from __future__ import annotations

from flask import Response, jsonify

from app.api import bp
from app.api.common import current_actor, load_args, load_body
from app.api.result_schemas import (
    AppealDecision,
    AppealRequest,
    LicenceEndRequest,
    LicenceListArgs,
    LicenceListOut,
    LicenceMaterialRequest,
    LicenceOut,
    LicenceUseOut,
    PublicationListOut,
    PublicationOut,
    PublicDecisionArgs,
    PublicDecisionListOut,
    RatingOut,
    RatingRequest,
    RectificationListOut,
    RectificationOut,
    RectificationReply,
    VerifyOut,
)
from app.limiter import progress_limit
from app.models import Session
from app.security import DOWNLOAD_CSP
from app.services import licence_lifecycle, licence_pdf, licence_reuse, licences, publication, ratings
from app.services.errors import NotFound
from app.services.i18n import t
from app.services.workdays import today


@bp.get("/licences")
def licences_index():
    """The holder's own e-licences; staff their department's; supervisors all.
    ---
    get:
      tags: [licences]
      parameters:
        - {in: query, name: status, schema: {type: string, enum: [valid, revoked, annulled, expired]}}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {content: {application/json: {schema: LicenceListOut}}}
        401: {content: {application/json: {schema: ErrorOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    args = load_args(LicenceListArgs())
    rows, total = licences.list_licences(actor, **args)
    views = [licences.licence_view(r, actor, today()) for r in rows]
    out = {"licences": views, "total": total, "page": args["page"], "per_page": args["per_page"]}
    return jsonify(LicenceListOut().dump(out))


@bp.get("/licences/verify/<licence_no>")
@progress_limit
def licences_verify(licence_no: str):
    """Public verification: valid / revoked / annulled / expired / tampered; a wrong code is 404.
    ---
    get:
      tags: [licences]
      security: []
      parameters:
        - {in: path, name: licence_no, required: true, schema: {type: string}}
        - {in: query, name: code, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: VerifyOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
        429: {content: {application/json: {schema: ErrorOut}}}
    """
    from flask import request

    from app.web.i18n import tr

    answer = licences.verify_licence(licence_no, request.args.get("code", ""))
    if "message" in answer:  # a tampered record's warning, in the reader's language
        answer["message"] = tr(answer["message"])
    return jsonify(VerifyOut().dump(answer))


@bp.get("/licences/<licence_no>")
def licences_show(licence_no: str):
    """One e-licence (ID numbers masked for anyone but the holder and the issuing department).
    ---
    get:
      tags: [licences]
      parameters:
        - {in: path, name: licence_no, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: LicenceOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    lic = licences.get_licence(actor, licence_no)
    return jsonify(LicenceOut().dump(licences.licence_view(lic, actor, today())))


@bp.get("/licences/<licence_no>/pdf")
def licences_pdf(licence_no: str):
    """The signed licence PDF (PAdES), for the holder and the issuing department.
    ---
    get:
      tags: [licences]
      parameters:
        - {in: path, name: licence_no, required: true, schema: {type: string}}
      responses:
        200: {description: The PDF, content: {application/pdf: {schema: {type: string, format: binary}}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        503: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    lic = licences.get_licence(actor, licence_no)
    if not licences.sees_everything(actor, lic):
        raise NotFound(t("证照 %(licence_no)s 不存在", licence_no=licence_no), code="licence_not_found")
    body = licence_pdf.ensure_pdf(lic)
    Session.commit()
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    resp.headers["Content-Disposition"] = f"attachment; filename={lic.licence_no}.pdf"
    return resp


def _end(licence_no: str, action: str):
    actor = current_actor()
    body = load_body(LicenceEndRequest())
    lic = licence_lifecycle.end_licence(actor, licence_no, action, body["reason"])
    return jsonify(LicenceOut().dump(licences.licence_view(lic, actor, today())))


@bp.post("/licences/<licence_no>/revoke")
def licences_revoke(licence_no: str):
    """撤销: the issuing department's head revokes a licence with a reason; the publication is withdrawn.
    ---
    post:
      tags: [licences]
      parameters:
        - {in: path, name: licence_no, required: true, schema: {type: string}}
      requestBody: {content: {application/json: {schema: LicenceEndRequest}}}
      responses:
        200: {content: {application/json: {schema: LicenceOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    return _end(licence_no, "revoke")


@bp.post("/licences/<licence_no>/annul")
def licences_annul(licence_no: str):
    """注销: the issuing department's head annuls a licence with a reason.
    ---
    post:
      tags: [licences]
      parameters:
        - {in: path, name: licence_no, required: true, schema: {type: string}}
      requestBody: {content: {application/json: {schema: LicenceEndRequest}}}
      responses:
        200: {content: {application/json: {schema: LicenceOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    return _end(licence_no, "annul")


def cases_material_licence(case_no: str):
    """Use a held e-licence for a material instead of a file (``{code, licence_no}``); the JSON form of
    ``POST /cases/{case_no}/materials`` (the route lives in casefiles, which dispatches on the body)."""
    actor = current_actor()
    body = load_body(LicenceMaterialRequest())
    row = licence_reuse.reuse_licence(actor, case_no, body["code"], body["licence_no"])
    return jsonify(LicenceUseOut().dump(licence_reuse.use_view(row, case_no))), 201


@bp.post("/cases/<case_no>/rating")
def cases_rate(case_no: str):
    """好差评: the applicant rates an ended case once (5 非常满意 … 1 非常不满意); 409 the second time.
    ---
    post:
      tags: [ratings]
      parameters:
        - {in: path, name: case_no, required: true, schema: {type: string}}
      requestBody: {content: {application/json: {schema: RatingRequest}}}
      responses:
        201: {content: {application/json: {schema: RatingOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    actor = current_actor()
    body = load_body(RatingRequest())
    rating = ratings.rate_case(actor, case_no, body["score"], body.get("comment"), body.get("tags"))
    return jsonify(RatingOut().dump(ratings.rating_view(rating))), 201


@bp.get("/cases/<case_no>/rating")
def cases_rating(case_no: str):
    """The rating of a case and its rectification (the applicant, the department, supervisors).
    ---
    get:
      tags: [ratings]
      parameters:
        - {in: path, name: case_no, required: true, schema: {type: string}}
      responses:
        200: {content: {application/json: {schema: RatingOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    rating = ratings.rating_of_case(current_actor(), case_no)
    if rating is None:
        raise NotFound(t("办件 %(case_no)s 尚未评价", case_no=case_no), code="rating_not_found")
    return jsonify(RatingOut().dump(ratings.rating_view(rating)))


@bp.get("/rectifications")
def rectifications_index():
    """Open rectification tasks (整改) of the actor's department; supervisors see all.
    ---
    get:
      tags: [ratings]
      responses:
        200: {content: {application/json: {schema: RectificationListOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
    """
    rows = ratings.list_rectifications(current_actor())
    return jsonify(
        RectificationListOut().dump({"rectifications": [ratings.rectification_view(r) for r in rows]})
    )


@bp.get("/rectifications/<id:rect_id>")
def rectifications_show(rect_id: int):
    """One rectification task.
    ---
    get:
      tags: [ratings]
      parameters:
        - {in: path, name: rect_id, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: RectificationOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
    """
    rect = ratings.get_rectification(current_actor(), rect_id)
    return jsonify(RectificationOut().dump(ratings.rectification_view(rect)))


@bp.post("/rectifications/<id:rect_id>/reply")
def rectifications_reply(rect_id: int):
    """The department's answer: rectified or explained, with the finding and the reply to the applicant.
    ---
    post:
      tags: [ratings]
      parameters:
        - {in: path, name: rect_id, required: true, schema: {type: integer}}
      requestBody: {content: {application/json: {schema: RectificationReply}}}
      responses:
        200: {content: {application/json: {schema: RectificationOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(RectificationReply())
    rect = ratings.reply_rectification(
        current_actor(), rect_id, body["outcome"], body["finding"], body["reply"]
    )
    return jsonify(RectificationOut().dump(ratings.rectification_view(rect)))


@bp.post("/ratings/<id:rating_id>/appeal")
def ratings_appeal(rating_id: int):
    """申诉: the case's department appeals a bad rating it considers mistaken or malicious.
    ---
    post:
      tags: [ratings]
      parameters:
        - {in: path, name: rating_id, required: true, schema: {type: integer}}
      requestBody: {content: {application/json: {schema: AppealRequest}}}
      responses:
        200: {content: {application/json: {schema: RatingOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(AppealRequest())
    rating = ratings.appeal_rating(current_actor(), rating_id, body["reason"])
    return jsonify(RatingOut().dump(ratings.rating_view(rating)))


@bp.post("/ratings/<id:rating_id>/appeal/decision")
def ratings_appeal_decision(rating_id: int):
    """A supervisor upholds (the rating no longer counts) or rejects an appeal.
    ---
    post:
      tags: [ratings]
      parameters:
        - {in: path, name: rating_id, required: true, schema: {type: integer}}
      requestBody: {content: {application/json: {schema: AppealDecision}}}
      responses:
        200: {content: {application/json: {schema: RatingOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
    """
    body = load_body(AppealDecision())
    rating = ratings.decide_appeal(current_actor(), rating_id, body["uphold"], body["opinion"])
    return jsonify(RatingOut().dump(ratings.rating_view(rating)))


@bp.get("/public/decisions")
@progress_limit
def public_decisions():
    """双公示: published licensing decisions, searchable and paged; natural persons masked.
    ---
    get:
      tags: [publication]
      security: []
      parameters:
        - {in: query, name: q, schema: {type: string, maxLength: 100}}
        - {in: query, name: decision, schema: {type: string, enum: [approved, denied]}}
        - {in: query, name: page, schema: {type: integer, minimum: 1}}
        - {in: query, name: per_page, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        200: {content: {application/json: {schema: PublicDecisionListOut}}}
        422: {content: {application/json: {schema: ErrorOut}}}
        429: {content: {application/json: {schema: ErrorOut}}}
    """
    args = load_args(PublicDecisionArgs())
    rows, total, page, per_page = publication.search_public(**args)
    return jsonify(
        PublicDecisionListOut().dump({"decisions": rows, "total": total, "page": page, "per_page": per_page})
    )


@bp.get("/publications")
def publications_index():
    """The department's publication entries that need action (to publish, to withdraw).
    ---
    get:
      tags: [publication]
      responses:
        200: {content: {application/json: {schema: PublicationListOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
    """
    rows = publication.department_entries(current_actor())
    return jsonify(PublicationListOut().dump({"publications": [publication.staff_view(p) for p in rows]}))


@bp.post("/publications/<id:pub_id>/publish")
def publications_publish(pub_id: int):
    """An officer of the department publishes a pending entry.
    ---
    post:
      tags: [publication]
      parameters:
        - {in: path, name: pub_id, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: PublicationOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
    """
    pub = publication.publish_entry(current_actor(), pub_id)
    return jsonify(PublicationOut().dump(publication.staff_view(pub)))


@bp.post("/publications/<id:pub_id>/withdraw")
def publications_withdraw(pub_id: int):
    """An officer takes down the entry of a revoked decision (within 3 WD).
    ---
    post:
      tags: [publication]
      parameters:
        - {in: path, name: pub_id, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: PublicationOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
    """
    pub = publication.withdraw_entry(current_actor(), pub_id)
    return jsonify(PublicationOut().dump(publication.staff_view(pub)))
