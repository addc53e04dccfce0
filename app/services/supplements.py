"""补正 online: the applicant replaces exactly the materials the open correction notice lists, in one
submission.

What the notice asks for comes from the case itself: the open ``correction`` entry of
``case.clock_inputs`` (its round, the listed material codes, the applicant's deadline) and the notice
written on ``CorrectionRequested`` (each material's reason). Submitting checks everything before
anything is written — every listed material has a file, no file is for a material the notice does not
list, each file's format, size and content (app.services.filestore) — then writes the files as round-n
materials and delivers the supplement through ``cases.submit_supplement`` in the same transaction: the
case returns to acceptance (the clock resumes by the clocks' rules) with its files, or nothing changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from app.models import Case, CaseNotice, Session
from app.models.vocab import CaseStatus, Role
from app.services import cases
from app.services.applications import Upload, check_uploads, keep_files
from app.services.auth import Actor
from app.services.errors import Conflict, Forbidden, ValidationFailed
from app.services.filestore import add_material
from app.services.i18n import t
from app.services.materials import material_specs


@dataclass(frozen=True)
class Requested:
    code: str
    name: dict[str, str]
    reason: str
    formats: list[str]


@dataclass(frozen=True)
class CorrectionRequest:
    round: int
    notice_on: date
    deadline: date | None
    materials: list[Requested]


def correction_request(case: Case) -> CorrectionRequest | None:
    """What the open correction notice of CASE asks for, or None when it waits for nothing."""
    if case.status != CaseStatus.CORRECTING:
        return None
    rounds = (case.clock_inputs or {}).get("correction") or []
    if not rounds or rounds[-1].get("end"):
        return None
    entry = rounds[-1]
    notice = Session.scalar(
        select(CaseNotice)
        .where(CaseNotice.case_id == case.id, CaseNotice.event == "correction_requested")
        .order_by(CaseNotice.id.desc())
        .limit(1)
    )
    reasons = {
        str(m.get("code")): str(m.get("reason") or "")
        for m in ((notice.params or {}).get("materials") or [] if notice is not None else [])
        if isinstance(m, Mapping)
    }
    specs = material_specs(case)
    listed = []
    for code in entry.get("materials") or []:
        spec = specs.get(code) or {}
        listed.append(
            Requested(
                code=code,
                name=spec.get("name") or {"zh": code, "en": code},
                reason=reasons.get(code, ""),
                formats=[str(f).lower() for f in spec.get("formats") or []],
            )
        )
    deadline = entry.get("deadline")
    return CorrectionRequest(
        round=len(rounds),
        notice_on=date.fromisoformat(entry["start"]),
        deadline=date.fromisoformat(deadline) if deadline else None,
        materials=listed,
    )


def open_request(actor: Actor, case_no: str) -> tuple[Case, CorrectionRequest]:
    case = cases.get_case(actor, case_no)
    if not (
        (actor.is_applicant and case.applicant_user_id == actor.id)
        or actor.may_act(Role.CLERK, case.department_code)
    ):
        raise Forbidden(t("只有申请人或本部门窗口人员可以补正材料"))
    request = correction_request(case)
    if request is None:
        raise Conflict(t("办件 %(case_no)s 当前无需补正", case_no=case_no), code="not_correcting")
    return case, request


def supplement_online(
    actor: Actor,
    case_no: str,
    uploads: Sequence[Upload],
    *,
    notes: Mapping[str, str] | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Case:
    """One submission answering the open correction notice; all of it or nothing."""
    case, request = open_request(actor, case_no)
    listed = {r.code for r in request.materials}
    specs = {
        code: {**spec, "required": True} for code, spec in material_specs(case).items() if code in listed
    }
    problems: list[dict[str, str]] = [
        {
            "field": f"material-{u.code}",
            "message": t("补正通知未列出此材料，不能作为补正提交"),
        }
        for u in uploads
        if u.code not in listed
    ]
    mine = [u for u in uploads if u.code in listed]
    for code, count in _counts(mine).items():
        if count > 1:
            problems.append({"field": f"material-{code}", "message": t("每项材料提交一个文件")})
    problems += check_uploads(specs, mine)
    notes = dict(notes or {})
    for code, text in notes.items():
        if len(text or "") > 500:
            problems.append({"field": f"note-{code}", "message": t("最长 500 字")})
    if note is not None and len(note) > 1000:
        problems.append({"field": "supplement_note", "message": t("最长 1000 字")})
    if problems:
        names = {r.code: r.name.get("zh") or r.code for r in request.materials}
        named = [names.get(p["field"].removeprefix("material-"), p["field"]) for p in problems]
        what = "、".join(dict.fromkeys(named))
        raise ValidationFailed(t("补正材料有误，请按提示修改：%(what)s", what=what), problems)
    stored = keep_files(specs, mine)
    data: dict[str, Any] = {
        "materials": [
            {"material": r.code, "note": (notes.get(r.code) or "").strip()} for r in request.materials
        ]
    }
    if note and note.strip():
        data["supplement_note"] = note.strip()
    for code, kept in stored:
        add_material(actor, case, code, kept, request.round)  # committed with the supplement, or not at all
    return cases.submit_supplement(actor, case_no, data, now=now)


def _counts(uploads: Sequence[Upload]) -> dict[str, int]:
    out: dict[str, int] = {}
    for u in uploads:
        out[u.code] = out.get(u.code, 0) + 1
    return out
