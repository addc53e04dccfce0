"""Filing an application with its materials in one go: online (the applicant) or at a window (walk-in).

Everything is checked before anything is written — the application form, the applicant's ID check
digits, every required material present, each file's format, bytes and size, and at a window the
clerk's check of the ID document — so a bad submission changes nothing. Then the case is filed
through ``cases.submit_application`` with every file already sniffed and kept in the store, so the case
and its materials are written in one transaction (and the receipt lists what was received).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from app.models import Case, utcnow
from app.services import cases, intake, licence_reuse, materials
from app.services.auth import Actor
from app.services.catalogue import forms_for, get_item
from app.services.context import ctx
from app.services.errors import Conflict, Forbidden, PayloadTooLarge, ValidationFailed
from app.services.filestore import StoredFile, store_file
from app.services.forms import validate_form
from app.services.i18n import t

FORM_FIELD = {
    "applicant.kind": "applicant_kind",
    "applicant.name": "applicant_name",
    "applicant.id_no": "applicant_id_number",
    "applicant.phone": "contact_phone",
}


@dataclass
class Upload:
    code: str
    filename: str
    stream: BinaryIO


def applicant_from(data: Mapping[str, Any]) -> dict[str, Any]:
    """The applicant block of a case from the application form's applicant fields."""
    return {
        "kind": data.get("applicant_kind"),
        "name": data.get("applicant_name"),
        "id_no": data.get("applicant_id_number"),
        "phone": data.get("contact_phone") or None,
    }


def _size_and_head(stream: BinaryIO) -> tuple[int, bytes]:
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size, head


def check_uploads(
    specs: Mapping[str, Mapping[str, Any]], uploads: Sequence[Upload], kept: Iterable[str] = ()
) -> list[dict[str, str]]:
    """Problems of the files, one per material (``material-<code>``); required ones must be there
    (uploaded now, or ``kept``: already in the store for this application, e.g. in its draft, or an
    e-licence the applicant holds in its place)."""
    problems = []
    limit_mb = ctx().settings.max_upload_mb
    given = {u.code for u in uploads} | set(kept)
    for code, spec in specs.items():
        if spec.get("required") and code not in given:
            problems.append({"field": f"material-{code}", "message": t("必须上传此材料")})
    for u in uploads:
        known = specs.get(u.code)
        if known is None:
            problems.append({"field": f"material-{u.code}", "message": t("该事项没有这项材料")})
            continue
        formats = [str(f).lower() for f in known.get("formats") or []]
        ext = u.filename.rsplit(".", 1)[-1].lower() if "." in u.filename else ""
        size, head = _size_and_head(u.stream)
        if ext not in formats:
            allowed = ", ".join(formats)
            problems.append(
                {"field": f"material-{u.code}", "message": t("格式须为 %(allowed)s", allowed=allowed)}
            )
        elif size == 0 or not head.startswith(materials.MAGIC.get(ext, (b"",))):
            problems.append(
                {
                    "field": f"material-{u.code}",
                    "message": t("文件为空或内容与格式不符"),
                }
            )
        elif size > limit_mb * 1024 * 1024:
            problems.append(
                {
                    "field": f"material-{u.code}",
                    "message": t("文件超过 %(limit_mb)s MB", limit_mb=limit_mb),
                }
            )
    return problems


def _check_id_document(
    actor: Actor, applicant: Mapping[str, Any], id_check: Mapping[str, Any] | None
) -> list:
    """At a window the clerk checks the original ID document and types its number: it must match."""
    if not intake.is_window(actor):
        return []
    check: Mapping[str, Any] = id_check or {}
    problems = []
    if not check.get("checked"):
        problems.append({"field": "id_check", "message": t("请核验申请人证件原件")})
    read = "".join(str(check.get("id_no_read") or "").split()).upper()
    wanted = "".join(str(applicant.get("id_no") or "").split()).upper()
    if not read or read != wanted:
        problems.append({"field": "id_no_read", "message": t("证件号码与申请表不一致")})
    return problems


def file_application(
    actor: Actor,
    item_code: str,
    data: Any,
    uploads: Sequence[Upload],
    *,
    id_check: Mapping[str, Any] | None = None,
    licences: Mapping[str, str] | None = None,
    now: datetime | None = None,
    kept: Mapping[str, StoredFile] | None = None,
    link: Callable[[Case], None] | None = None,
) -> Case:
    """Check everything, then file the case and store each material. Returns the new case.

    ``kept``: files already checked and in the store (a draft's), by material code, for the materials
    not uploaded now. ``link`` is called with the new case inside the filing transaction."""
    kept = {code: f for code, f in (kept or {}).items() if code not in {u.code for u in uploads}}
    item = get_item(item_code)
    if not actor.is_applicant and not intake.may_file_for_others(actor, item):
        raise Forbidden(t("无权提交此事项的申请"), code="file_forbidden")
    if item.current_version is None:
        raise Conflict(t("事项 %(code)s 尚未部署流程", code=item.code), code="item_not_deployed")
    if not isinstance(data, dict):
        raise ValidationFailed("data must be an object", [{"field": "data", "message": "not an object"}])
    form = forms_for(item.current_version).get("application.json") or {}
    specs = {m["code"]: m for m in (item.definition or {}).get("materials") or []}
    data = dict(data)
    if "submitted_materials" in ((form.get("schema") or {}).get("properties") or {}):
        present = (
            {u.code for u in uploads} | set(kept) | {code for code, no in (licences or {}).items() if no}
        )
        data["submitted_materials"] = [code for code in specs if code in present]
    problems: list[dict[str, str]] = []
    try:
        data = validate_form(form, data) if form else data
    except ValidationFailed as exc:
        problems += [d for d in exc.details or [] if d.get("field") != "submitted_materials"]
    applicant = applicant_from(data)
    try:
        cases.validate_applicant(applicant)
    except ValidationFailed as exc:
        # The identity validators say more than a schema pattern ("check digit should be 3"): they win.
        better = {FORM_FIELD.get(d["field"], d["field"]): d["message"] for d in exc.details or []}
        problems = [p for p in problems if p["field"] not in better]
        problems += [{"field": f, "message": m} for f, m in better.items()]
    chosen = {code: no for code, no in (licences or {}).items() if no}
    held = {}
    for code, licence_no in chosen.items():
        lic, problem = licence_reuse.check_licence_for(
            item.definition or {}, str(applicant.get("id_no") or ""), code, licence_no, now or utcnow()
        )
        if lic is None:
            problems.append({"field": f"material-{code}", "message": problem or ""})
        else:
            held[code] = lic
    uploads = [u for u in uploads if u.code not in held]
    kept = {code: f for code, f in kept.items() if code not in held}
    problems += check_uploads(specs, uploads, [*kept, *held])
    problems += _check_id_document(actor, applicant, id_check)
    _raise(problems, _names(form, specs))
    stored = keep_files(specs, uploads) + [(code, f) for code, f in kept.items() if code in specs]
    order = list(specs)
    stored.sort(key=lambda pair: order.index(pair[0]))

    def link_all(case: Case) -> None:
        # inside the filing transaction: the licences used in place of files are recorded with the case
        for code, lic in held.items():
            licence_reuse.use_licence(actor, case, code, lic, now or utcnow())
        if link is not None:
            link(case)

    return cases.submit_application(
        actor, item.code, applicant, data, now=now, files=stored, link=link_all if held or link else None
    )


def _names(form: Mapping[str, Any], specs: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Words for the fields a message names: the form's field titles, the materials' names."""
    props = (form.get("schema") or {}).get("properties") or {}
    names = {key: str(p.get("title") or key) for key, p in props.items() if isinstance(p, Mapping)}
    names |= {f"material-{code}": str((m.get("name") or {}).get("zh") or code) for code, m in specs.items()}
    names |= {"id_check": "证件核验", "id_no_read": "核验的证件号码"}
    return names


def _raise(problems: list[dict[str, str]], names: Mapping[str, str] | None = None) -> None:
    if problems:
        words = names or {}
        fields = "、".join(dict.fromkeys(words.get(p["field"], p["field"]) for p in problems))
        raise ValidationFailed(t("申请有误，请按提示修改：%(fields)s", fields=fields), problems)


def keep_files(
    specs: Mapping[str, Mapping[str, Any]], uploads: Sequence[Upload]
) -> list[tuple[str, StoredFile]]:
    """Sniff and keep every file in the store before any row is written; one problem per material."""
    stored: list[tuple[str, StoredFile]] = []
    problems: list[dict[str, str]] = []
    for u in uploads:
        u.stream.seek(0)
        try:
            stored.append((u.code, store_file(specs[u.code], u.filename, u.stream)))
        except (ValidationFailed, PayloadTooLarge) as exc:
            message = next((str(d.get("message")) for d in exc.details or []), exc.message)
            problems.append({"field": f"material-{u.code}", "message": message})
    _raise(
        problems,
        {f"material-{code}": str((m.get("name") or {}).get("zh") or code) for code, m in specs.items()},
    )
    return stored
