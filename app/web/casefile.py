"""The whole file of a case as people read it on the task and case pages: the application (summary
and full) with the labels of the application form, every earlier step's opinion in order (who,
when, the outcome in words, the opinion text), a pending extension request, and the send-backs.

Values are shown in words: an enum value by its option label, a boolean as 是/否, a group as its
rows, a material by its name — never the stored code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from app.models import Case
from app.models.vocab import TaskState
from app.services import cases as case_service
from app.services.catalogue import forms_for, step_names
from app.web.i18n import pick

SUMMARY_FIELDS = 6  # the first filled fields of the application form make its summary


@dataclass
class Entry:
    label: str
    value: str = ""
    rows: list[list[tuple[str, str]]] = field(default_factory=list)  # a group: rows of (label, value)
    long: bool = False  # a textarea: shown as a paragraph


@dataclass
class Opinion:
    task_id: int
    step: str
    who: str
    when: Any
    outcome: str | None
    texts: list[Entry]
    entries: list[Entry]
    sent_back_to: str | None = None


def _props(form: Mapping[str, Any]) -> Mapping[str, Any]:
    return (form.get("schema") or {}).get("properties") or {}


def _ui(form: Mapping[str, Any]) -> Mapping[str, Any]:
    return (form.get("ui") or {}).get("fields") or {}


def _scalar(value: Any, prop: Mapping[str, Any], ui: Mapping[str, Any]) -> str:
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    options = ui.get("options") or {}
    if isinstance(value, str) and value in options:
        return pick(options[value], value)
    if isinstance(value, list):
        item_ui_options = options or (ui.get("options") or {})
        return "、".join(
            pick(item_ui_options.get(v), str(v)) if isinstance(v, str) else str(v) for v in value
        )
    return "" if value is None else str(value)


def describe(
    form: Mapping[str, Any], data: Mapping[str, Any] | None, *, skip: tuple[str, ...] = ()
) -> list[Entry]:
    """Every filled field of ``data`` in form order, labelled and in words."""
    data = data or {}
    props, ui_all = _props(form), _ui(form)
    order = (form.get("ui") or {}).get("order") or list(props)
    out = []
    for key in [*order, *[k for k in props if k not in order]]:
        if key in skip or key not in props:
            continue
        value = data.get(key)
        if value in (None, "", []):
            continue
        prop, ui = props[key], ui_all.get(key) or {}
        label = pick(ui.get("label"), prop.get("title") or key)
        items = prop.get("items") or {}
        if prop.get("type") == "array" and items.get("type") == "object":
            sub_props, sub_ui = items.get("properties") or {}, ui.get("fields") or {}
            rows = [
                [
                    (
                        pick((sub_ui.get(k) or {}).get("label"), p.get("title") or k),
                        _scalar(row.get(k), p, sub_ui.get(k) or {}),
                    )
                    for k, p in sub_props.items()
                    if isinstance(row, Mapping) and row.get(k) not in (None, "")
                ]
                for row in value
            ]
            out.append(Entry(label, rows=rows))
            continue
        out.append(Entry(label, _scalar(value, prop, ui), long=ui.get("widget") == "textarea"))
    return out


def _outcome(form: Mapping[str, Any], task_props: Mapping[str, Any], data: Mapping[str, Any]) -> str | None:
    key = task_props.get("outcome_field")
    if not key or key not in (data or {}):
        return None
    prop, ui = _props(form).get(key) or {}, _ui(form).get(key) or {}
    value = data[key]
    if isinstance(value, bool):
        label = pick(ui.get("label"), prop.get("title") or key)
        return f"{label}：{gettext('是') if value else gettext('否')}"
    return _scalar(value, prop, ui)


def application(case: Case) -> tuple[list[Entry], list[Entry]]:
    """(summary, full) of the application as filed."""
    form = forms_for(case.process_version).get("application.json") or {}
    full = describe(form, (case.data or {}).get("application") or {})
    summary = [e for e in full if not e.rows and not e.long][:SUMMARY_FIELDS]
    return summary, full


def opinions(case: Case) -> list[Opinion]:
    """Every completed step of the case in the order it was done."""
    forms = forms_for(case.process_version)
    names = step_names(case.process_version)
    people = case_service.people_of(case)
    done = sorted(
        (t for t in case.tasks if t.state == TaskState.COMPLETED and t.completed_at is not None),
        key=lambda t: (t.completed_at, t.id),
    )
    out = []
    for t in done:
        form = forms.get(t.form) or {}
        data = t.data or {}
        entries = describe(form, data)
        sent_back = None
        if (t.properties or {}).get("send_back_to") and any(value == "send_back" for value in data.values()):
            target = (t.properties or {})["send_back_to"]
            sent_back = pick(names.get(target), target)
        out.append(
            Opinion(
                task_id=t.id,
                step=pick(names.get(t.bpmn_id), t.name),
                who=people.get(t.completed_by_id or 0, gettext("系统")),
                when=t.completed_at,
                outcome=_outcome(form, t.properties or {}, data),
                texts=[e for e in entries if e.long],
                entries=[e for e in entries if not e.long],
                sent_back_to=sent_back,
            )
        )
    return out


def extension_request(case: Case) -> dict[str, Any] | None:
    """The extension asked for and not yet answered: days, reason, who asked, when."""
    request = (case.clock_inputs or {}).get("extension_request")
    if not request:
        return None
    people = case_service.people_of(case, extra=[request.get("by")])
    return {
        "days": request.get("days"),
        "reason": request.get("reason") or "",
        "by": people.get(request.get("by") or 0, gettext("系统")),
        "on": request.get("on"),
    }


def send_backs(case: Case) -> list[dict[str, Any]]:
    names = step_names(case.process_version)
    people = case_service.people_of(
        case, extra=[s.get("by") for s in (case.clock_inputs or {}).get("send_backs", [])]
    )
    return [
        {
            "on": s.get("on"),
            "from": pick(names.get(s.get("from") or ""), s.get("from") or ""),
            "to": pick(names.get(s.get("to") or ""), s.get("to") or ""),
            "reason": s.get("reason") or "",
            "by": people.get(s.get("by") or 0, ""),
        }
        for s in (case.clock_inputs or {}).get("send_backs", [])
    ]
