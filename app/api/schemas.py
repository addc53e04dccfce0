"""marshmallow schemas of the API: request bodies (load) and responses (dump)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class Strict(Schema):
    class Meta:
        unknown = RAISE


class TokenRequest(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class PasswordChange(Strict):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    department_code = fields.String(allow_none=True)


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


class ItemDetail(ItemOut):
    definition = fields.Dict()


class TaskOut(Schema):
    id = fields.Integer()
    case_no = fields.Function(lambda t: t.case.case_no)
    item_code = fields.Function(lambda t: t.case.item.code)
    applicant_name = fields.Function(lambda t: t.case.applicant_name)
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
    item_code = fields.Function(lambda c: c.item.code)
    item_name = fields.Function(lambda c: c.item.name_zh)
    department_code = fields.String()
    status = fields.String()
    outcome = fields.String(allow_none=True)
    waiting_for = fields.String(allow_none=True)
    applicant = fields.Function(
        lambda c: {
            "kind": c.applicant_kind,
            "name": c.applicant_name,
            "id_no": c.applicant_id_no,
            "phone": c.applicant_phone,
        }
    )
    process_version = fields.String()
    submitted_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    data = fields.Dict()


class CaseCreated(Schema):
    case_no = fields.String()
    status = fields.String()


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
