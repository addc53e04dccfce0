"""Form documents (JSON Schema + UI hints) checked before they reach a caseworker: a schema the
validator cannot use, ui entries naming no field, enum values without a label."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.validation import Finding


def _f(file: str, field: str | None, message: str, severity: str = "error") -> Finding:
    return Finding(message, file=file, element_id=field, severity=severity, stage="form")


def check_form(name: str, form: Any) -> list[Finding]:
    if not isinstance(form, Mapping):
        return [_f(name, None, "a form is an object {title, schema, ui}")]
    out: list[Finding] = []
    schema = form.get("schema")
    if not isinstance(schema, Mapping):
        return [_f(name, "schema", "missing JSON Schema object 'schema'")]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "schema"
        out.append(
            _f(
                name,
                f"schema/{path}" if path != "schema" else "schema",
                f"invalid JSON Schema: {exc.message}",
            )
        )
        return out
    if schema.get("type") != "object":
        out.append(_f(name, "schema/type", 'the schema of a form must be {"type": "object"}'))
    props = schema.get("properties") or {}
    if not isinstance(props, Mapping):
        return out
    for key, prop in props.items():
        if isinstance(prop, Mapping) and not prop.get("title"):
            out.append(
                _f(
                    name,
                    f"properties/{key}",
                    f"field {key!r} has no title (people see words, not codes)",
                    "warning",
                )
            )
    for key in schema.get("required") or []:
        if key not in props:
            out.append(_f(name, "schema/required", f"required field {key!r} is not defined in properties"))
    ui = form.get("ui") or {}
    if not isinstance(ui, Mapping):
        out.append(_f(name, "ui", "ui must be an object {order, fields}"))
        return out
    for key in ui.get("order") or []:
        if key not in props:
            out.append(_f(name, "ui/order", f"ui.order names {key!r}, which is not a field of the schema"))
    fields = ui.get("fields") or {}
    for key, hints in fields.items() if isinstance(fields, Mapping) else []:
        if key not in props:
            out.append(
                _f(name, f"ui/fields/{key}", f"ui.fields.{key} describes no field of the schema", "warning")
            )
            continue
        prop = props.get(key) or {}
        values = prop.get("enum") or (prop.get("items") or {}).get("enum") or []
        options = (hints or {}).get("options") if isinstance(hints, Mapping) else None
        if values and isinstance(options, Mapping):
            missing = [v for v in values if str(v) not in options and v not in options]
            if missing:
                out.append(
                    _f(name, f"ui/fields/{key}", f"no label for {', '.join(map(str, missing))}", "warning")
                )
    title = form.get("title")
    if not isinstance(title, Mapping) or not title.get("zh"):
        out.append(_f(name, "title", "the form needs a title {zh, en}", "warning"))
    return out
