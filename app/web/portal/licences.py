"""Public results pages: licence verification (证照核验), published decisions (双公示公示), and the
applicant's own: my licences with their signed PDFs, rating a case (好差评)."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.limiter import progress_limit
from app.models import Session
from app.routing import MAX_PAGE, query_int
from app.security import DOWNLOAD_CSP
from app.services import licence_pdf, licences, publication, ratings
from app.services.errors import DomainError, NotFound
from app.services.workdays import today
from app.web.auth import web_actor
from app.web.portal import applicant_required, bp


@bp.get("/licences/verify")
@progress_limit
def licence_verify():
    no, code = request.args.get("licence_no", ""), request.args.get("code", "")
    result, message, status = None, None, 200
    if no or code:
        try:
            result = licences.verify_licence(no, code)
        except DomainError as exc:
            message, status = exc.message, exc.status
    return render_template(
        "portal/licence_verify.html", result=result, message=message, no=no, code=code
    ), status


@bp.get("/public/decisions")
@progress_limit
def public_decisions():
    page = query_int("page", 1, minimum=1, maximum=MAX_PAGE)
    q = (request.args.get("q") or "")[:100]
    decision = request.args.get("decision") or None
    if decision not in (None, "approved", "denied"):
        decision = None
    rows, total, page, per_page = publication.search_public(q=q, decision=decision, page=page, per_page=20)
    pages = max(1, -(-total // per_page))
    return render_template(
        "portal/decisions.html", rows=rows, total=total, page=page, pages=pages, q=q, decision=decision
    )


@bp.get("/my/licences")
@applicant_required
def my_licences(actor):
    rows, _total = licences.list_licences(actor, per_page=100)
    return render_template(
        "portal/licences.html", rows=[licences.licence_view(r, actor, today()) for r in rows]
    )


@bp.get("/my/licences/<licence_no>.pdf")
@applicant_required
def my_licence_pdf(actor, licence_no: str):
    lic = licences.get_licence(actor, licence_no)
    if not licences.sees_everything(actor, lic):
        raise NotFound(gettext("证照不存在。"), code="licence_not_found")
    body = licence_pdf.ensure_pdf(lic)
    Session.commit()
    resp = Response(body, mimetype="application/pdf")
    resp.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    resp.headers["Content-Disposition"] = f"attachment; filename={lic.licence_no}.pdf"
    return resp


@bp.post("/my/cases/<case_no>/rating")
@applicant_required
def my_rating(actor, case_no: str):
    tags = request.form.getlist("tags")
    try:
        score = int(request.form.get("score") or "")
    except ValueError:
        score = None
    try:
        ratings.rate_case(actor, case_no, score, request.form.get("comment") or None, tags)
    except DomainError as exc:
        flash(exc.message, "error")
    else:
        flash(gettext("感谢您的评价。"), "success")
    return redirect(url_for("portal.my_case", case_no=case_no) + "#rating", code=303)


@bp.app_context_processor
def _case_results():
    def case_results(case_no: str) -> dict:
        """For the my-case page: the case's licence and its rating (the applicant's own case only)."""
        actor = web_actor()
        if actor is None or not actor.is_applicant:
            return {}
        lic = licences.licence_of_case(actor, case_no)
        rating = ratings.rating_of_case(actor, case_no)
        from app.services.cases import get_case

        case = get_case(actor, case_no)
        return {
            "licence": licences.licence_view(lic, actor, today()) if lic else None,
            "rating": ratings.rating_view(rating) if rating else None,
            "may_rate": rating is None and case.status in ("completed", "refused", "withdrawn"),
            "tags": ratings.TAGS,
        }

    return {"case_results": case_results}
