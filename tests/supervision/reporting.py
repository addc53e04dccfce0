"""Asking for the monthly report through the pages and having it made, as a supervisor would: the form,
the reports job (in process: the scheduler's pass), then the download link the page shows."""

from __future__ import annotations

import re

from app.jobs.runner import run_once
from app.models import Session

FILE_LINK = re.compile(r'href="(/supervision/reports/\d+/file)"')


def request_report(client, token: str, month: str):
    return client.post("/supervision/reports", data={"csrf_token": token, "month": month})


def run_reports_pass(app) -> dict:
    with app.app_context():
        result = run_once(jobs=["reports"], use_lease=False)["reports"]
        Session.remove()
    return result


def monthly_pdf(app, client, token: str, month: str):
    """The response of the newest report's file link after asking for ``month`` and one reports pass."""
    asked = request_report(client, token, month)
    assert asked.status_code == 303, asked.get_data(as_text=True)[:500]
    run_reports_pass(app)
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    link = FILE_LINK.search(page)
    assert link, "no file link on the reports page"
    return client.get(link.group(1))
