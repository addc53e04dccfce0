"""The results' daily work: licences past their validity expire, the rectification and publication
clocks move with the date (and with calendar changes), their alerts are raised, PDFs are made."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.models import Session
from app.services import licence_lifecycle, licence_pdf, publication, ratings, result_alerts
from engine.workcal import local_date


def sweep(now: datetime) -> dict[str, Any]:
    today = local_date(now)
    result: dict[str, Any] = {"expired": licence_lifecycle.expire_licences(now)}
    result["rectifications_changed"] = ratings.refresh_clocks(today)
    result["publications_changed"] = publication.refresh_clocks(today)
    result["alerts"] = result_alerts.raise_result_alerts(today, now)
    Session.commit()
    return result


def pdfs(now: datetime) -> dict[str, Any]:
    return licence_pdf.make_pending_pdfs()
