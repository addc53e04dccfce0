"""Response schemas of the supervision API (alerts, orders, cards, notifications, the cockpit).

The services build these answers as dicts; the schemas state in the OpenAPI document what the server
really sends, and the schemathesis run (tests/security/test_api_fuzz.py) checks the two agree.
"""

from __future__ import annotations

from marshmallow import Schema, fields

_DATE = {"format": "date"}
_TIME = {"format": "date-time"}


class AlertOut(Schema):
    id = fields.Integer()
    subject_kind = fields.String(
        metadata={"description": "case | task | correction | rectification | publication | pub_withdraw"}
    )
    subject_id = fields.Integer()
    case_no = fields.String(allow_none=True)
    level = fields.String(metadata={"description": "yellow | red"})
    state = fields.String(metadata={"description": "open | acknowledged | resolved"})
    department_code = fields.String()
    officer_id = fields.Integer(allow_none=True)
    deadline = fields.String(allow_none=True, metadata=_DATE)
    raised_on = fields.String(metadata=_DATE)
    created_at = fields.String(metadata=_TIME)
    acknowledged_at = fields.String(allow_none=True, metadata=_TIME)
    resolved_at = fields.String(allow_none=True, metadata=_TIME)
    note = fields.String(allow_none=True)


class AlertListOut(Schema):
    alerts = fields.List(fields.Nested(AlertOut))


class EscalationOut(Schema):
    level = fields.Integer()
    from_department = fields.String()
    to_department = fields.String()
    missed_due = fields.String(metadata=_DATE)
    reply_due = fields.String(metadata=_DATE)
    at = fields.String(metadata=_TIME)


class OrderOut(Schema):
    id = fields.Integer()
    case_no = fields.String(allow_none=True)
    department_code = fields.String()
    instruction = fields.String()
    reply_wd = fields.Integer()
    issued_on = fields.String(metadata=_DATE)
    reply_due = fields.String(metadata=_DATE)
    reply_due_confirmed = fields.Boolean()
    state = fields.String()
    light = fields.String(allow_none=True)
    reply = fields.String(allow_none=True)
    replied_at = fields.String(allow_none=True, metadata=_TIME)
    escalation_level = fields.Integer()
    escalated_to = fields.String(allow_none=True)
    escalated_at = fields.String(allow_none=True, metadata=_TIME)
    escalations = fields.List(fields.Nested(EscalationOut))


class OrderListOut(Schema):
    orders = fields.List(fields.Nested(OrderOut))


class CardOut(Schema):
    id = fields.Integer()
    department_code = fields.String()
    color = fields.String(metadata={"description": "yellow | red"})
    rule = fields.String()
    source_kind = fields.String()
    source_id = fields.Integer(allow_none=True)
    issued_on = fields.String(metadata=_DATE)
    reason = fields.String()


class CardListOut(Schema):
    cards = fields.List(fields.Nested(CardOut))


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    ref_id = fields.Integer(allow_none=True)
    subject = fields.String()
    body = fields.String()
    created_at = fields.String(metadata=_TIME)
    read = fields.Boolean()


class NotificationListOut(Schema):
    unread = fields.Integer()
    notifications = fields.List(fields.Nested(NotificationOut))


class PeriodOut(Schema):
    start = fields.String(metadata=_DATE)
    end = fields.String(metadata=_DATE)


class PerformanceOut(Schema):
    period = fields.Nested(PeriodOut)
    completed = fields.Integer()
    on_time = fields.Integer()
    on_time_rate = fields.Float(allow_none=True)
    avg_used_wd = fields.Float(allow_none=True)
    avg_promised_wd = fields.Float(allow_none=True)
    submitted = fields.Integer()
    immediate = fields.Integer()
    immediate_share = fields.Float(allow_none=True)


class SummaryOut(Schema):
    by_light = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "open cases"}
    )
    by_item = fields.List(fields.Dict(), metadata={"description": "open cases per item and light"})
    by_department = fields.List(
        fields.Dict(), metadata={"description": "open cases per department and light"}
    )
    unconfirmed_waiting = fields.Integer()
    performance = fields.Nested(PerformanceOut)


class OverdueRowOut(Schema):
    case_no = fields.String()
    item_code = fields.String()
    item_name = fields.String()
    department_code = fields.String()
    applicant_name = fields.String()
    status = fields.String()
    deadline = fields.String(allow_none=True, metadata=_DATE)
    deadline_kind = fields.String(allow_none=True)
    used_wd = fields.Integer(allow_none=True)
    remaining_wd = fields.Integer(allow_none=True)
    deadline_confirmed = fields.Boolean()


class OverdueOut(Schema):
    total = fields.Integer()
    rows = fields.List(fields.Nested(OverdueRowOut))


class TrendBucketOut(Schema):
    label = fields.String()
    start = fields.String(metadata=_DATE)
    submitted = fields.Integer()
    completed = fields.Integer()
    on_time = fields.Integer()


class TrendsOut(Schema):
    unit = fields.String(metadata={"description": "week | month"})
    buckets = fields.List(fields.Nested(TrendBucketOut))


class HeatStepOut(Schema):
    bpmn_id = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"description": "task | call (a call activity: the sum of its subprocess)"})
    process = fields.String(
        metadata={"description": "call only: the called subprocess (the ?process= value)"}
    )
    tasks = fields.Integer()
    open = fields.Integer()
    avg_wd = fields.Float(metadata={"description": "average waiting working days"})
    heat = fields.String(metadata={"description": "green | yellow | red"})


class HeatDiagramOut(Schema):
    process = fields.String()
    name = fields.String()


class HeatmapOut(Schema):
    item_code = fields.String()
    item_name = fields.String()
    days = fields.Integer()
    process = fields.String(metadata={"description": "the diagram shown"})
    process_name = fields.String()
    main_process = fields.String()
    diagrams = fields.List(fields.Nested(HeatDiagramOut))
    steps = fields.List(fields.Nested(HeatStepOut))
    bpmn = fields.String(allow_none=True, metadata={"description": "the BPMN XML of the diagram shown"})
