"""marshmallow schemas of the results API: e-licences, reuse, ratings, rectifications, publication."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.api.schemas import Strict


class LicenceOut(Schema):
    licence_no = fields.String()
    licence_type = fields.String()
    type_name = fields.String()
    status = fields.String(metadata={"enum": ["valid", "revoked", "annulled", "expired"]})
    status_reason = fields.String(allow_none=True)
    holder_kind = fields.String()
    holder_name = fields.String(metadata={"description": "masked for anyone but the holder and the issuer"})
    holder_id_no = fields.String(metadata={"description": "masked for anyone but the holder and the issuer"})
    issuer = fields.String()
    department_code = fields.String()
    issued_on = fields.Date()
    valid_from = fields.Date()
    valid_until = fields.Date(allow_none=True, metadata={"description": "null: open-ended"})
    content = fields.Dict(allow_none=True)
    case_no = fields.String(allow_none=True)
    verify_code = fields.String(allow_none=True)
    digest = fields.String(metadata={"description": "SM3 digest of the canonical record"})


class LicenceListArgs(Strict):
    status = fields.String(
        load_default=None, validate=validate.OneOf(["valid", "revoked", "annulled", "expired"])
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class LicenceListOut(Schema):
    licences = fields.List(fields.Nested(LicenceOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class VerifyOut(LicenceOut):
    result = fields.String(metadata={"enum": ["valid", "revoked", "annulled", "expired", "tampered"]})
    signature_valid = fields.Boolean()
    message = fields.String()


class LicenceEndRequest(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class LicenceMaterialRequest(Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    licence_no = fields.String(required=True, validate=validate.Length(min=1, max=64))


class LicenceUseOut(Schema):
    case_no = fields.String()
    code = fields.String()
    licence_no = fields.String()
    licence_type = fields.String()
    valid_until = fields.Date(allow_none=True)
    used_at = fields.DateTime()


class RatingRequest(Strict):
    score = fields.Raw(required=True, metadata={"type": "integer", "minimum": 1, "maximum": 5})
    comment = fields.Raw(load_default=None, metadata={"type": "string", "maxLength": 500})
    tags = fields.Raw(load_default=None, metadata={"type": "array", "items": {"type": "string"}})


class RectificationBrief(Schema):
    id = fields.Integer()
    state = fields.String()
    deadline = fields.Date()
    light = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)
    reply = fields.String(allow_none=True)
    replied_on = fields.Date(allow_none=True)


class RatingOut(Schema):
    id = fields.Integer()
    case_no = fields.String()
    score = fields.Integer()
    level = fields.String()
    comment = fields.String(allow_none=True)
    tags = fields.List(fields.String())
    created_at = fields.DateTime()
    appeal_state = fields.String()
    rectification = fields.Nested(RectificationBrief, allow_none=True)


class RectificationOut(RectificationBrief):
    case_no = fields.String()
    rating_id = fields.Integer()
    score = fields.Integer()
    level = fields.String()
    comment = fields.String(allow_none=True)
    department_code = fields.String()
    started_on = fields.Date()
    limit_wd = fields.Integer()
    finding = fields.String(allow_none=True)


class RectificationListOut(Schema):
    rectifications = fields.List(fields.Nested(RectificationOut))


class RectificationReply(Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(["rectified", "explained"]))
    finding = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    reply = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class AppealRequest(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class AppealDecision(Strict):
    uphold = fields.Boolean(required=True)
    opinion = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class PublicDecisionArgs(Strict):
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    decision = fields.String(load_default=None, validate=validate.OneOf(["approved", "denied"]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PublicDecisionOut(Schema):
    id = fields.Integer()
    authority = fields.String()
    document_no = fields.String(allow_none=True)
    counterpart_name = fields.String(metadata={"description": "a natural person's name is masked"})
    counterpart_id_no = fields.String(metadata={"description": "a natural person's ID number is masked"})
    counterpart_kind = fields.String()
    item_name = fields.String()
    item_name_en = fields.String()
    decision = fields.String(metadata={"enum": ["approved", "denied"]})
    decided_on = fields.Date()
    valid_from = fields.Date(allow_none=True)
    valid_until = fields.Date(allow_none=True)
    content = fields.String(allow_none=True)
    published_on = fields.Date(allow_none=True)
    state = fields.String()


class PublicDecisionListOut(Schema):
    decisions = fields.List(fields.Nested(PublicDecisionOut))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class PublicationOut(PublicDecisionOut):
    case_no = fields.String(allow_none=True)
    clock = fields.String(allow_none=True)
    deadline = fields.Date(allow_none=True)
    light = fields.String(allow_none=True)
    publish_deadline = fields.Date()
    withdraw_deadline = fields.Date(allow_none=True)
    withdraw_reason = fields.String(allow_none=True)
    department_code = fields.String()


class PublicationListOut(Schema):
    publications = fields.List(fields.Nested(PublicationOut))
