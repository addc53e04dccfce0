"""Application drafts (申请草稿): the wizard's and the API's application kept server-side until submitted.

A draft holds the application form as far as it is filled in and one checked file per material (kept
in the content-addressed store). Only its owner sees it — anyone else's draft is "not found", like a
case. Saving checks shape, not completeness (a draft may lack required fields); submitting runs every
check of a direct filing (``applications.file_application``) with the draft's files for the materials
not uploaded in that request, and records the case on the draft in the filing transaction: a draft
becomes one case, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, BinaryIO

import orjson
from sqlalchemy import select

from app.models import ApplicationDraft, Case, DraftMaterial, Session, utcnow
from app.services.applications import Upload, file_application
from app.services.auth import Actor
from app.services.catalogue import forms_for, get_item
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.filestore import StoredFile, store_file
from app.services.i18n import t

MAX_DATA_BYTES = 256 * 1024
MAX_OPEN_DRAFTS = 50


def _applicant(actor: Actor) -> None:
    if not actor.is_applicant:
        raise Forbidden(t("仅申请人可以保存申请草稿"), code="applicants_only")


def _specs(draft: ApplicationDraft) -> dict[str, dict[str, Any]]:
    return {
        m["code"]: m
        for m in (draft.item.definition or {}).get("materials") or []
        if isinstance(m, dict) and "code" in m
    }


def _check_data(item, data: Any) -> dict[str, Any]:
    """A draft's data: an object of the application form's own fields, of bounded size."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ValidationFailed(t("data 必须是对象"), [{"field": "data", "message": "not an object"}])
    form = (forms_for(item.current_version).get("application.json") or {}) if item.current_version else {}
    known = set(((form.get("schema") or {}).get("properties") or {}).keys())
    unknown = sorted(k for k in data if known and k not in known)
    if unknown:
        raise ValidationFailed(
            t("申请表没有这些字段：%(fields)s", fields=", ".join(unknown)),
            [{"field": f"data.{k}", "message": t("不允许的字段")} for k in unknown],
        )
    if len(orjson.dumps(dict(data))) > MAX_DATA_BYTES:
        raise ValidationFailed(
            t("草稿过大"),
            [{"field": "data", "message": f"最大 {MAX_DATA_BYTES // 1024} KB"}],
        )
    return dict(data)


def create_draft(
    actor: Actor, item_code: str, data: Any = None, now: datetime | None = None
) -> ApplicationDraft:
    _applicant(actor)
    item = get_item(item_code)
    clean = _check_data(item, data)
    open_drafts = Session.scalars(
        select(ApplicationDraft.id).where(
            ApplicationDraft.user_id == actor.id, ApplicationDraft.case_id.is_(None)
        )
    ).all()
    if len(open_drafts) >= MAX_OPEN_DRAFTS:
        raise Conflict(t("草稿已达 %(max)s 份，请先提交或删除", max=MAX_OPEN_DRAFTS), code="too_many_drafts")
    at = now or utcnow()
    draft = ApplicationDraft(user_id=actor.id, item_id=item.id, data=clean, created_at=at, updated_at=at)
    Session.add(draft)
    Session.commit()
    return draft


def get_draft(actor: Actor, draft_id: int) -> ApplicationDraft:
    """The actor's own draft; another user's is not found (no probing of draft ids)."""
    _applicant(actor)
    draft = Session.get(ApplicationDraft, draft_id)
    if draft is None or draft.user_id != actor.id:
        raise NotFound(t("草稿 %(draft_id)s 不存在", draft_id=draft_id), code="draft_not_found")
    return draft


def _open(actor: Actor, draft_id: int) -> ApplicationDraft:
    draft = get_draft(actor, draft_id)
    if draft.case_id is not None or draft.submitted_at is not None:
        raise Conflict(t("草稿 %(draft_id)s 已提交", draft_id=draft_id), code="draft_submitted")
    return draft


def list_drafts(actor: Actor) -> list[ApplicationDraft]:
    _applicant(actor)
    return list(
        Session.scalars(
            select(ApplicationDraft)
            .where(ApplicationDraft.user_id == actor.id, ApplicationDraft.case_id.is_(None))
            .order_by(ApplicationDraft.updated_at.desc(), ApplicationDraft.id.desc())
        ).unique()
    )


def save_draft(actor: Actor, draft_id: int, data: Any, now: datetime | None = None) -> ApplicationDraft:
    """Replace the draft's form data (not checked for completeness: that is the submission's job)."""
    draft = _open(actor, draft_id)
    draft.data = _check_data(draft.item, data)
    draft.updated_at = now or utcnow()
    Session.commit()
    return draft


def add_draft_file(
    actor: Actor, draft_id: int, code: str, filename: str, stream: BinaryIO, now: datetime | None = None
) -> DraftMaterial:
    """Check one file of a material (format, size, content) and keep it in the draft, replacing any
    earlier file of that material."""
    draft = _open(actor, draft_id)
    spec = _specs(draft).get(code)
    if spec is None:
        raise ValidationFailed(
            t("该事项没有材料 %(code)s", code=code),
            [{"field": "code", "message": t("材料不存在")}],
        )
    kept = store_file(spec, filename, stream)
    at = now or utcnow()
    row = next((f for f in draft.files if f.code == code), None)
    if row is None:
        row = DraftMaterial(draft_id=draft.id, code=code)
        draft.files.append(row)
    row.filename, row.content_type, row.size, row.sha256 = (
        kept.filename,
        kept.content_type,
        kept.size,
        kept.sha256,
    )
    row.uploaded_at = at
    draft.updated_at = at
    Session.commit()
    return row


def add_draft_files(
    actor: Actor, draft_id: int, uploads: Sequence[Upload], now: datetime | None = None
) -> list[dict[str, str]]:
    """The wizard's "save draft": keep each good file, report the others by material (no raise)."""
    problems = []
    for u in uploads:
        try:
            add_draft_file(actor, draft_id, u.code, u.filename, u.stream, now)
        except ValidationFailed as exc:
            Session.rollback()
            message = next((str(d.get("message")) for d in exc.details or []), exc.message)
            problems.append({"field": f"material-{u.code}", "message": message})
    return problems


def remove_draft_file(actor: Actor, draft_id: int, code: str) -> ApplicationDraft:
    draft = _open(actor, draft_id)
    row = next((f for f in draft.files if f.code == code), None)
    if row is None:
        raise NotFound(t("草稿中没有材料 %(code)s", code=code), code="draft_file_not_found")
    draft.files.remove(row)
    draft.updated_at = utcnow()
    Session.commit()
    return draft


def delete_draft(actor: Actor, draft_id: int) -> None:
    draft = _open(actor, draft_id)
    Session.delete(draft)
    Session.commit()


def missing_materials(draft: ApplicationDraft) -> list[str]:
    have = {f.code for f in draft.files}
    return [code for code, spec in _specs(draft).items() if spec.get("required") and code not in have]


def submit_draft(
    actor: Actor,
    draft_id: int,
    *,
    data: Any = None,
    uploads: Sequence[Upload] = (),
    licences: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Case:
    """File the draft (with DATA instead of its saved data, UPLOADS for some materials, and held
    e-licences in place of others — ``licences``: material code → licence number — if given)."""
    draft = _open(actor, draft_id)
    kept = {f.code: StoredFile(f.filename, f.content_type, f.size, f.sha256) for f in draft.files}
    submitted = dict(draft.data or {}) if data is None else data
    at = now or utcnow()

    def link(case: Case) -> None:
        draft.case_id, draft.submitted_at, draft.updated_at = case.id, at, at
        if data is not None and isinstance(data, Mapping):
            draft.data = dict(data)

    try:
        return file_application(
            actor, draft.item.code, submitted, uploads, licences=licences, now=now, kept=kept, link=link
        )
    except BaseException:
        Session.rollback()
        raise


def case_no_of(draft: ApplicationDraft) -> str | None:
    if draft.case_id is None:
        return None
    return Session.scalar(select(Case.case_no).where(Case.id == draft.case_id))
