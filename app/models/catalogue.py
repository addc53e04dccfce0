"""Service items (事项) and their deployed process versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class ServiceItem(Base):
    __tablename__ = "service_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str] = mapped_column(ForeignKey("department.code"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # promised | immediate
    statutory_wd: Mapped[int]
    promised_wd: Mapped[int]
    definition: Mapped[dict[str, Any]]  # the whole item.yaml, for the service guide
    current_version: Mapped[str | None] = mapped_column(String(16), default=None)
    # an administrator may stop new applications (the guide stays; running cases go on)
    accepting: Mapped[bool] = mapped_column(default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProcessVersion(Base):
    """A deployed BPMN version, keyed by the content hash of its files."""

    __tablename__ = "process_version"

    version: Mapped[str] = mapped_column(String(16), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(100))
    files: Mapped[dict[str, Any]]  # file name -> BPMN/DMN text
    forms: Mapped[dict[str, Any]]  # form file name -> form document, frozen with the version
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)
    deployed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
