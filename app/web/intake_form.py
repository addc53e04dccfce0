"""The application form with one upload slot per material, shared by the online wizard and the window."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from app.services.applications import Upload
from app.services.catalogue import forms_for
from app.web.formrender import build_fields, parse_form, raw_from_data
from app.web.i18n import pick, tr

# Form controls of these pages that are not application fields.
PAGE_CONTROLS = {"confirm", "id_checked", "id_no_read", "draft_id"}
HIDDEN = {"submitted_materials"}  # derived from the uploaded files


def application_form(item) -> dict[str, Any]:
    return forms_for(item.current_version).get("application.json") or {}


def fields_for(form, raw, errors: dict[str, str]):
    return [f for f in build_fields(form, raw, errors, pick) if f.key not in HIDDEN]


def initial_raw(form, data: dict[str, Any]) -> dict[str, Any]:
    return raw_from_data(form, data)


def parse(form, posted):
    cleaned = MultiDict([(k, v) for k, v in posted.items(multi=True) if k not in PAGE_CONTROLS])
    return parse_form(form, cleaned)


def uploads_from(files) -> list[Upload]:
    out = []
    for name, storage in files.items(multi=True):
        if name.startswith("material-") and storage and storage.filename:
            out.append(Upload(name[len("material-") :], storage.filename, storage.stream))
    return out


def error_map(parsed, details) -> dict[str, str]:
    """Field errors by HTML name (form fields through the parser's aliases, materials as they are)."""
    out: dict[str, str] = {}
    for d in details:
        field = str(d.get("field"))
        key = (
            field
            if field.startswith("material-") or field in PAGE_CONTROLS | {"id_check"}
            else parsed.html_name(field)
        )
        out.setdefault(key, str(tr(d.get("message"))))
    return out
