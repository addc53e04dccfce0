"""Applicants' materials of a case: add, list, and read back (the bytes: app.services.filestore)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from app.models import Case, Material, Session
from app.models.vocab import CLOSED_STATUSES, CaseStatus
from app.services import intake
from app.services.auth import Actor
from app.services.cases import get_case, may_file_for
from app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.services.filestore import (  # noqa: F401 - re-exported: the store's names as materials.*
    CONTENT_TYPES,
    MAGIC,
    StoredFile,
    add_material,
    path_of,
    store_file,
    store_root,
)
from app.services.i18n import t


def material_specs(case: Case) -> dict[str, dict]:
    return {
        m["code"]: m
        for m in (case.item.definition or {}).get("materials") or []
        if isinstance(m, dict) and "code" in m
    }


def list_materials(actor: Actor, case_no: str) -> list[Material]:
    case = get_case(actor, case_no)
    return list(
        Session.scalars(
            select(Material).where(Material.case_id == case.id).order_by(Material.round, Material.id)
        )
    )


def may_upload(actor: Actor, case: Case) -> bool:
    return may_file_for(actor, case) or intake.registered_by_window(actor, case)


def upload_material(actor: Actor, case_no: str, code: str, filename: str, stream: BinaryIO) -> Material:
    """One more file for a case (the applicant, the window that registered it, the department's clerk)."""
    case = get_case(actor, case_no)
    if not may_upload(actor, case):
        raise Forbidden(
            t("只有申请人或本部门窗口人员可以上传材料"),
            code="upload_forbidden",
        )
    if case.status in CLOSED_STATUSES:
        raise Conflict(t("办件 %(case_no)s 已办结，不能再上传材料", case_no=case_no), code="case_closed")
    spec = material_specs(case).get(code)
    if spec is None:
        raise ValidationFailed(
            t("该事项没有这项材料"),
            [{"field": "code", "message": t("材料不存在")}],
        )
    stored = store_file(spec, filename, stream)
    row = add_material(actor, case, code, stored, _round_of(case))
    Session.commit()
    return row


def _round_of(case: Case) -> int:
    """0 for the application; n while answering the n-th correction notice (one per CorrectionRequested)."""
    if case.status != CaseStatus.CORRECTING:
        return 0
    return len((case.clock_inputs or {}).get("correction") or [])


def open_material(actor: Actor, case_no: str, material_id: int) -> tuple[Material, Path]:
    case = get_case(actor, case_no)
    row = Session.get(Material, material_id)
    if row is None or row.case_id != case.id or not row.sha256:
        raise NotFound(t("材料 %(material_id)s 不存在", material_id=material_id), code="material_not_found")
    path = path_of(row.sha256)
    if not path.is_file():
        raise NotFound(t("材料文件缺失"), code="material_file_missing")
    return row, path
