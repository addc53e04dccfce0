"""Background jobs for administrators: the dead letters (failed jobs) and their retry."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import jsonify, request
from flask_babel import force_locale, gettext

from app.api import bp
from app.api.common import current_actor
from app.api.schemas import JobList, JobOut
from app.models import utcnow
from app.services import deadletters, jobqueue


def _bilingual(msgid: str) -> dict[str, str]:
    with force_locale("en"):
        return {"zh": msgid, "en": gettext(msgid)}


def _out(view: deadletters.JobView) -> dict[str, Any]:
    out = asdict(view)
    out["task_name"], out["status_name"] = _bilingual(view.task_label), _bilingual(view.status_label)
    out["task"] = view.task_name
    return out


@bp.get("/admin/jobs")
def admin_jobs():
    """Background jobs of one status, newest first (administrators only); default ``failed``.
    ---
    get:
      tags: [admin]
      parameters:
        - {in: query, name: status, schema: {type: string, enum: [todo, doing, succeeded, failed, cancelled, aborted]}}
      responses:
        200: {content: {application/json: {schema: JobList}}}
        400: {content: {application/json: {schema: ErrorOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
    """
    rows = deadletters.list_jobs(current_actor(), request.args.get("status", "failed"))
    engine = "procrastinate" if jobqueue.engine_on() else "inprocess"
    return jsonify(JobList().dump({"engine": engine, "jobs": [_out(r) for r in rows]}))


@bp.post("/admin/jobs/<id:job_id>/retry")
def admin_job_retry(job_id: int):
    """Put a failed job back in the queue now (administrators only).
    ---
    post:
      tags: [admin]
      responses:
        200: {content: {application/json: {schema: JobOut}}}
        403: {content: {application/json: {schema: ErrorOut}}}
        404: {content: {application/json: {schema: ErrorOut}}}
        409: {content: {application/json: {schema: ErrorOut}}}
    """
    return jsonify(JobOut().dump(_out(deadletters.retry_job(current_actor(), job_id, utcnow()))))
