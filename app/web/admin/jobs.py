"""后台任务: the dead letters (failed background jobs) with a retry button, for administrators."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from app.models import utcnow
from app.models.vocab import Role
from app.services import deadletters, jobqueue
from app.services.errors import DomainError
from app.web.admin import bp
from app.web.auth import login_required
from app.web.i18n import tr


@bp.get("/jobs")
@login_required(Role.ADMIN)
def jobs(actor):
    try:
        status = deadletters.parse_status(request.args.get("status"))
    except deadletters.BadStatus:
        abort(400)
    return render_template(
        "admin/jobs.html",
        rows=deadletters.list_jobs(actor, status),
        status=status,
        statuses=jobqueue.STATUSES,
        engine_on=jobqueue.engine_on(),
    )


@bp.post("/jobs/<id:job_id>/retry")
@login_required(Role.ADMIN)
def job_retry(actor, job_id: int):
    try:
        deadletters.retry_job(actor, job_id, utcnow())
    except DomainError as exc:
        if exc.status == 404:
            abort(404)
        flash(tr(exc.message), "error")
    else:
        flash(gettext("任务 %(id)s 已重新排队", id=job_id), "success")
    return redirect(url_for("admin.jobs"), code=303)
