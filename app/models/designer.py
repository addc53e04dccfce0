"""The process designer's drafts, the catalogue entry frozen with each designer-deployed version, and
the reports of migrations of running cases between versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")


class ProcessDraft(Base):
    """Work in progress of a designer: never read by cases; deploying it creates a version."""

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("service_item.id"), index=True, default=None)
    slug: Mapped[str] = mapped_column(String(64))
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    base_version: Mapped[str | None] = mapped_column(String(16), default=None)
    files: Mapped[dict[str, Any]] = mapped_column(default=dict)  # BPMN/DMN file name -> XML text
    forms: Mapped[dict[str, Any]] = mapped_column(default=dict)  # form file name -> form document
    item: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the item.yaml fields
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    lock_version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class ProcessVersionItem(Base):
    """The catalogue entry (item.yaml) deployed together with a process version; immutable like it."""

    __tablename__ = "process_version_item"

    version: Mapped[str] = mapped_column(
        ForeignKey("process_version.version", ondelete="CASCADE"), primary_key=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of BPMN/DMN, forms and item.yaml
    item: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(16), default="designer")  # designer | api
    draft_id: Mapped[int | None] = mapped_column(default=None)


class CaseMigration(Base):
    """One run (dry or real) of moving an item's open cases from one version to another, with its report."""

    __tablename__ = "case_migration"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    from_version: Mapped[str] = mapped_column(String(16))
    to_version: Mapped[str] = mapped_column(String(16))
    dry_run: Mapped[bool] = mapped_column(default=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    moved: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)
    report: Mapped[list[Any]] = mapped_column(default=list)  # [{case_no, movable|moved, reasons, current}]
    note: Mapped[str | None] = mapped_column(Text, default=None)

    __table_args__ = (Index("ix_case_migration_item_at", "item_id", "at"),)
