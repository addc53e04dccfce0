"""办件进度查询: case number + query code from the receipt, no login, rate-limited, no personal data."""

from __future__ import annotations

from flask import render_template, request

from app.limiter import progress_limit
from app.services import joint
from app.services.errors import NotFound
from app.web.portal import bp


@bp.route("/progress", methods=["GET", "POST"])
@progress_limit
def progress():
    case_no = (request.values.get("case_no") or "").strip()[:32]
    result = error = None
    if request.method == "POST":
        try:
            result = joint.lookup_progress(case_no, request.form.get("code") or "")
        except NotFound as exc:
            error = exc.message
    status = 404 if error else 200
    return render_template("portal/progress.html", case_no=case_no, result=result, error=error), status
