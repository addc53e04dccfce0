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
