"""Drafts: a designer's work in the database. A draft never affects cases; deploying it does."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.models import ProcessDraft, Session, utcnow
from app.services import audit
from app.services.auth import Actor
from app.services.designer import templates
from app.services.designer.access import (
    design_departments,
    platform_wide,
    require_department,
    require_designer,
)
from app.services.designer.bundle import Bundle, bundle_from_texts
from app.services.designer.validation import Report, validate
from app.services.designer.versions import DeployResult, deploy_version, get_version, item_for_design
from app.services.errors import Conflict, NotFound, ValidationFailed
from app.services.i18n import t
from app.services.itemcheck import CODE, SLUG

MAX_DRAFT_FILES = 40


def list_drafts(actor: Actor) -> list[ProcessDraft]:
    require_designer(actor)
    stmt = select(ProcessDraft).order_by(ProcessDraft.updated_at.desc())
    if not platform_wide(actor):
        stmt = stmt.where(ProcessDraft.department_code.in_(design_departments(actor)))
    return list(Session.scalars(stmt))


def get_draft(actor: Actor, draft_id: int) -> ProcessDraft:
    require_designer(actor)
    draft = Session.get(ProcessDraft, draft_id)
    if draft is None:
        raise NotFound(t("草稿 %(draft_id)s 不存在", draft_id=draft_id), code="draft_not_found")
    require_department(actor, draft.department_code, f"草稿 {draft_id}")
    return draft


def _check_new_identity(slug: str, code: str) -> None:
    problems = []
    if not SLUG.match(slug or ""):
        problems.append({"field": "slug", "message": "snake_case, 3–64 characters"})
    if not CODE.match(code or ""):
        problems.append({"field": "code", "message": t("如 350200-SXHJ-XK-0001")})
    if problems:
        raise ValidationFailed(t("新事项的编码或标识有误"), problems)


def _new_draft(
    actor: Actor, content: dict[str, Any], title: str, item_id: int | None, base: str | None
) -> ProcessDraft:
    item = content["item"]
    draft = ProcessDraft(
        item_id=item_id,
        slug=item["slug"],
        department_code=item["department"],
        title=title,
        base_version=base,
        files=content["files"],
        forms=content["forms"],
        item=item,
        created_by=actor.username,
    )
    Session.add(draft)
    Session.flush()
    audit.record(
        actor, "draft.create", None, target=f"draft#{draft.id}", after={"slug": draft.slug, "base": base}
    )
    Session.commit()
    return draft


def create_from_template(
    actor: Actor, slug: str, code: str, name_zh: str, name_en: str, department: str | None = None
) -> ProcessDraft:
    require_designer(actor)
    department = department or min(design_departments(actor), default="")
    require_department(actor, department, f"部门 {department}")
    _check_new_identity(slug, code)
    if not (name_zh or "").strip():
        raise ValidationFailed(t("事项名称必填"), [{"field": "name_zh", "message": "required"}])
    content = templates.template_bundle(slug, code, name_zh.strip(), (name_en or name_zh).strip(), department)
    return _new_draft(actor, content, name_zh.strip(), None, None)


def create_from_version(actor: Actor, code: str, version: str | None = None) -> ProcessDraft:
    """A draft of the next version of an existing item, starting from one of its versions."""
    item = item_for_design(actor, code)
    _, row, item_def = get_version(actor, code, version or item.current_version or "")
    content = {"files": dict(row.files), "forms": dict(row.forms), "item": item_def}
    return _new_draft(actor, content, item.name_zh, item.id, row.version)


def create_copy(
    actor: Actor,
    code: str,
    new_slug: str,
    new_code: str,
    name_zh: str | None = None,
    name_en: str | None = None,
) -> ProcessDraft:
    """A new item that starts as a copy of another item's current version."""
    item = item_for_design(actor, code)
    _check_new_identity(new_slug, new_code)
    _, row, item_def = get_version(actor, code, item.current_version or "")
    content = templates.copy_bundle(row.files, row.forms, item_def, new_slug, new_code, name_zh, name_en)
    return _new_draft(actor, content, content["item"]["name"]["zh"], None, row.version)


def save_draft(actor: Actor, draft_id: int, content: Any, seen_version: int | None = None) -> ProcessDraft:
    """Replace the draft's files, forms and item fields. Nothing is validated beyond the shape."""
    draft = get_draft(actor, draft_id)
    files, forms, item = shape_content(content)
    if seen_version is not None and seen_version != draft.lock_version:
        raise Conflict(t("草稿已被他人修改，请刷新"), code="stale_draft")
    if isinstance(item.get("department"), str) and item["department"] != draft.department_code:
        require_department(actor, item["department"], f"部门 {item['department']}")
        draft.department_code = item["department"]
    draft.files, draft.forms, draft.item = files, forms, item
    draft.updated_at = utcnow()  # always an UPDATE: the lock version moves with every save
    if isinstance(item.get("slug"), str):
        draft.slug = item["slug"][:64]
    try:
        Session.commit()
    except StaleDataError as exc:
        Session.rollback()
        raise Conflict(t("草稿已被他人修改，请刷新"), code="stale_draft") from exc
    return draft


def shape_content(content: Any) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    problems = []
    if not isinstance(content, dict):
        raise ValidationFailed(
            t("草稿内容必须是对象"),
            [{"field": "(body)", "message": "not an object"}],
        )
    files, forms, item = content.get("files"), content.get("forms"), content.get("item")
    if (
        not isinstance(files, dict)
        or not files
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())
    ):
        problems.append({"field": "files", "message": "name → BPMN/DMN text, at least one"})
    elif len(files) > MAX_DRAFT_FILES or not all(k.endswith((".bpmn", ".dmn")) for k in files):
        problems.append({"field": "files", "message": ".bpmn/.dmn files only, at most 40"})
    if not isinstance(forms, dict) or not all(isinstance(k, str) and k.endswith(".json") for k in forms):
        problems.append({"field": "forms", "message": "name.json → form document"})
    if not isinstance(item, dict):
        problems.append({"field": "item", "message": "the item.yaml fields as an object"})
    if problems:
        raise ValidationFailed(t("草稿内容有误"), problems)
    return files, forms, item  # type: ignore[return-value]


def draft_bundle(draft: ProcessDraft) -> Bundle:
    return bundle_from_texts(draft.files, draft.forms, draft.item)


def validate_draft(actor: Actor, draft_id: int) -> Report:
    return validate(draft_bundle(get_draft(actor, draft_id)), require_item=True)


def deploy_draft(actor: Actor, draft_id: int, note: str | None = None) -> DeployResult:
    draft = get_draft(actor, draft_id)
    result = deploy_version(actor, None, draft_bundle(draft), note=note, draft_id=draft.id)
    deployed = Session.get(ProcessDraft, draft_id)
    if deployed is not None:
        deployed.item_id = result.item.id
        deployed.base_version = result.version.version
        Session.commit()
    return result


def delete_draft(actor: Actor, draft_id: int) -> None:
    draft = get_draft(actor, draft_id)
    Session.delete(draft)
    audit.record(actor, "draft.delete", None, target=f"draft#{draft_id}")
    Session.commit()
