"""What every schema module of the API shares (no imports of the other schema modules: no cycles)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields


class Strict(Schema):
    """A request body: unknown fields are an error."""

    class Meta:
        unknown = RAISE


def _date_str(**kw: Any) -> fields.String:
    meta = {"format": "date", **kw.pop("metadata", {})}
    return fields.String(metadata=meta, **kw)


def _iso(d: Any) -> str | None:
    return d.isoformat() if d else None


class NoticeOut(Schema):
    """A notice to the applicant about their case, as the case's staff page and the portal's messages
    show it (the portal's MessageOut adds the case number and the SMS/e-mail deliveries)."""

    id = fields.Integer()
    event = fields.String()
    title = fields.String()
    body = fields.String()
    document_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
