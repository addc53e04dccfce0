"""marshmallow schemas of the API: request bodies (load) and responses (dump)."""

from __future__ import annotations

from marshmallow import Schema, fields, pre_dump, validate

from app.api.schema_base import NoticeOut, Strict, _date_str, _iso
from app.models.vocab import CaseStatus, ClockKind, Light
from app.services import guide as _guide
from app.services.clocks import case_clocks, task_clock


class TokenRequest(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class GrantOut(Schema):
    role = fields.String(
        metadata={
            "description": "applicant | clerk | window | reviewer | decider | head | supervisor | designer | admin"
        }
    )
    department = fields.String(
        allow_none=True, metadata={"description": "department code (none for applicants)"}
    )


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String(metadata={"description": "the primary role (the first of roles)"})
    department_code = fields.String(allow_none=True)
    roles = fields.Method("_roles", metadata={"description": "every role-in-department grant"})
    email = fields.String(allow_none=True)
    active = fields.Boolean()
    must_change_password = fields.Boolean()

    def _roles(self, obj):
        grants = getattr(obj, "grants", None)
        if grants and not isinstance(grants[0], tuple):
            return [{"role": g.role, "department": g.department_code} for g in grants]
        return [{"role": r, "department": d} for r, d in (grants or ())]


class GrantIn(Strict):
    role = fields.String(required=True)
    department = fields.String(allow_none=True, load_default=None)


class UserCreate(Strict):
    username = fields.String(required=True)
    name = fields.String(required=True)
    password = fields.String(required=True, validate=validate.Length(max=256))
    email = fields.String(allow_none=True)
    roles = fields.List(fields.Nested(GrantIn), required=True)
    must_change_password = fields.Boolean(load_default=False)


class UserPatch(Strict):
    name = fields.String()
    email = fields.String(allow_none=True)
    roles = fields.List(fields.Nested(GrantIn))
    active = fields.Boolean()


class PasswordReset(Strict):
    password = fields.String(required=True, validate=validate.Length(max=256))


class PasswordChange(Strict):
    # With a bearer token the token says who; without one (a reset password gets no token) the username.
    username = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    current_password = fields.String(required=True, validate=validate.Length(max=256))
    new_password = fields.String(required=True, validate=validate.Length(max=256))


class DepartmentOut(Schema):
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    level = fields.String(metadata={"description": "province | city | county | centre"})
    parent = fields.String(allow_none=True, metadata={"description": "code of the department one level up"})
    short_name = fields.String(metadata={"description": "机关代字 used in document numbers"})
    header = fields.String(metadata={"description": "the authority as written on its documents"})
    has_seal = fields.Boolean()


class TokenResponse(Schema):
    token = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserOut)


class ApplicantIn(Schema):
    # Validated in the service (ID check digits); the schema only shapes it.
    kind = fields.String(required=True)
    name = fields.String(required=True)
    id_no = fields.String(required=True)
    phone = fields.String(allow_none=True)


class CaseCreate(Strict):
    item_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    applicant = fields.Dict(required=True)
    data = fields.Dict(load_default=dict)


class DataBody(Strict):
    data = fields.Dict(required=True)


class ItemOut(Schema):
    code = fields.String()
    slug = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    department_code = fields.String()
    kind = fields.String()
    statutory_wd = fields.Integer()
    promised_wd = fields.Integer()
    current_version = fields.String(allow_none=True)
    department_name = fields.Function(lambda i: _guide.department_name(i.department_code))
    themes = fields.Function(lambda i: ((i.definition or {}).get("guide") or {}).get("themes") or [])


class ItemDetail(ItemOut):
    definition = fields.Dict()
    guide = fields.Function(lambda i: _guide.guide_of(i))
    materials = fields.Function(lambda i: _guide.materials_of(i))
    application_schema = fields.Function(lambda i: _guide.application_schema(i))


class PauseOut(Schema):
    start = _date_str()
    end = _date_str(allow_none=True)
    reason = fields.String(metadata={"description": "correction | special:<procedure>"})


class ExtensionOut(Schema):
    days = fields.Integer()
    reason = fields.String()
    approved_on = _date_str()


class ClockOut(Schema):
    """One named legal clock of a case or a step (working days on the official calendar)."""

    kind = fields.String(validate=validate.OneOf([k.value for k in ClockKind]))
    label_zh = fields.String()
    label_en = fields.String()
    start = _date_str()
    deadline = _date_str(allow_none=True)
    limit_wd = fields.Integer(allow_none=True, metadata={"description": "limit including extensions"})
    light = fields.String(allow_none=True, validate=validate.OneOf([v.value for v in Light]))
    used_wd = fields.Integer(allow_none=True)
    remaining_wd = fields.Integer(allow_none=True)
    overdue_wd = fields.Integer(allow_none=True)
    paused = fields.Boolean()
    paused_wd = fields.Integer(metadata={"description": "working days paused (correction, Art. 45)"})
    confirmed = fields.Boolean(
        metadata={"description": "false: the deadline lies in a year without an official calendar"}
    )
    stopped_on = _date_str(allow_none=True)
    pauses = fields.List(fields.Nested(PauseOut))
    extensions = fields.List(fields.Nested(ExtensionOut))
    code = fields.String(allow_none=True, metadata={"description": "special procedure kind"})
    notified_wd = fields.Integer(
        allow_none=True, metadata={"description": "duration told to the applicant (Art. 45)"}
    )
    notified_end = _date_str(allow_none=True)


class TaskOut(Schema):
    id = fields.Integer()
    case_no = fields.String()
    item_code = fields.String()
    applicant_name = fields.String()
    bpmn_id = fields.String()
    name = fields.String()
    role = fields.String()
    department_code = fields.String()
    state = fields.String()
    assignee_id = fields.Integer(allow_none=True)
    special_procedure = fields.String(allow_none=True)
    created_at = fields.DateTime()
    claimed_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    deadline = _date_str(allow_none=True)
    light = fields.String(allow_none=True)
    remaining_wd = fields.Integer(allow_none=True)
    confirmed = fields.Boolean()
    clock = fields.Nested(ClockOut, allow_none=True)

    @pre_dump
    def _view(self, t, **_kw):
        return {
            "id": t.id,
            "case_no": t.case.case_no,
            "item_code": t.case.item.code,
            "applicant_name": t.case.applicant_name,
            "bpmn_id": t.bpmn_id,
            "name": t.name,
            "role": t.role,
            "department_code": t.department_code,
            "state": t.state,
            "assignee_id": t.assignee_id,
            "special_procedure": t.special_procedure,
            "created_at": t.created_at,
            "claimed_at": t.claimed_at,
            "completed_at": t.completed_at,
            "deadline": t.deadline.isoformat() if t.deadline else None,
            "light": t.light,
            "remaining_wd": t.remaining_wd,
            "confirmed": t.deadline_confirmed,
            "clock": task_clock(t),
        }


class TaskDetail(TaskOut):
    form = fields.Dict()
    data = fields.Dict(allow_none=True)


class AuditOut(Schema):
    at = fields.DateTime()
    actor = fields.String(attribute="actor_name")
    action = fields.String()
    target = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class CaseOut(Schema):
    case_no = fields.String()
    item_code = fields.String()
    item_name = fields.String()
    department_code = fields.String()
    status = fields.String(validate=validate.OneOf([v.value for v in CaseStatus]))
    outcome = fields.String(allow_none=True)
    waiting_for = fields.String(allow_none=True)
    applicant = fields.Dict()
    process_version = fields.String()
    submitted_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    data = fields.Dict()
    received_on = _date_str(allow_none=True)
    accepted_on = _date_str(allow_none=True)
    deemed_accepted = fields.Boolean()
    decided_on = _date_str(allow_none=True)
    delivered_on = _date_str(allow_none=True)
    deadline = _date_str(allow_none=True, metadata={"description": "the governing deadline now"})
    deadline_kind = fields.String(allow_none=True)
    statutory_deadline = _date_str(allow_none=True)
    light = fields.String(allow_none=True)
    confirmed = fields.Boolean()
    clock_paused = fields.Boolean()
    used_wd = fields.Integer(allow_none=True)
    remaining_wd = fields.Integer(allow_none=True)
    extension_wd = fields.Integer()
    query_code = fields.String(allow_none=True, metadata={"description": "for the public progress lookup"})
    clocks = fields.List(fields.Nested(ClockOut))

    @pre_dump
    def _view(self, c, **_kw):
        return {
            "case_no": c.case_no,
            "item_code": c.item.code,
            "item_name": c.item.name_zh,
            "department_code": c.department_code,
            "status": c.status,
            "outcome": c.outcome,
            "waiting_for": c.waiting_for,
            "applicant": {
                "kind": c.applicant_kind,
                "name": c.applicant_name,
                "id_no": c.applicant_id_no,
                "phone": c.applicant_phone,
            },
            "process_version": c.process_version,
            "submitted_at": c.submitted_at,
            "completed_at": c.completed_at,
            "data": c.data,
            "received_on": _iso(c.received_on),
            "accepted_on": _iso(c.accepted_on),
            "deemed_accepted": c.deemed_accepted,
            "decided_on": _iso(c.decided_on),
            "delivered_on": _iso(c.delivered_on),
            "deadline": _iso(c.deadline),
            "deadline_kind": c.deadline_kind,
            "statutory_deadline": _iso(c.statutory_deadline),
            "light": c.light,
            "confirmed": c.deadline_confirmed,
            "clock_paused": c.clock_paused,
            "used_wd": c.used_wd,
            "remaining_wd": c.remaining_wd,
            "extension_wd": c.extension_wd or 0,
            "query_code": c.query_code,
            "clocks": case_clocks(c),
        }


class CaseDocumentOut(CaseOut):
    """A case as the API answers it: the case with its open tasks, history and the applicant's notices."""

    open_tasks = fields.List(fields.Nested(TaskOut))
    history = fields.List(fields.Nested(AuditOut))
    notices = fields.List(fields.Nested(NoticeOut))


class CaseCreated(Schema):
    case_no = fields.String()
    status = fields.String()
    query_code = fields.String(allow_none=True)  # printed on the receipt; opens the public progress lookup


class WithdrawBody(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class RenoticeBody(Strict):
    notified_wd = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=250))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ErrorDetail(Schema):
    field = fields.String()
    message = fields.String()


class ErrorInner(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Raw(allow_none=True)


class ErrorOut(Schema):
    error = fields.Nested(ErrorInner)


class DayUpdate(Strict):
    is_workday = fields.Boolean(required=True)
    note = fields.String(allow_none=True, validate=validate.Length(max=100))


# -- 一件事 joint cases (app.services.joint) ---------------------------------------------------------


class JointExtensionBody(Strict):
    days = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=15))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class JointApprovalBody(Strict):
    opinion = fields.String(load_default="", validate=validate.Length(max=1000))


class JointComponentOut(Schema):
    """A component of a master case as every party to the master may read it (no opinions)."""

    case_no = fields.String()
    item_code = fields.String()
    item_slug = fields.String()
    item_name = fields.String()
    department_code = fields.String()
    department_name = fields.String()
    status = fields.String()
    outcome = fields.String(allow_none=True)
    accepted_on = fields.String(allow_none=True)
    decided_on = fields.String(allow_none=True)
    deadline = fields.String(allow_none=True)
    light = fields.String(allow_none=True)
    clocks = fields.List(fields.Dict())
    open_tasks = fields.List(fields.Dict())


# The results API's schemas, here so the OpenAPI document registers them with the others.
from app.api.calendar_schemas import (  # noqa: E402, F401
    DaySetOut,
    UnconfirmedCasesOut,
    WorkdayCountOut,
    WorkdayDateOut,
    YearImportedOut,
    YearListOut,
    YearOut,
)

# The front door's and the case file's schemas (app.api.portal_schemas), re-exported.
from app.api.portal_schemas import (  # noqa: E402, F401
    ApplicantCaseOut,
    ApplicantClockOut,
    ApplicantMaterialOut,
    Bilingual,
    CaseListArgs,
    CaseListOut,
    CaseListRow,
    CorrectionOut,
    DeliveryOut,
    DocumentListOut,
    DocumentOut,
    DraftCreate,
    DraftFileOut,
    DraftListOut,
    DraftOut,
    DraftSave,
    DraftSubmit,
    MaterialListOut,
    MaterialOut,
    MessageListArgs,
    MessageListOut,
    MessageOut,
    MessageReadOut,
    MobileCodeRequest,
    MobileCodeSent,
    NextActionOut,
    ProgressOut,
    PublicComponentClockOut,
    PublicComponentOut,
    PublicLicenceOut,
    PublicStep,
    RegisterRequest,
    RequestedMaterialOut,
)
from app.api.result_schemas import (  # noqa: E402, F401
    AppealDecision,
    AppealRequest,
    LicenceEndRequest,
    LicenceListArgs,
    LicenceListOut,
    LicenceMaterialRequest,
    LicenceOut,
    LicenceUseOut,
    PublicationListOut,
    PublicationOut,
    PublicDecisionArgs,
    PublicDecisionListOut,
    PublicDecisionOut,
    RatingOut,
    RatingRequest,
    RectificationBrief,
    RectificationListOut,
    RectificationOut,
    RectificationReply,
    VerifyOut,
)
from app.api.supervision_schemas import (  # noqa: E402, F401
    AlertListOut,
    AlertOut,
    CardListOut,
    HeatmapOut,
    NotificationListOut,
    OrderListOut,
    OrderOut,
    OverdueOut,
    SummaryOut,
    TrendsOut,
)


class JobOut(Schema):
    """A background job (administrators): the dead-letter list and its retry."""

    id = fields.Integer()
    task = fields.String(metadata={"description": "notify.deliver | messages.deliver | licences.pdf"})
    task_name = fields.Nested(Bilingual)
    status = fields.String(
        metadata={"description": "todo | doing | succeeded | failed | cancelled | aborted"}
    )
    status_name = fields.Nested(Bilingual)
    attempts = fields.Integer(metadata={"description": "runs so far"})
    args = fields.Dict()
    last_error = fields.String(allow_none=True)
    failed_at = fields.DateTime(allow_none=True)
    scheduled_at = fields.DateTime(allow_none=True, metadata={"description": "next run (a waiting retry)"})


class JobList(Schema):
    engine = fields.String(
        metadata={"description": "procrastinate | inprocess (no job rows: SQLite runs deliveries in process)"}
    )
    jobs = fields.List(fields.Nested(JobOut))
