"""Staff pages of the results: rectification tasks (整改) and appeals, publication (双公示), licences."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.models.vocab import CASEWORKER_ROLES, OVERSIGHT_ROLES
from app.services import licence_lifecycle, licences, publication, ratings
from app.services.errors import DomainError
from app.services.workdays import today
from app.web.auth import login_required
from app.web.i18n import tr

bp = Blueprint("results", __name__, url_prefix="/results")
STAFF = (*CASEWORKER_ROLES, *OVERSIGHT_ROLES)


@bp.app_context_processor
def _helpers():
    def case_licences(case) -> dict:
        """For the staff case page: the e-licences used for materials (checked now) and the one issued."""
        from sqlalchemy import select

        from app.models import Licence, Session
        from app.services import licence_reuse

        on = today()
        uses = []
        for u in licence_reuse.uses_of_case(case.id):
            view = licence_reuse.use_view(u, case.case_no)
            view["status_now"] = licences.effective_status(u.licence, on)
            view["signature_ok"] = licences.signature_ok(u.licence)
            uses.append(view)
        issued = Session.scalar(select(Licence).where(Licence.case_id == case.id))
        return {"uses": uses, "issued": issued}

    return {"case_licences": case_licences}


@bp.get("/")
@login_required(*STAFF)
def index(actor):
    rects = [ratings.rectification_view(r) for r in ratings.list_rectifications(actor)]
    pubs = [publication.staff_view(p) for p in publication.department_entries(actor)]
    appeals = [ratings.rating_view(r) for r in ratings.pending_appeals(actor)] if actor.is_oversight else []
    rows, _total = licences.list_licences(actor, per_page=50)
    lics = [licences.licence_view(r, actor, today()) for r in rows]
    return render_template("results/index.html", rects=rects, pubs=pubs, appeals=appeals, licences=lics)


@bp.get("/rectifications/<id:rect_id>")
@login_required(*STAFF)
def rectification(actor, rect_id: int):
    return render_template(
        "results/rectification.html", r=ratings.rectification_view(ratings.get_rectification(actor, rect_id))
    )


def _back(message: str, target: str):
    flash(message, "success")
    return redirect(target, code=303)


def _failed(exc: DomainError, target: str):
    flash(tr(exc.message), "error")
    return redirect(target, code=303)


@bp.post("/rectifications/<id:rect_id>/reply")
@login_required(*STAFF)
def rectification_reply(actor, rect_id: int):
    page = url_for("results.rectification", rect_id=rect_id)
    f = request.form
    try:
        ratings.reply_rectification(actor, rect_id, f.get("outcome"), f.get("finding"), f.get("reply"))
    except DomainError as exc:
        return _failed(exc, page)
    return _back(gettext("整改答复已提交，申请人将收到答复。"), page)


@bp.post("/ratings/<id:rating_id>/appeal")
@login_required(*STAFF)
def appeal(actor, rating_id: int):
    target = request.form.get("back") or url_for("results.index")
    if not target.startswith("/"):
        target = url_for("results.index")
    try:
        ratings.appeal_rating(actor, rating_id, request.form.get("reason"))
    except DomainError as exc:
        return _failed(exc, target)
    return _back(gettext("申诉已提交，由电子监察人员决定。"), target)


@bp.post("/ratings/<id:rating_id>/appeal-decision")
@login_required(*OVERSIGHT_ROLES)
def appeal_decision(actor, rating_id: int):
    uphold = {"uphold": True, "reject": False}.get(request.form.get("decision") or "")
    try:
        ratings.decide_appeal(actor, rating_id, uphold, request.form.get("opinion"))
    except DomainError as exc:
        return _failed(exc, url_for("results.index"))
    return _back(gettext("申诉已决定。"), url_for("results.index"))


@bp.post("/publications/<id:pub_id>/<action>")
@login_required(*STAFF)
def publication_action(actor, pub_id: int, action: str):
    try:
        if action == "publish":
            publication.publish_entry(actor, pub_id)
        elif action == "withdraw":
            publication.withdraw_entry(actor, pub_id)
        else:
            return _failed(DomainError(gettext("不支持此操作。")), url_for("results.index"))
    except DomainError as exc:
        return _failed(exc, url_for("results.index"))
    return _back(
        gettext("已公示。") if action == "publish" else gettext("已撤下。"), url_for("results.index")
    )


@bp.get("/licences/<licence_no>")
@login_required(*STAFF)
def licence(actor, licence_no: str):
    lic = licences.get_licence(actor, licence_no)
    return render_template(
        "results/licence.html",
        lic=licences.licence_view(lic, actor, today()),
        may_end=actor.holds_in(lic.department_code, "head"),
    )


@bp.post("/licences/<licence_no>/end")
@login_required(*STAFF)
def licence_end(actor, licence_no: str):
    page = url_for("results.licence", licence_no=licence_no)
    try:
        licence_lifecycle.end_licence(
            actor, licence_no, request.form.get("action") or "", request.form.get("reason")
        )
    except DomainError as exc:
        return _failed(exc, page)
    return _back(gettext("证照已撤销或注销，持证人已收到通知，公示将撤下。"), page)
