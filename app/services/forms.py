"""Forms of user tasks: JSON Schema + UI hints, validated field by field."""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from app.services.errors import DomainError, NotFound, ValidationFailed
from app.services.i18n import N_, t


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


TYPES = {
    "string": N_("文字"),
    "integer": N_("整数"),
    "number": N_("数字"),
    "boolean": N_("是或否"),
    "array": N_("列表"),
    "object": N_("一组字段"),
}


def _message_of(error: Any) -> str:
    """The problem in words (Chinese msgids; the pages translate them and name the field by its label)."""
    v, limit = error.validator, error.validator_value
    if v == "required":
        return t("必填")
    if v == "additionalProperties":
        return t("不允许的字段")
    if v in ("enum", "const"):
        return t("不是可选的值")
    if v == "type":
        return t("应为%(type)s", type=TYPES.get(str(limit), N_("其他类型")))
    if v == "minLength":
        return t("必填") if limit == 1 else t("至少 %(n)s 个字", n=limit)
    if v == "maxLength":
        return t("至多 %(n)s 个字", n=limit)
    if v == "minItems":
        return t("至少 %(n)s 项", n=limit)
    if v == "maxItems":
        return t("至多 %(n)s 项", n=limit)
    if v == "uniqueItems":
        return t("有重复的项")
    if v in ("minimum", "exclusiveMinimum"):
        return t("不能小于 %(n)s", n=limit)
    if v in ("maximum", "exclusiveMaximum"):
        return t("不能大于 %(n)s", n=limit)
    if v == "pattern":
        return t("格式不正确")
    if v == "format":
        return t("日期格式应为 YYYY-MM-DD") if limit == "date" else t("格式不正确")
    return t("取值无效")


def validate_form(form: Mapping[str, Any], data: Any) -> dict[str, Any]:
    """Validate submitted data against a form. Raises ValidationFailed naming every bad field."""
    schema = form.get("schema") or {}
    if not isinstance(data, Mapping):
        raise ValidationFailed(t("表单数据必须是对象"), [{"field": "(form)", "message": t("必须是对象")}])
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
        raise ValidationFailed(t("表单有误，共 %(n)s 处，请按提示修改", n=len(details)), details)
    return dict(data)


def get_form(forms: Mapping[str, Any], name: str) -> dict[str, Any]:
    form = forms.get(name)
    if form is None:
        raise NotFound(t("表单 %(name)s 不存在", name=name), code="form_not_found")
    return form
