"""The API's schemas of the front door (registration, progress lookup, case lists) and of a case's file
(documents, materials, messages, drafts, the applicant's case), split from app.api.schemas, which
re-exports them (the OpenAPI document registers what that module holds)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schema_base import NoticeOut, Strict

# -- the front door: registration, progress lookup, case lists -------------------------------------


class Bilingual(Schema):
    zh = fields.String()
    en = fields.String()


class MobileCodeRequest(Strict):
    mobile = fields.String(required=True, validate=validate.Length(min=1, max=20))
    purpose = fields.String(load_default="register", validate=validate.OneOf(["register"]))


class MobileCodeSent(Schema):
    mobile = fields.String()
    expires_at = fields.DateTime()
    resend_after = fields.DateTime()


class RegisterRequest(Strict):
    # Shapes only; the service checks ID check digits, the password policy and the SMS code.
    kind = fields.String(required=True, validate=validate.OneOf(["person", "entity"]))
    name = fields.String(required=True, validate=validate.Length(max=100))
    id_no = fields.String(required=True, validate=validate.Length(max=32))
    mobile = fields.String(required=True, validate=validate.Length(max=20))
    code = fields.String(required=True, validate=validate.Length(max=12))
    password = fields.String(required=True, validate=validate.Length(max=256))
    legal_representative = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    contact_name = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=50))
    email = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=255))


class PublicStep(Schema):
    name = fields.Nested(Bilingual)
    started_on = fields.String(allow_none=True)
    completed_on = fields.String(allow_none=True)
    current = fields.Boolean()


class PublicComponentClockOut(Schema):
    deadline = fields.String(allow_none=True)
    remaining_wd = fields.Integer(allow_none=True)
    paused = fields.Boolean()
    light = fields.String(allow_none=True)


class PublicLicenceOut(Schema):
    licence_no = fields.String()
    verify_code = fields.String()
    type_name = fields.String()
    status = fields.String()


class PublicComponentOut(Schema):
    """一件事: one department's part of a master case in public words (app.services.joint.public); the
    applicant's own reading adds its case number, clock, documents and e-licence."""

    item = fields.Dict()
    department = fields.Dict()
    status = fields.String()
    status_name = fields.Nested("Bilingual")
    outcome = fields.String(allow_none=True)
    outcome_name = fields.Nested("Bilingual", allow_none=True)
    current_steps = fields.List(fields.Nested("Bilingual"))
    accepted_on = fields.String(allow_none=True)
    decided_on = fields.String(allow_none=True)
    deadline = fields.String(allow_none=True)
    case_no = fields.String()
    clock = fields.Nested(PublicComponentClockOut)
    documents = fields.List(fields.Dict())
    licence = fields.Nested(PublicLicenceOut, allow_none=True)


class ProgressOut(Schema):
    components = fields.List(fields.Nested(PublicComponentOut))
    case_no = fields.String()
    item = fields.Dict()
    department = fields.Dict()
    status = fields.String()
    status_name = fields.Nested(Bilingual)
    outcome_name = fields.Nested(Bilingual, allow_none=True)
    current_steps = fields.List(fields.Nested(Bilingual))
    submitted_on = fields.String(allow_none=True)
    received_on = fields.String(allow_none=True)
    accepted_on = fields.String(allow_none=True)
    decided_on = fields.String(allow_none=True)
    completed_on = fields.String(allow_none=True)
    deadline = fields.String(allow_none=True)
    timeline = fields.List(fields.Nested(PublicStep))


class CaseListRow(ProgressOut):
    applicant_name = fields.String()
    light = fields.String(allow_none=True)
    remaining_wd = fields.Integer(allow_none=True)


class CaseListOut(Schema):
    cases = fields.List(fields.Nested(CaseListRow))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class CaseListArgs(Strict):
    status = fields.String(load_default=None, validate=validate.Length(max=20))
    item_code = fields.String(load_default=None, validate=validate.Length(max=64))
    q = fields.String(load_default=None, validate=validate.Length(max=64))
    light = fields.String(load_default=None, validate=validate.OneOf(["green", "yellow", "red"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


# -- a case's file for applicants and staff: documents, materials, messages, drafts ------------------


class DocumentOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "receipt | acceptance_notice | correction_notice | …"})
    title = fields.String()
    number = fields.String()
    issued_on = fields.String(allow_none=True, metadata={"format": "date"})
    url = fields.String(metadata={"description": "the PDF"})


class DocumentListOut(Schema):
    documents = fields.List(fields.Nested(DocumentOut))


class MaterialOut(Schema):
    id = fields.Integer()
    code = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    round = fields.Integer(metadata={"description": "0: the application; n: the n-th supplement"})
    uploaded_at = fields.DateTime()


class MaterialListOut(Schema):
    materials = fields.List(fields.Nested(MaterialOut))


class DeliveryOut(Schema):
    channel = fields.String(metadata={"description": "sms | email"})
    recipient = fields.String(metadata={"description": "masked: 139****1234"})
    status = fields.String(metadata={"description": "pending | sending | sent | failed"})
    attempts = fields.Integer()
    sent_at = fields.DateTime(allow_none=True)


class MessageOut(NoticeOut):
    case_no = fields.String()
    deliveries = fields.List(fields.Nested(DeliveryOut))


class MessageListOut(Schema):
    messages = fields.List(fields.Nested(MessageOut))
    unread = fields.Integer()
    total = fields.Integer()


class MessageListArgs(Strict):
    unread = fields.Boolean(load_default=False)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class MessageReadOut(Schema):
    changed = fields.Integer()
    unread = fields.Integer()


class DraftCreate(Strict):
    item_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    data = fields.Dict(load_default=dict)


class DraftSave(Strict):
    data = fields.Dict(required=True)


class DraftSubmit(Strict):
    data = fields.Dict(
        load_default=None, allow_none=True, metadata={"description": "instead of the saved data"}
    )


class DraftFileOut(Schema):
    code = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = fields.DateTime()


class DraftOut(Schema):
    id = fields.Integer()
    item_code = fields.String()
    item_name = fields.Nested(Bilingual)
    data = fields.Dict()
    files = fields.List(fields.Nested(DraftFileOut))
    missing_materials = fields.List(
        fields.String(), metadata={"description": "required materials without a file yet"}
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    case_no = fields.String(allow_none=True)


class DraftListOut(Schema):
    drafts = fields.List(fields.Nested(DraftOut))


class ApplicantClockOut(Schema):
    """The governing limit as the applicant sees it (the case row's columns)."""

    kind = fields.String(allow_none=True, metadata={"description": "acceptance | decision | delivery"})
    immediate = fields.Boolean(metadata={"description": "即办件: handled on the spot"})
    deadline = fields.String(allow_none=True, metadata={"format": "date"})
    remaining_wd = fields.Integer(allow_none=True)
    paused = fields.Boolean(metadata={"description": "correction or special procedure: time does not count"})
    promised_wd = fields.Integer()
    statutory_wd = fields.Integer()
    confirmed = fields.Boolean()


class NextActionOut(Schema):
    code = fields.String(
        metadata={"description": "supplement | wait_acceptance | wait | collect | read_decision | none"}
    )
    zh = fields.String()
    en = fields.String()


class RequestedMaterialOut(Schema):
    code = fields.String()
    name = fields.Nested(Bilingual)
    reason = fields.String()


class CorrectionOut(Schema):
    round = fields.Integer()
    notice_on = fields.String(metadata={"format": "date"})
    deadline = fields.String(allow_none=True, metadata={"format": "date"})
    materials = fields.List(fields.Nested(RequestedMaterialOut))


class ApplicantMaterialOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.Nested(Bilingual)
    filename = fields.String()
    size = fields.Integer()
    round = fields.Integer()
    uploaded_on = fields.String(allow_none=True, metadata={"format": "date"})


class ApplicantCaseOut(ProgressOut):
    """A case as its applicant reads it: public words and dates only (no usernames, lanes or raw data)."""

    query_code = fields.String(allow_none=True)
    applicant_name = fields.String()
    clock = fields.Nested(ApplicantClockOut)
    next_action = fields.Nested(NextActionOut)
    correction = fields.Nested(CorrectionOut, allow_none=True)
    may_withdraw = fields.Boolean()
    materials = fields.List(fields.Nested(ApplicantMaterialOut))
    documents = fields.List(fields.Nested(DocumentOut))
    notices = fields.List(fields.Nested(MessageOut))
