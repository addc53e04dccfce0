"""The content-addressed file store of materials, and the checks a file passes before it is kept.

Files live under ``<data_dir>/files/<sha256[:2]>/<sha256>``; the same bytes are stored once. The
format must be one the item lists for that material (item.yaml ``materials[].formats``), checked by
extension, by the file's leading bytes and by sniffing its whole content (app.services.filesniff: the
bytes must be that format and carry no HTML or script); the size limit is ``settings.max_upload_mb``.

Storing writes no database row, so a caller can check and keep every file of a submission first and
then write its rows in one transaction (all or nothing). A kept file that no row ends up naming (the
filing failed after its files were kept, a draft's file was replaced) is served by nobody; the hourly
``prune`` job deletes it once it is a day old (``remove_unnamed``), with the temporary files of uploads
that never finished.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from app.models import Case, DraftMaterial, Material, Session
from app.services import audit
from app.services.auth import Actor
from app.services.context import ctx
from app.services.errors import PayloadTooLarge, ValidationFailed
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


@dataclass(frozen=True)
class StoredFile:
    """A checked file in the content-addressed store, not yet part of any case."""

    filename: str
    content_type: str
    size: int
    sha256: str


def store_file(spec: Mapping[str, Any], filename: str, stream: BinaryIO) -> StoredFile:
    """Check one file against its material's formats, the size limit and its content, then keep it
    in the store (content-addressed: the same bytes once; a file no case ends up using is harmless).

    Raises ValidationFailed / PayloadTooLarge naming ``file``; writes no database row.
    """
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
    problem: str | None = str(t("文件为空")) if size == 0 else None
    if problem is None and not head.startswith(MAGIC.get(ext, (b"",))):
        problem = str(t("内容与声明的格式 %(fmt)s 不符", fmt=ext.upper()))
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
        os.utime(target)  # kept again now: the unnamed-file sweep leaves it its day for a row to name it
    else:
        os.replace(tmp.name, target)
    return StoredFile(name, CONTENT_TYPES.get(ext, "application/octet-stream"), size, sha)


def add_material(actor: Actor | None, case: Case, code: str, stored: StoredFile, round_: int) -> Material:
    """The material row of a stored file, with its audit entry (no commit: the caller's transaction)."""
    row = Material(
        case_id=case.id,
        code=code,
        filename=stored.filename,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        round=round_,
        uploaded_by_id=actor.id if actor else None,
    )
    Session.add(row)
    audit.record(
        actor,
        "material.upload",
        case.id,
        target=code,
        after={"filename": stored.filename, "size": stored.size, "sha256": stored.sha256},
    )
    return row


KEEP_UNNAMED = timedelta(days=1)
BATCH = 500


def remove_unnamed(now: datetime, keep: timedelta = KEEP_UNNAMED) -> dict[str, int]:
    """Delete stored files that no material and no draft file names, kept (or kept again) more than
    ``keep`` ago, and temporary upload files as old; ``{"removed": n, "unfinished": m}``. A file is
    looked at again just before it goes: one stored again in the meantime (the same bytes) stays."""
    root = store_root()
    if not root.is_dir():
        return {"removed": 0, "unfinished": 0}
    cutoff = (now - keep).timestamp()
    unfinished = 0
    old: dict[str, Path] = {}
    for entry in root.iterdir():
        if entry.is_file():  # a NamedTemporaryFile of an upload interrupted before its rename
            if entry.stat().st_mtime < cutoff:
                entry.unlink(missing_ok=True)
                unfinished += 1
        elif entry.is_dir():
            old.update((f.name, f) for f in entry.iterdir() if f.is_file() and f.stat().st_mtime < cutoff)
    removed = 0
    names = sorted(old)
    for i in range(0, len(names), BATCH):
        batch = names[i : i + BATCH]
        named = set(
            Session.scalars(
                select(Material.sha256)
                .where(Material.sha256.in_(batch))
                .union(select(DraftMaterial.sha256).where(DraftMaterial.sha256.in_(batch)))
            )
        )
        for sha in batch:
            path = old[sha]
            if sha in named or not path.exists() or path.stat().st_mtime >= cutoff:
                continue
            path.unlink(missing_ok=True)
            removed += 1
    Session.rollback()  # read only: end the transaction
    return {"removed": removed, "unfinished": unfinished}
