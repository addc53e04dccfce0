"""Applicants' materials: upload into a content-addressed file store, list, and read back.

Files live under ``<data_dir>/files/<sha256[:2]>/<sha256>``; the same bytes are stored once. The
format must be one the item lists for that material (item.yaml ``materials[].formats``), checked by
extension, by the file's leading bytes and by sniffing its whole content (app.services.filesniff: the
bytes must be that format and carry no HTML or script); the size limit is ``settings.max_upload_mb``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select

from app.models import Case, Material, Session
from app.models.vocab import CaseStatus
from app.services import audit, intake
from app.services.auth import Actor
from app.services.cases import get_case, may_file_for
from app.services.context import ctx
from app.services.errors import Forbidden, NotFound, PayloadTooLarge, ValidationFailed
from app.services.filesniff import sniff
from app.services.i18n import t

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "ofd": "application/ofd",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
MAGIC = {
    "pdf": (b"%PDF",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "ofd": (b"PK",),
    "docx": (b"PK",),
}
CHUNK = 1024 * 1024


def store_root() -> Path:
    return ctx().settings.data_dir / "files"


def path_of(sha256: str) -> Path:
    return store_root() / sha256[:2] / sha256


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


def _may_upload(actor: Actor, case: Case) -> bool:
    return may_file_for(actor, case) or intake.registered_by_window(actor, case)


def upload_material(actor: Actor, case_no: str, code: str, filename: str, stream: BinaryIO) -> Material:
    case = get_case(actor, case_no)
    if not _may_upload(actor, case):
        raise Forbidden(
            t("只有申请人或本部门窗口人员可以上传材料"),
            code="upload_forbidden",
        )
    spec = material_specs(case).get(code)
    if spec is None:
        raise ValidationFailed(
            t("该事项没有这项材料"),
            [{"field": "code", "message": t("材料不存在")}],
        )
    name = os.path.basename((filename or "").replace("\\", "/"))[:255]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    formats = [str(f).lower() for f in spec.get("formats") or []]
    if ext not in formats:
        allowed = ", ".join(formats)
        raise ValidationFailed(
            t("文件格式须为 %(allowed)s", allowed=allowed),
            [{"field": "file", "message": t("格式须为 %(allowed)s", allowed=allowed)}],
        )
    limit = ctx().settings.max_upload_mb * 1024 * 1024
    root = store_root()
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    with tempfile.NamedTemporaryFile(dir=root, delete=False) as tmp:
        try:
            while chunk := stream.read(CHUNK):
                if not head:
                    head = chunk[:16]
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(
                        t("文件超过 %(mb)s MB", mb=ctx().settings.max_upload_mb),
                        [{"field": "file", "message": t("最大 %(mb)s MB", mb=ctx().settings.max_upload_mb)}],
                    )
                digest.update(chunk)
                tmp.write(chunk)
        except BaseException:
            tmp.close()
            os.unlink(tmp.name)
            raise
    problem = "文件为空" if size == 0 else None
    if problem is None and not head.startswith(MAGIC.get(ext, (b"",))):
        problem = f"内容与声明的格式 {ext.upper()} 不符"
    if problem is None:
        problem = sniff(Path(tmp.name), ext)
    if problem is not None:
        os.unlink(tmp.name)
        raise ValidationFailed(
            t("文件内容不符合 %(fmt)s 格式：%(problem)s", fmt=ext.upper(), problem=problem),
            [{"field": "file", "message": problem}],
            code="file_content_mismatch",
        )
    sha = digest.hexdigest()
    target = path_of(sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        os.unlink(tmp.name)
    else:
        os.replace(tmp.name, target)
    row = Material(
        case_id=case.id,
        code=code,
        filename=name,
        content_type=CONTENT_TYPES.get(ext, "application/octet-stream"),
        size=size,
        sha256=sha,
        round=_round_of(case),
        uploaded_by_id=actor.id,
    )
    Session.add(row)
    audit.record(
        actor, "material.upload", case.id, target=code, after={"filename": name, "size": size, "sha256": sha}
    )
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
