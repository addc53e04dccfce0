"""Response schemas of the calendar API (the working-day calendar and its arithmetic)."""

from __future__ import annotations

from marshmallow import Schema, fields

_DATE = {"format": "date"}


class YearRowOut(Schema):
    year = fields.Integer()
    confirmed = fields.Boolean()
    source = fields.String(allow_none=True)
    loaded_at = fields.String(metadata={"format": "date-time"})


class YearListOut(Schema):
    years = fields.List(fields.Nested(YearRowOut))


class CalendarDayOut(Schema):
    date = fields.String(metadata=_DATE)
    is_workday = fields.Boolean()
    note = fields.String(allow_none=True)
    source = fields.String(allow_none=True)


class YearOut(Schema):
    year = fields.Integer()
    confirmed = fields.Boolean()
    source = fields.String(allow_none=True)
    workdays = fields.Integer()
    days = fields.List(fields.Nested(CalendarDayOut))


class RecomputedOut(Schema):
    """How many open cases and steps got a new deadline or light from the change."""

    cases_changed = fields.Integer()
    tasks_changed = fields.Integer()


class DaySetOut(RecomputedOut):
    date = fields.String(metadata=_DATE)
    is_workday = fields.Boolean()
    note = fields.String(allow_none=True)


class YearImportedOut(RecomputedOut):
    year = fields.Integer()
    days = fields.Integer()
    confirmed = fields.Boolean()


class WorkdayDateOut(Schema):
    date = fields.String(metadata=_DATE)
    confirmed = fields.Boolean()


class WorkdayCountOut(Schema):
    count = fields.Integer()
    confirmed = fields.Boolean()


class UnconfirmedCaseOut(Schema):
    case_no = fields.String()
    department_code = fields.String()
    deadline = fields.String(allow_none=True, metadata=_DATE)
    deadline_kind = fields.String(allow_none=True)


class UnconfirmedCasesOut(Schema):
    count = fields.Integer()
    years = fields.List(fields.Integer())
    cases = fields.List(fields.Nested(UnconfirmedCaseOut))
