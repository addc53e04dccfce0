from __future__ import annotations

from datetime import date

from flask import jsonify, request

from app.api import bp
from app.api.common import current_actor, load_body
from app.api.schemas import DayUpdate
from app.services import calendar as calendar_service
from app.services.clocks import unconfirmed_open_cases
from app.services.errors import ValidationFailed
from app.services.i18n import t


def _date_arg(name: str) -> date:
    raw = request.args.get(name)
    try:
        return date.fromisoformat(raw or "")
    except ValueError as exc:
        raise ValidationFailed(
            t("参数 %(name)s 必须是 YYYY-MM-DD", name=name),
            [{"field": name, "message": f"not a date: {raw!r}"}],
        ) from exc


def _in_range(cal, *days: date) -> None:
    for d in days:
        if not (cal.first_year <= d.year <= cal.last_year):
            raise ValidationFailed(
                t(
                    "日期 %(d)s 超出日历范围 %(first_year)s–%(last_year)s",
                    d=d,
                    first_year=cal.first_year,
                    last_year=cal.last_year,
                ),
                [{"field": "date", "message": f"{d} outside {cal.first_year}..{cal.last_year}"}],
            )


@bp.get("/calendar/years")
def calendar_years():
    """Which years have an official (confirmed) arrangement loaded.
    ---
    get:
      tags: [calendar]
      responses: {200: {description: years, content: {application/json: {schema: YearListOut}}}}
    """
    current_actor()
    return jsonify({"years": calendar_service.confirmed_years()})


@bp.get("/calendar/<int(max=9999):year>")
def calendar_year(year: int):
    """One year's official days (holidays, make-up working days) and whether it is confirmed.
    ---
    get:
      tags: [calendar]
      parameters: [{in: path, name: year, required: true, schema: {type: integer}}]
      responses: {200: {description: the year, content: {application/json: {schema: YearOut}}}, 422: {content: {application/json: {schema: ErrorOut}}}}
    """
    current_actor()
    cal = calendar_service.get_calendar()
    if not (cal.first_year <= year <= cal.last_year):
        raise ValidationFailed(
            t("年份 %(year)s 超出范围", year=year),
            [{"field": "year", "message": f"{cal.first_year}..{cal.last_year}"}],
        )
    return jsonify(calendar_service.year_view(year))


@bp.put("/calendar/days/<day>")
def calendar_set_day(day: str):
    """Set one day's status (admin); every open deadline is recomputed.
    ---
    put:
      tags: [calendar]
      parameters: [{in: path, name: day, required: true, schema: {type: string, format: date}}]
      requestBody: {content: {application/json: {schema: DayUpdate}}}
      responses: {200: {description: updated, content: {application/json: {schema: DaySetOut}}}, 403: {content: {application/json: {schema: ErrorOut}}}, 422: {content: {application/json: {schema: ErrorOut}}}}
    """
    actor = current_actor()
    try:
        d = date.fromisoformat(day)
    except ValueError as exc:
        raise ValidationFailed(
            t("日期格式 YYYY-MM-DD"),
            [{"field": "date", "message": f"not a date: {day!r}"}],
        ) from exc
    _in_range(calendar_service.get_calendar(), d)
    body = load_body(DayUpdate())
    return jsonify(calendar_service.set_day(actor, d, body["is_workday"], body.get("note")))


@bp.post("/calendar/import")
def calendar_import():
    """Import a year's State Council arrangement (admin): JSON, or CSV (date,type,name) with ?year=&source=.
    ---
    post:
      tags: [calendar]
      responses: {200: {description: imported, content: {application/json: {schema: YearImportedOut}}}, 403: {content: {application/json: {schema: ErrorOut}}}, 422: {content: {application/json: {schema: ErrorOut}}}}
    """
    actor = current_actor()
    if request.mimetype == "text/csv":
        payload = {
            "text": request.get_data(as_text=True),
            "year": request.args.get("year"),
            "source": request.args.get("source"),
        }
        return jsonify(calendar_service.import_year(actor, payload, fmt="csv"))
    payload = request.get_json(silent=True)
    if payload is None:
        raise ValidationFailed(
            t("请求体必须是 JSON 或 CSV"),
            [{"field": "(body)", "message": "invalid body"}],
        )
    return jsonify(calendar_service.import_year(actor, payload))


@bp.get("/calendar/add-workdays")
def calendar_add_workdays():
    """The N-th working day after START (the start day is not counted).
    ---
    get:
      tags: [calendar]
      parameters:
        - {in: query, name: start, required: true, schema: {type: string, format: date}}
        - {in: query, name: days, required: true, schema: {type: integer, minimum: 0}}
      responses: {200: {description: '{date, confirmed}', content: {application/json: {schema: WorkdayDateOut}}}, 422: {content: {application/json: {schema: ErrorOut}}}}
    """
    current_actor()
    start = _date_arg("start")
    days = request.args.get("days", type=int)
    if days is None or days < 0 or days > 3650:
        raise ValidationFailed(
            t("days 必须是 0–3650 的整数"),
            [{"field": "days", "message": "integer 0..3650"}],
        )
    cal = calendar_service.get_calendar()
    _in_range(cal, start)
    try:
        result = cal.add_workdays(start, days)
    except ValueError as exc:
        raise ValidationFailed(str(exc), [{"field": "days", "message": str(exc)}]) from exc
    return jsonify({"date": result.date.isoformat(), "confirmed": result.confirmed})


@bp.get("/calendar/count-workdays")
def calendar_count_workdays():
    """Working days in (START, END].
    ---
    get:
      tags: [calendar]
      parameters:
        - {in: query, name: start, required: true, schema: {type: string, format: date}}
        - {in: query, name: end, required: true, schema: {type: string, format: date}}
      responses: {200: {description: '{count, confirmed}', content: {application/json: {schema: WorkdayCountOut}}}, 422: {content: {application/json: {schema: ErrorOut}}}}
    """
    current_actor()
    start, end = _date_arg("start"), _date_arg("end")
    cal = calendar_service.get_calendar()
    _in_range(cal, start, end)
    lo, hi = min(start, end), max(start, end)
    return jsonify(
        {"count": cal.count_workdays(start, end), "confirmed": not cal.unconfirmed_years_between(lo, hi)}
    )


@bp.get("/calendar/unconfirmed-cases")
def calendar_unconfirmed_cases():
    """Open cases whose deadline depends on days of a year not yet officially arranged.
    ---
    get:
      tags: [calendar]
      responses: {200: {description: cases, content: {application/json: {schema: UnconfirmedCasesOut}}}, 403: {content: {application/json: {schema: ErrorOut}}}}
    """
    actor = current_actor()
    cases = unconfirmed_open_cases(actor)
    years = sorted({c.deadline.year for c in cases if c.deadline})
    return jsonify(
        {
            "count": len(cases),
            "years": years,
            "cases": [
                {
                    "case_no": c.case_no,
                    "department_code": c.department_code,
                    "deadline": c.deadline.isoformat() if c.deadline else None,
                    "deadline_kind": c.deadline_kind,
                }
                for c in cases
            ],
        }
    )
