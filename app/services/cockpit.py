"""The supervisor's cockpit: counts, rates, trends, the overdue list and the step heat map.

Every query is one indexed aggregate (see the indexes declared in app.models.supervision), so the
numbers stay fast with a million cases; time buckets are Asia/Shanghai days turned into UTC ranges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, and_, case, cast, func, select

from app.models import Case, Department, ServiceItem, Session
from app.models.vocab import OVERSIGHT_ROLES
from app.services.auth import Actor
from app.services.errors import Forbidden, ValidationFailed
from app.services.i18n import N_, t
from app.services.projection import OPEN_STATUSES

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIGHTS = ("green", "yellow", "red")
OVERSIGHT = tuple(OVERSIGHT_ROLES)


def require_supervisor(actor: Actor) -> None:
    if not actor.is_oversight:
        raise Forbidden(N_("仅电子监察人员可查看"), code="not_supervisor")


def day_start_utc(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=SHANGHAI).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    start: date  # inclusive, Shanghai days
    end: date  # exclusive

    @property
    def label(self) -> str:
        return f"{self.start.isoformat()} – {(self.end - timedelta(days=1)).isoformat()}"


def month_period(value: str | None, today: date) -> Period:
    """'YYYY-MM' (default: the month of ``today``)."""
    if value:
        try:
            first = datetime.strptime(value, "%Y-%m").date()
        except ValueError as exc:
            raise ValidationFailed(
                t("月份格式应为 YYYY-MM"), [{"field": "month", "message": "YYYY-MM"}]
            ) from exc
    else:
        first = today.replace(day=1)
    return Period(first, _add_months(first, 1))


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def _open():
    return Case.status.in_(OPEN_STATUSES)


def _light_counts(group_col: Any) -> dict[Any, dict[str, int]]:
    rows = Session.execute(
        select(group_col, Case.light, func.count()).where(_open()).group_by(group_col, Case.light)
    ).all()
    out: dict[Any, dict[str, int]] = {}
    for key, light, n in rows:
        bucket = out.setdefault(key, {"green": 0, "yellow": 0, "red": 0, "none": 0, "total": 0})
        bucket[light if light in LIGHTS else "none"] += n
        bucket["total"] += n
    return out


def by_light(actor: Actor) -> dict[str, int]:
    require_supervisor(actor)
    rows = Session.execute(select(Case.light, func.count()).where(_open()).group_by(Case.light)).all()
    out = {"green": 0, "yellow": 0, "red": 0, "none": 0}
    for light, n in rows:
        out[light if light in LIGHTS else "none"] += n
    out["total"] = sum(out.values())
    return out


def by_item(actor: Actor) -> list[dict[str, Any]]:
    require_supervisor(actor)
    counts = _light_counts(Case.item_id)
    items = Session.scalars(select(ServiceItem).order_by(ServiceItem.code)).all()
    return [
        {
            "item_code": i.code,
            "slug": i.slug,
            "name": i.name_zh,
            "kind": i.kind,
            **counts.get(i.id, {"green": 0, "yellow": 0, "red": 0, "none": 0, "total": 0}),
        }
        for i in items
    ]


def by_department(actor: Actor) -> list[dict[str, Any]]:
    require_supervisor(actor)
    counts = _light_counts(Case.department_code)
    depts = Session.scalars(select(Department).order_by(Department.code)).all()
    return [
        {
            "department_code": d.code,
            "name": d.name_zh,
            **counts.get(d.code, {"green": 0, "yellow": 0, "red": 0, "none": 0, "total": 0}),
        }
        for d in depts
    ]


def unconfirmed_waiting(actor: Actor) -> int:
    """Open cases whose deadline relies on a calendar year not yet officially published."""
    require_supervisor(actor)
    return Session.scalar(select(func.count()).where(_open(), Case.deadline_confirmed.is_(False))) or 0


def performance(actor: Actor, period: Period) -> dict[str, Any]:
    """Cases completed in the period: on-time rate, used vs promised WD; share of 即办件 among submissions."""
    require_supervisor(actor)
    lo, hi = day_start_utc(period.start), day_start_utc(period.end)
    promised = ServiceItem.promised_wd + Case.extension_wd
    on_time = case((Case.used_wd <= promised, 1), else_=0)
    row = Session.execute(
        select(
            func.count(),
            func.sum(on_time),
            func.avg(cast(Case.used_wd, Float)),
            func.avg(cast(promised, Float)),
        )
        .select_from(Case)
        .join(ServiceItem, ServiceItem.id == Case.item_id)
        .where(Case.completed_at >= lo, Case.completed_at < hi, Case.used_wd.is_not(None))
    ).one()
    completed, timely, avg_used, avg_promised = row[0] or 0, row[1] or 0, row[2], row[3]
    sub = Session.execute(
        select(func.count(), func.sum(case((ServiceItem.kind == "immediate", 1), else_=0)))
        .select_from(Case)
        .join(ServiceItem, ServiceItem.id == Case.item_id)
        .where(Case.submitted_at >= lo, Case.submitted_at < hi)
    ).one()
    submitted, immediate = sub[0] or 0, sub[1] or 0
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "completed": completed,
        "on_time": timely,
        "on_time_rate": round(timely / completed, 4) if completed else None,
        "avg_used_wd": round(avg_used, 2) if avg_used is not None else None,
        "avg_promised_wd": round(avg_promised, 2) if avg_promised is not None else None,
        "submitted": submitted,
        "immediate": immediate,
        "immediate_share": round(immediate / submitted, 4) if submitted else None,
    }


def overdue(
    actor: Actor, *, limit: int = 50, offset: int = 0, department: str | None = None, item: str | None = None
) -> dict[str, Any]:
    """Open red cases, the most overdue first."""
    require_supervisor(actor)
    if not 1 <= limit <= 5000 or offset < 0:
        raise ValidationFailed(t("分页参数有误"), [{"field": "limit", "message": "1..5000"}])
    where = [_open(), Case.light == "red"]
    if department:
        where.append(Case.department_code == department)
    if item:
        item_row = Session.scalar(
            select(ServiceItem).where((ServiceItem.code == item) | (ServiceItem.slug == item))
        )
        where.append(Case.item_id == (item_row.id if item_row else -1))
    total = Session.scalar(
        select(func.count()).select_from(Case).where(*where)
    )  # index-only on ix_case_file_board
    base = select(Case, ServiceItem).join(ServiceItem, ServiceItem.id == Case.item_id).where(*where)
    rows = Session.execute(base.order_by(Case.deadline, Case.id).limit(limit).offset(offset)).all()
    return {"total": total or 0, "rows": [_overdue_row(c, i) for c, i in rows]}


def _overdue_row(c: Case, i: ServiceItem) -> dict[str, Any]:
    return {
        "case_no": c.case_no,
        "item_code": i.code,
        "item_name": i.name_zh,
        "department_code": c.department_code,
        "applicant_name": c.applicant_name,
        "status": c.status,
        "deadline": c.deadline.isoformat() if c.deadline else None,
        "deadline_kind": c.deadline_kind,
        "used_wd": c.used_wd,
        "remaining_wd": c.remaining_wd,
        "deadline_confirmed": c.deadline_confirmed,
    }


def trend_buckets(today: date, unit: str, periods: int = 12) -> list[Period]:
    if unit == "week":
        monday = today - timedelta(days=today.weekday())
        return [
            Period(monday - timedelta(weeks=k), monday - timedelta(weeks=k - 1))
            for k in range(periods - 1, -1, -1)
        ]
    if unit == "month":
        first = today.replace(day=1)
        return [
            Period(_add_months(first, -k), _add_months(first, -k + 1)) for k in range(periods - 1, -1, -1)
        ]
    raise ValidationFailed(t("unit 应为 week 或 month"), [{"field": "unit", "message": "week|month"}])


def trends(actor: Actor, today: date, unit: str = "week", periods: int = 12) -> list[dict[str, Any]]:
    """Submitted, completed and on-time counts per week or month (one range scan per measure)."""
    require_supervisor(actor)
    if not 1 <= periods <= 36:
        raise ValidationFailed(t("periods 应为 1–36"), [{"field": "periods", "message": "1..36"}])
    buckets = trend_buckets(today, unit, periods)
    lo, hi = day_start_utc(buckets[0].start), day_start_utc(buckets[-1].end)
    promised = ServiceItem.promised_wd + Case.extension_wd

    def in_bucket(col: Any, b: Period) -> Any:
        return and_(col >= day_start_utc(b.start), col < day_start_utc(b.end))

    done = Session.execute(
        select(
            *[func.sum(case((in_bucket(Case.completed_at, b), 1), else_=0)) for b in buckets],
            *[
                func.sum(case((and_(in_bucket(Case.completed_at, b), Case.used_wd <= promised), 1), else_=0))
                for b in buckets
            ],
        )
        .select_from(Case)
        .join(ServiceItem, ServiceItem.id == Case.item_id)
        .where(Case.completed_at >= lo, Case.completed_at < hi)
    ).one()
    sub = Session.execute(
        select(*[func.sum(case((in_bucket(Case.submitted_at, b), 1), else_=0)) for b in buckets]).where(
            Case.submitted_at >= lo, Case.submitted_at < hi
        )
    ).one()
    n = len(buckets)
    return [
        {
            "label": b.start.isoformat() if unit == "week" else b.start.strftime("%Y-%m"),
            "start": b.start.isoformat(),
            "submitted": sub[k] or 0,
            "completed": done[k] or 0,
            "on_time": done[n + k] or 0,
        }
        for k, b in enumerate(buckets)
    ]
