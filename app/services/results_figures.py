"""Cockpit figures of the results, separate from the case queries of app.services.cockpit (seed goals):

- share of 即办件 among all cases submitted in the period (goal ≥ 70 %);
- share of catalogue items needing at most one visit (item.yaml ``guide.visits``; goal ≥ 80 %);
- e-licence coverage: approvals decided in the period that carry an e-licence (goal 100 %);
- licence reuses in the period (materials satisfied by a held e-licence instead of paper);
- publication on time: entries published in the period on or before their 7-WD deadline, and entries
  still pending past it;
- satisfaction: average score and share of 满意 or better, by item and by department (ratings whose
  appeal was upheld do not count); bad ratings rectified on time (goal 100 %) and open rectifications.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Float, case, cast, func, select

from app.models import Case, Licence, LicenceUse, Publication, Rating, Rectification, ServiceItem, Session
from app.services import org
from app.services.auth import Actor
from app.services.cockpit import Period, day_start_utc, require_supervisor

GOALS = {"immediate_share": 0.70, "one_visit_share": 0.80, "licence_coverage": 1.0, "rectified_on_time": 1.0}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def results_summary(actor: Actor, period: Period, today: date) -> dict[str, Any]:
    require_supervisor(actor)
    lo, hi = day_start_utc(period.start), day_start_utc(period.end)
    submitted, immediate = Session.execute(
        select(func.count(), func.sum(case((ServiceItem.kind == "immediate", 1), else_=0)))
        .select_from(Case)
        .join(ServiceItem, ServiceItem.id == Case.item_id)
        .where(Case.submitted_at >= lo, Case.submitted_at < hi)
    ).one()
    items = list(Session.scalars(select(ServiceItem)))
    one_visit = sum(1 for i in items if int(((i.definition or {}).get("guide") or {}).get("visits", 99)) <= 1)
    approved_cases = select(Case.id).where(
        Case.decided_on >= period.start,
        Case.decided_on < period.end,
        Case.outcome.in_(("approved", "issued")),
    )
    approvals = Session.scalar(select(func.count()).select_from(approved_cases.subquery())) or 0
    covered = Session.scalar(select(func.count(Licence.id)).where(Licence.case_id.in_(approved_cases))) or 0
    reuses = (
        Session.scalar(
            select(func.count(LicenceUse.id)).where(LicenceUse.used_at >= lo, LicenceUse.used_at < hi)
        )
        or 0
    )
    published, timely = Session.execute(
        select(
            func.count(),
            func.sum(case((Publication.published_on <= Publication.publish_deadline, 1), else_=0)),
        ).where(Publication.published_on >= period.start, Publication.published_on < period.end)
    ).one()
    late_pending = (
        Session.scalar(
            select(func.count(Publication.id)).where(
                Publication.state == "pending", Publication.publish_deadline < today
            )
        )
        or 0
    )
    counted = Rating.appeal_state != "upheld"
    rated, avg, satisfied = Session.execute(
        select(
            func.count(), func.avg(cast(Rating.score, Float)), func.sum(case((Rating.score >= 4, 1), else_=0))
        ).where(Rating.created_at >= lo, Rating.created_at < hi, counted)
    ).one()
    bad, on_time = Session.execute(
        select(
            func.count(),
            func.sum(
                case(
                    (
                        (Rectification.state == "answered")
                        & (Rectification.replied_on <= Rectification.deadline),
                        1,
                    ),
                    else_=0,
                )
            ),
        )
        .select_from(Rectification)
        .join(Rating, Rating.id == Rectification.rating_id)
        .where(
            Rectification.created_at >= lo, Rectification.created_at < hi, Rectification.state != "withdrawn"
        )
    ).one()
    open_rect = Session.scalar(select(func.count(Rectification.id)).where(Rectification.state == "open")) or 0
    return {
        "submitted": submitted or 0,
        "immediate_share": _rate(immediate or 0, submitted or 0),
        "items": len(items),
        "one_visit_share": _rate(one_visit, len(items)),
        "approvals": approvals,
        "licences": covered,
        "licence_coverage": _rate(covered, approvals),
        "reuses": reuses,
        "published": published or 0,
        "published_on_time": _rate(timely or 0, published or 0),
        "publications_late_pending": late_pending,
        "ratings": rated or 0,
        "avg_score": round(avg, 2) if avg is not None else None,
        "satisfaction": _rate(satisfied or 0, rated or 0),
        "bad_ratings": bad or 0,
        "rectified_on_time": _rate(on_time or 0, bad or 0),
        "open_rectifications": open_rect,
        "goals": GOALS,
    }


def satisfaction_by(actor: Actor, group: str) -> list[dict[str, Any]]:
    """Satisfaction per item (``group='item'``) or per department, all time (upheld appeals excluded)."""
    require_supervisor(actor)
    col = Rating.item_id if group == "item" else Rating.department_code
    rows = Session.execute(
        select(
            col,
            func.count(),
            func.avg(cast(Rating.score, Float)),
            func.sum(case((Rating.score >= 4, 1), else_=0)),
        )
        .where(Rating.appeal_state != "upheld")
        .group_by(col)
        .order_by(col)
    ).all()
    items = {i.id: i for i in Session.scalars(select(ServiceItem))} if group == "item" else {}
    return [
        {
            "key": key,
            "code": items[key].code if key in items else key,
            "name": items[key].name_zh if key in items else org.name(key),
            "ratings": n,
            "avg_score": round(a, 2) if a is not None else None,
            "satisfaction": _rate(s or 0, n),
        }
        for key, n, a, s in rows
    ]
