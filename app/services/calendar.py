"""The platform's working-day calendar: seed from the package, import a year, edit a day, cache.

Only official arrangements count as confirmed: the chinese_calendar package records the State
Council notices for the years it covers (it refuses years it has no notice for, so no rule-based
guess can slip in). Every change recomputes the open deadlines (app.services.clocks). The cached
calendar itself is read through app.services.workdays.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, select

from app.models import AuditEvent, CalendarDay, CalendarYear, Case, Session, utcnow
from app.models.vocab import OPEN_STATUSES
from app.services import audit
from app.services.auth import Actor
from app.services.clocks import recompute_open_clocks
from app.services.errors import Forbidden, ValidationFailed
from app.services.i18n import N_, t
from app.services.workdays import get_calendar, invalidate

PACKAGE_SOURCE = "chinese_calendar {version}（国务院办公厅节假日安排通知）"


REDATED_LISTED = 500  # case numbers kept in the audit record of one calendar change


def _open_deadlines() -> dict[int, tuple[str | None, date | None, date | None]]:
    rows = Session.execute(
        select(Case.id, Case.case_no, Case.deadline, Case.statutory_deadline).where(
            Case.status.in_(OPEN_STATUSES)
        )
    ).all()
    return {r.id: (r.case_no, r.deadline, r.statutory_deadline) for r in rows}


def _redated(before: dict[int, tuple[str | None, date | None, date | None]]) -> list[dict[str, Any]]:
    """Open cases whose deadline or statutory deadline moved, with both dates (for the audit record)."""
    after = _open_deadlines()
    out = []
    for case_id, (case_no, deadline, statutory) in sorted(after.items()):
        old = before.get(case_id)
        if old is not None and (old[1], old[2]) != (deadline, statutory):
            out.append(
                {
                    "case_no": case_no,
                    "deadline_before": old[1].isoformat() if old[1] else None,
                    "deadline_after": deadline.isoformat() if deadline else None,
                    "statutory_before": old[2].isoformat() if old[2] else None,
                    "statutory_after": statutory.isoformat() if statutory else None,
                }
            )
    return out


def recent_changes(actor: Actor, limit: int = 20) -> list[AuditEvent]:
    """The latest imports and day edits, each with the open cases it re-dated."""
    _require_admin(actor)
    return list(
        Session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action.in_(("calendar.import", "calendar.day", "calendar.seed")))
            .order_by(AuditEvent.id.desc())
            .limit(limit)
        )
    )


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(N_("仅管理员可维护工作日历"), code="admin_only")


def package_days() -> tuple[dict[date, tuple[bool, str]], set[int], str]:
    """Official day statuses recorded by the chinese_calendar package, with its covered years."""
    import chinese_calendar
    from chinese_calendar import constants

    days: dict[date, tuple[bool, str]] = {}
    for d, name in constants.holidays.items():
        days[d] = (False, _holiday_name(name))
    for d, name in constants.workdays.items():
        if d.weekday() >= 5:
            days[d] = (True, f"{_holiday_name(name)}调休上班")
    years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    return days, years, getattr(chinese_calendar, "__version__", "?")


def _holiday_name(name: Any) -> str:
    text = getattr(name, "value", None) or str(name)
    return text.split(",")[-1] if "," in text else text


def seed_from_package(actor: Actor | None = None) -> list[int]:
    """Load every year the package records that is not yet in the table. Idempotent."""
    days, years, version = package_days()
    have = set(Session.scalars(select(CalendarYear.year)))
    new_years = sorted(years - have)
    if not new_years:
        return []
    source = PACKAGE_SOURCE.format(version=version)
    for year in new_years:
        Session.execute(
            delete(CalendarDay).where(
                CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
            )
        )
    Session.add_all(
        CalendarDay(day=d, is_workday=work, note=note, source="package")
        for d, (work, note) in sorted(days.items())
        if d.year in new_years
    )
    for year in new_years:
        Session.add(
            CalendarYear(
                year=year, confirmed=True, source=source, loaded_by=actor.username if actor else "system"
            )
        )
    audit.record(
        actor, "calendar.seed", None, target="calendar", after={"years": new_years, "source": source}
    )
    Session.commit()
    invalidate()
    return new_years


def year_view(year: int) -> dict[str, Any]:
    cal = get_calendar()
    row = Session.get(CalendarYear, year)
    days = Session.scalars(
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    ).all()
    first, last = date(year, 1, 1), date(year, 12, 31)
    return {
        "year": year,
        "confirmed": bool(row and row.confirmed),
        "source": row.source if row else None,
        "workdays": cal.count_workdays(first - timedelta(days=1), last),
        "days": [
            {"date": d.day.isoformat(), "is_workday": d.is_workday, "note": d.note, "source": d.source}
            for d in days
        ],
    }


def confirmed_years() -> list[dict[str, Any]]:
    return [
        {"year": y.year, "confirmed": y.confirmed, "source": y.source, "loaded_at": y.loaded_at.isoformat()}
        for y in Session.scalars(select(CalendarYear).order_by(CalendarYear.year))
    ]


def _parse_date(value: Any, field: str, problems: list[dict[str, str]]) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        problems.append({"field": field, "message": t("不是有效日期 YYYY-MM-DD")})
        return None


def parse_import(payload: Any, fmt: str = "json") -> dict[str, Any]:
    """Validate an import document. JSON: {year, source, holidays: [{date|start,end, name}], workdays: [{date, name}]}.
    CSV: header ``date,type,name`` with type holiday|workday, plus ``year`` and ``source`` given separately."""
    problems: list[dict[str, str]] = []
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(payload["text"])))
        doc = {"year": payload.get("year"), "source": payload.get("source"), "holidays": [], "workdays": []}
        for i, row in enumerate(rows, start=2):
            kind = (row.get("type") or "").strip()
            entry = {
                "date": (row.get("date") or "").strip(),
                "name": (row.get("name") or "").strip(),
                "line": i,
            }
            if kind not in ("holiday", "workday"):
                problems.append({"field": f"line {i}.type", "message": "must be holiday or workday"})
                continue
            doc["holidays" if kind == "holiday" else "workdays"].append(entry)
        if doc["year"] is None and rows:
            doc["year"] = (rows[0].get("date") or "")[:4]
        payload = doc
    if not isinstance(payload, dict):
        raise ValidationFailed(t("导入内容必须是对象"), [{"field": "(body)", "message": "not an object"}])
    try:
        year = int(payload.get("year"))  # type: ignore[arg-type]  # TypeError is handled below
    except (TypeError, ValueError):
        year = 0
        problems.append({"field": "year", "message": t("必填，四位年份")})
    source = str(payload.get("source") or "").strip()
    if not source:
        problems.append({"field": "source", "message": t("必填：国务院通知文号")})
    days: dict[date, tuple[bool, str]] = {}
    for key, work in (("holidays", False), ("workdays", True)):
        entries = payload.get(key) or []
        if not isinstance(entries, list):
            problems.append({"field": key, "message": "must be a list"})
            continue
        for i, entry in enumerate(entries):
            field = f"{key}.{i}"
            if not isinstance(entry, dict):
                problems.append({"field": field, "message": "must be an object"})
                continue
            name = str(entry.get("name") or ("调休上班" if work else "节假日"))
            if "start" in entry:
                start = _parse_date(entry.get("start"), f"{field}.start", problems)
                end = _parse_date(entry.get("end"), f"{field}.end", problems)
                span = (
                    [start + timedelta(days=k) for k in range((end - start).days + 1)]
                    if start and end and end >= start
                    else []
                )
                if start and end and end < start:
                    problems.append({"field": field, "message": "end before start"})
            else:
                d = _parse_date(entry.get("date"), f"{field}.date", problems)
                span = [d] if d else []
            for d in span:
                if year and d.year != year:
                    problems.append({"field": field, "message": t("%(d)s 不在 %(year)s 年", d=d, year=year)})
                elif d in days and days[d][0] != work:
                    problems.append({"field": field, "message": t("%(d)s 同时是节假日和工作日", d=d)})
                else:
                    days[d] = (work, name)
    if year and not any(not w for w, _ in days.values()):
        problems.append({"field": "holidays", "message": t("至少一个节假日")})
    if problems:
        raise ValidationFailed(t("日历导入有误"), problems)
    return {"year": year, "source": source, "days": days}


def import_year(actor: Actor, payload: Any, fmt: str = "json") -> dict[str, Any]:
    """Replace one year's arrangement with the official one and mark the year confirmed."""
    _require_admin(actor)
    doc = parse_import(payload, fmt)
    year, days = doc["year"], doc["days"]
    before = year_view(year)
    deadlines = _open_deadlines()
    Session.execute(
        delete(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    )
    Session.add_all(
        CalendarDay(day=d, is_workday=w, note=n, source="import") for d, (w, n) in sorted(days.items())
    )
    row = Session.get(CalendarYear, year) or CalendarYear(year=year)
    row.confirmed, row.source, row.loaded_by, row.loaded_at = True, doc["source"], actor.username, utcnow()
    Session.add(row)
    Session.flush()
    invalidate()
    changed = recompute_open_clocks(commit=False)
    redated = _redated(deadlines)
    audit.record(
        actor,
        "calendar.import",
        None,
        target=str(year),
        before={"confirmed": before["confirmed"], "days": len(before["days"])},
        after={
            "confirmed": True,
            "days": len(days),
            "source": doc["source"],
            "cases_redated": changed["cases_changed"],
            "redated": redated[:REDATED_LISTED],
        },
    )
    Session.commit()
    invalidate()
    return {"year": year, "days": len(days), "confirmed": True, **changed}


def set_day(actor: Actor, day: date, is_workday: bool, note: str | None) -> dict[str, Any]:
    _require_admin(actor)
    if not isinstance(is_workday, bool):
        raise ValidationFailed(
            t("is_workday 必须是布尔值"),
            [{"field": "is_workday", "message": "must be true or false"}],
        )
    deadlines = _open_deadlines()
    row = Session.get(CalendarDay, day)
    before = {"is_workday": row.is_workday if row else day.weekday() < 5, "note": row.note if row else None}
    if row is None:
        row = CalendarDay(day=day, is_workday=is_workday, note=note, source="admin")
        Session.add(row)
    row.is_workday, row.note, row.source, row.updated_at = is_workday, note, "admin", utcnow()
    Session.flush()
    invalidate()
    changed = recompute_open_clocks(commit=False)
    redated = _redated(deadlines)
    audit.record(
        actor,
        "calendar.day",
        None,
        target=day.isoformat(),
        before=before,
        after={
            "is_workday": is_workday,
            "note": note,
            "cases_redated": changed["cases_changed"],
            "redated": redated[:REDATED_LISTED],
        },
    )
    Session.commit()
    invalidate()
    return {"date": day.isoformat(), "is_workday": is_workday, "note": note, **changed}
