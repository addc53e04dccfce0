"""JSON Schema forms (forms/<slug>/<task>.json) → fields for the Jinja macros, and posted values back
into typed JSON for the service to validate.

HTML names: a top-level property keeps its name; a row of a repeated group is ``group-<i>-field``;
a checklist row (a group whose items carry one enum, e.g. deficient_materials: tick every material
and give its reason) is ``group-<enum value>-field`` with the tick box ``group-<enum value>-_on``;
a list of plain strings is ``group-<i>``. Parsing never guesses: an unknown name, a wrong type or an
enum value that is not offered is a field error, like the service's own validation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext

CONTROL_NAMES = {"csrf_token", "_action", "_add", "_seen_version"}
ROW_RE = re.compile(r"^(?P<group>[A-Za-z0-9_]+)-(?P<key>[A-Za-z0-9_]+)(?:-(?P<sub>[A-Za-z0-9_]+))?$")
MAX_ROWS = 50


@dataclass
class Field:
    name: str  # HTML name (prefix for groups)
    key: str  # property name in the schema
    label: str
    widget: str
    kind: str  # text | textarea | integer | number | date | enum | multi | boolean | group | checklist | list | file
    help: str = ""
    required: bool = False
    value: Any = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    rows: list[list[Field]] = field(default_factory=list)  # group / list rows
    checklist: list[dict[str, Any]] = field(default_factory=list)
    show_when: str | None = None  # "field=value": shown only when that choice is made (progressive)
    attrs: dict[str, Any] = field(default_factory=dict)


def _props(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    return schema.get("properties") or {}


def _spelled(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def _conditional(schema: Mapping[str, Any]) -> dict[str, str]:
    """Fields required only under an if/then: shown when the condition holds ("field=v1|v2")."""
    values: dict[str, tuple[str, list[str]]] = {}
    for rule in schema.get("allOf") or []:
        cond = (rule.get("if") or {}).get("properties") or {}
        then = (rule.get("then") or {}).get("required") or []
        if len(cond) != 1:
            continue
        ((on, spec),) = cond.items()
        if "const" in spec:
            chosen = [_spelled(spec["const"])]
        elif isinstance(spec.get("enum"), list):
            chosen = [_spelled(v) for v in spec["enum"]]
        else:
            continue
        for name in then:
            field, seen = values.setdefault(name, (on, []))
            if field == on:
                seen.extend(v for v in chosen if v not in seen)
    return {name: f"{on}={'|'.join(vals)}" for name, (on, vals) in values.items()}


def _checklist_enum(item_schema: Mapping[str, Any]) -> str | None:
    enums = [k for k, v in _props(item_schema).items() if "enum" in v]
    return enums[0] if len(enums) == 1 else None


def _kind(prop: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    widget = ui.get("widget")
    typ = prop.get("type")
    if widget == "file":
        return "file"
    if typ == "array":
        items = prop.get("items") or {}
        if items.get("type") == "object":
            return "checklist" if prop.get("uniqueItems") and _checklist_enum(items) else "group"
        if "enum" in items:
            return "multi"
        return "list"
    if typ == "boolean":
        return "boolean"
    if "enum" in prop:
        return "enum"
    if typ in ("integer", "number"):
        return typ
    if prop.get("format") == "date" or widget == "date":
        return "date"
    return "textarea" if widget == "textarea" else "text"


def _options(
    prop: Mapping[str, Any], ui: Mapping[str, Any], pick: Callable[[Any, str], str]
) -> list[tuple[str, str]]:
    labels = ui.get("options") or {}
    values = prop.get("enum") or (prop.get("items") or {}).get("enum") or []
    return [(str(v), pick(labels.get(v), str(v))) for v in values]


def _as_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else ""
    return str(value)


def build_fields(
    form: Mapping[str, Any],
    raw: Mapping[str, Any],
    errors: Mapping[str, str],
    pick: Callable[[Any, str], str],
    row_counts: Mapping[str, int] | None = None,
) -> list[Field]:
    """Fields in ui order; ``raw`` maps HTML names to posted strings (lists for multi-valued)."""
    schema = form.get("schema") or {}
    ui_all = (form.get("ui") or {}).get("fields") or {}
    order = (form.get("ui") or {}).get("order") or list(_props(schema))
    required = set(schema.get("required") or [])
    cond = _conditional(schema)
    fields = []
    for key in order:
        prop = _props(schema).get(key)
        if prop is None:
            continue
        ui = ui_all.get(key) or {}
        f = _field(key, key, prop, ui, raw, errors, pick, key in required, row_counts or {})
        f.show_when = cond.get(key)
        f.required = f.required or key in cond
        fields.append(f)
    return fields


def _field(name, key, prop, ui, raw, errors, pick, required, row_counts) -> Field:
    kind = _kind(prop, ui)
    f = Field(
        name=name,
        key=key,
        label=pick(ui.get("label"), prop.get("title") or key),
        widget=ui.get("widget") or kind,
        kind=kind,
        help=pick(ui.get("help"), ""),
        required=required,
        error=errors.get(name),
    )
    for attr in ("minimum", "maximum", "maxLength"):
        if attr in prop:
            f.attrs[attr] = prop[attr]
    if kind in ("enum", "multi"):
        f.options = _options(prop, ui, pick)
    if kind == "multi":
        f.value = [str(v) for v in _listed(raw, name)]
    elif kind == "checklist":
        _fill_checklist(f, prop, ui, raw, errors, pick)
    elif kind in ("group", "list"):
        _fill_rows(f, prop, ui, raw, errors, pick, row_counts)
    else:
        f.value = _as_str(raw.get(name, ""))
    return f


def _listed(raw: Mapping[str, Any], name: str) -> list[Any]:
    value = raw.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _fill_checklist(f, prop, ui, raw, errors, pick) -> None:
    item = prop.get("items") or {}
    enum_key = _checklist_enum(item) or ""
    sub_ui = ui.get("fields") or {}
    item_required = set(item.get("required") or [])
    for value, label in _options(_props(item)[enum_key], sub_ui.get(enum_key) or {}, pick):
        prefix = f"{f.name}-{value}"
        subs = [
            _field(f"{prefix}-{k}", k, p, sub_ui.get(k) or {}, raw, errors, pick, k in item_required, {})
            for k, p in _props(item).items()
            if k != enum_key
        ]
        checked = bool(raw.get(f"{prefix}-_on"))
        f.checklist.append(
            {
                "value": value,
                "label": label,
                "name": f"{prefix}-_on",
                "checked": checked,
                "fields": subs,
                "error": errors.get(prefix),
            }
        )


def _fill_rows(f, prop, ui, raw, errors, pick, row_counts) -> None:
    item = prop.get("items") or {}
    sub_ui = ui.get("fields") or {}
    indices = sorted(
        {
            int(m.group("key"))
            for n in raw
            if (m := ROW_RE.match(n)) and m.group("group") == f.name and m.group("key").isdigit()
        }
    )
    count = max(len(indices), int(prop.get("minItems") or 1)) + row_counts.get(
        f.name, 0
    )  # extra rows asked for
    indices = (indices + [i for i in range(MAX_ROWS) if i not in indices])[: min(count, MAX_ROWS)]
    for i in sorted(indices):
        if f.kind == "list":
            ui_item = next(iter(sub_ui.values()), {}) if sub_ui else {}
            f.rows.append([_field(f"{f.name}-{i}", f"{f.key}", item, ui_item, raw, errors, pick, True, {})])
        else:
            req = set(item.get("required") or [])
            f.rows.append(
                [
                    _field(f"{f.name}-{i}-{k}", k, p, sub_ui.get(k) or {}, raw, errors, pick, k in req, {})
                    for k, p in _props(item).items()
                ]
            )


# -- posted values → typed JSON ------------------------------------------------------------------


class ParseResult:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, str]] = []
        self.aliases: dict[str, str] = {}  # JSON path prefix → HTML name prefix

    def fail(self, name: str, message: str) -> None:
        self.errors.append({"field": name, "message": message})

    def html_name(self, path: str) -> str:
        parts = path.split(".")
        for cut in range(len(parts), 0, -1):
            prefix = ".".join(parts[:cut])
            if prefix in self.aliases:
                return "-".join([self.aliases[prefix], *parts[cut:]])
        return "-".join(parts)


def _scalar(prop: Mapping[str, Any], kind: str, text: str, name: str, out: ParseResult) -> tuple[bool, Any]:
    """(present, value); a wrong type records an error and returns (False, None)."""
    text = text.strip()
    if text == "":
        return False, None
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d{1,12}", text):
            out.fail(name, gettext("请输入整数"))
            return False, None
        return True, int(text)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            out.fail(name, gettext("请输入数字"))
            return False, None
        if number != number or number in (float("inf"), float("-inf")):
            out.fail(name, gettext("请输入数字"))
            return False, None
        return True, int(
            number
        ) if number.is_integer() and "." not in text and "e" not in text.lower() else number
    if kind == "enum":
        allowed = [str(v) for v in prop.get("enum") or []]
        if text not in allowed:
            out.fail(name, gettext("所选项无效"))
            return False, None
        return True, (prop.get("enum") or [])[allowed.index(text)]
    if kind == "date":
        try:
            date.fromisoformat(text)
        except ValueError:
            out.fail(name, gettext("日期格式应为 YYYY-MM-DD"))
            return False, None
    return True, text


def _boolean(text: str | None, name: str, out: ParseResult) -> bool | None:
    if text in (None, "", "false", "0", "off"):
        return False
    if text in ("on", "true", "1", "yes"):
        return True
    out.fail(name, gettext("取值无效"))
    return None


def parse_form(form: Mapping[str, Any], posted: Any, files: Mapping[str, Any] | None = None) -> ParseResult:
    """``posted``: a werkzeug MultiDict (or a dict of str / list). Returns typed data plus errors."""
    schema = form.get("schema") or {}
    ui_all = (form.get("ui") or {}).get("fields") or {}
    out = ParseResult()
    getlist = posted.getlist if hasattr(posted, "getlist") else (lambda n: _listed(posted, n))
    used: set[str] = set(CONTROL_NAMES)
    for key, prop in _props(schema).items():
        ui = ui_all.get(key) or {}
        kind = _kind(prop, ui)
        if kind == "file":
            used.add(key)
            continue  # files are stored by the view first; it passes the stored references in
        if kind == "boolean":
            used.add(key)
            value = _boolean(posted.get(key), key, out)
            if value is not None:
                out.data[key] = value
        elif kind == "multi":
            used.add(key)
            allowed = [str(v) for v in (prop.get("items") or {}).get("enum") or []]
            chosen = [v for v in getlist(key) if v != ""]
            bad = [v for v in chosen if v not in allowed]
            if bad:
                out.fail(key, gettext("所选项无效"))
            elif chosen:
                out.data[key] = chosen
        elif kind in ("checklist", "group", "list"):
            rows = _parse_rows(key, kind, prop, ui, posted, used, out)
            if rows:
                out.data[key] = rows
        else:
            used.add(key)
            present, value = _scalar(prop, kind, posted.get(key) or "", key, out)
            if present:
                out.data[key] = value
    for name in posted.keys():
        if name not in used:
            out.fail(name, gettext("不允许的字段（表单已被篡改）"))
    return out


def _parse_rows(key, kind, prop, ui, posted, used: set[str], out: ParseResult) -> list[Any]:
    item = prop.get("items") or {}
    names = [n for n in posted.keys() if (m := ROW_RE.match(n)) and m.group("group") == key]
    rows: list[Any] = []
    if kind == "checklist":
        enum_key = _checklist_enum(item) or ""
        allowed = [str(v) for v in _props(item)[enum_key].get("enum") or []]
        for value in allowed:
            prefix = f"{key}-{value}"
            used.update(n for n in names if n.startswith(prefix + "-"))
            if not _boolean(posted.get(f"{prefix}-_on"), f"{prefix}-_on", out):
                continue
            row = {enum_key: value}
            for sub, p in _props(item).items():
                if sub == enum_key:
                    continue
                present, v = _scalar(
                    p, _kind(p, {}), posted.get(f"{prefix}-{sub}") or "", f"{prefix}-{sub}", out
                )
                if present:
                    row[sub] = v
            out.aliases[f"{key}.{len(rows)}"] = prefix
            rows.append(row)
        return rows
    indices = sorted(
        {
            int(m.group("key"))
            for n in names
            if (m := ROW_RE.match(n)) and m.group("key").isdigit() and int(m.group("key")) < MAX_ROWS
        }
    )
    for i in indices:
        prefix = f"{key}-{i}"
        if kind == "list":
            used.add(prefix)
            present, v = _scalar(item, _kind(item, {}), posted.get(prefix) or "", prefix, out)
            if present:
                out.aliases[f"{key}.{len(rows)}"] = prefix
                rows.append(v)
            continue
        row = {}
        for sub, p in _props(item).items():
            used.add(f"{prefix}-{sub}")
            present, v = _scalar(p, _kind(p, {}), posted.get(f"{prefix}-{sub}") or "", f"{prefix}-{sub}", out)
            if present:
                row[sub] = v
        if row:  # an untouched empty row is not a row
            out.aliases[f"{key}.{len(rows)}"] = prefix
            rows.append(row)
    return rows


def raw_from_data(form: Mapping[str, Any], data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Initial values of a fresh form: schema defaults, then saved data, in HTML names."""
    schema = form.get("schema") or {}
    ui_all = (form.get("ui") or {}).get("fields") or {}
    raw: dict[str, Any] = {}
    source = {k: p["default"] for k, p in _props(schema).items() if "default" in p}
    source.update(data or {})
    for key, value in source.items():
        prop = _props(schema).get(key)
        if prop is None:
            continue
        kind = _kind(prop, ui_all.get(key) or {})
        if kind == "multi":
            raw[key] = [str(v) for v in value or []]
        elif kind == "checklist":
            enum_key = _checklist_enum(prop.get("items") or {}) or ""
            for row in value or []:
                prefix = f"{key}-{row.get(enum_key)}"
                raw[f"{prefix}-_on"] = "on"
                raw.update({f"{prefix}-{k}": _as_str(v) for k, v in row.items() if k != enum_key})
        elif kind == "group":
            for i, row in enumerate(value or []):
                raw.update({f"{key}-{i}-{k}": _as_str(v) for k, v in row.items()})
        elif kind == "list":
            raw.update({f"{key}-{i}": _as_str(v) for i, v in enumerate(value or [])})
        elif kind == "boolean":
            raw[key] = "on" if value else ""
        else:
            raw[key] = _as_str(value)
    return raw


def raw_from_posted(posted: Any) -> dict[str, Any]:
    return (
        {n: (posted.getlist(n) if len(posted.getlist(n)) > 1 else posted.get(n)) for n in posted.keys()}
        if hasattr(posted, "getlist")
        else dict(posted)
    )


def field_label(form: Mapping[str, Any], path: str, pick: Callable[[Any, str], str], data: Any = None) -> str:
    """The label people know a field by, from a validation path such as ``deficient_materials.0.reason``:
    "需补正的材料 · 环境影响报告表 · 补正原因" (a checklist row by its choice), "车辆 第 2 行 · 车牌号码"."""
    schema = form.get("schema") or {}
    props, ui_all = _props(schema), (form.get("ui") or {}).get("fields") or {}
    parts = [p for p in str(path).split(".") if p]
    out: list[str] = []
    while parts:
        key = parts.pop(0)
        prop = props.get(key)
        if prop is None:
            break
        ui = ui_all.get(key) or {}
        out.append(pick(ui.get("label"), prop.get("title") or key))
        value = data.get(key) if isinstance(data, Mapping) else None
        if prop.get("type") == "array" and parts and parts[0].isdigit():
            index = int(parts.pop(0))
            item = prop.get("items") or {}
            sub_ui = ui.get("fields") or {}
            row = value[index] if isinstance(value, list) and index < len(value) else None
            enum_key = _checklist_enum(item) if prop.get("uniqueItems") else None
            if enum_key and isinstance(row, Mapping) and row.get(enum_key) is not None:
                options = (sub_ui.get(enum_key) or {}).get("options") or {}
                out.append(pick(options.get(row[enum_key]), str(row[enum_key])))
            else:
                out.append(gettext("第 %(n)s 行", n=index + 1))
            props, ui_all, data = _props(item), sub_ui, row
            continue
        props, ui_all, data = _props(prop), ui.get("fields") or {}, value
    return " · ".join(out)
