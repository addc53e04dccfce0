"""Forms of user tasks: JSON Schema + UI hints, validated field by field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from app.services.errors import DomainError, NotFound, ValidationFailed


def read_forms(forms_dir: Path, slug: str) -> dict[str, Any]:
    """The forms of one item (file name -> document); a file that is not a JSON object is refused."""
    folder = forms_dir / slug
    if not folder.is_dir():
        return {}
    out = {}
    for path in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as exc:
            raise DomainError(f"{path}: not UTF-8 text ({exc.reason})", code="form_invalid") from exc
        except json.JSONDecodeError as exc:
            raise DomainError(
                f"{path}: line {exc.lineno} column {exc.colno}: invalid JSON: {exc.msg}", code="form_invalid"
            ) from exc
        if not isinstance(doc, dict):
            raise DomainError(f"{path}: a form must be a JSON object", code="form_invalid")
        out[path.name] = doc
    return out


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json), format_checker=FormatChecker())


def _field_of(error: Any) -> str:
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = [*path, missing]
    if error.validator == "additionalProperties":
        extra = error.message.split("'")[1] if "'" in error.message else ""
        path = [*path, extra]
    return ".".join(str(p) for p in path) or "(form)"


def _message_of(error: Any) -> str:
    v = error.validator
    if v == "required":
        return "必填 / required"
    if v == "additionalProperties":
        return "不允许的字段 / field not allowed"
    if v == "enum":
        return f"取值必须是 {error.validator_value} 之一 / must be one of {error.validator_value}"
    if v == "type":
        return f"类型应为 {error.validator_value} / must be of type {error.validator_value}"
    if v in ("minLength", "minItems"):
        return f"至少 {error.validator_value} 项 / at least {error.validator_value}"
    if v in ("maxLength", "maxItems"):
        return f"至多 {error.validator_value} 项 / at most {error.validator_value}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"超出范围（{v} {error.validator_value}）/ out of range ({v} {error.validator_value})"
    if v == "pattern":
        return "格式不正确 / does not have the required format"
    if v == "format":
        return f"不是有效的 {error.validator_value} / not a valid {error.validator_value}"
    if v == "const":
        return "取值不正确 / wrong value"
    # jsonschema's own messages quote the submitted value: never echo more than a little of it
    message = error.message
    return message if len(message) <= 200 else message[:160] + "…"


def validate_form(form: Mapping[str, Any], data: Any) -> dict[str, Any]:
    """Validate submitted data against a form. Raises ValidationFailed naming every bad field."""
    schema = form.get("schema") or {}
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            "表单数据必须是对象 / form data must be an object",
            [{"field": "(form)", "message": "not an object"}],
        )
    validator = _validator(json.dumps(schema, sort_keys=True))
    details = []
    seen = set()
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        field = _field_of(error)
        message = _message_of(error)
        if (field, message) in seen:
            continue
        seen.add((field, message))
        details.append({"field": field, "message": message})
    if details:
        fields = ", ".join(d["field"] for d in details)
        raise ValidationFailed(f"表单有误：{fields} / invalid fields: {fields}", details)
    return dict(data)


def get_form(forms: Mapping[str, Any], name: str) -> dict[str, Any]:
    form = forms.get(name)
    if form is None:
        raise NotFound(f"form {name} not found", code="form_not_found")
    return form
