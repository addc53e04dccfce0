"""What the job engine does not keep: the error of a job's last failed run (procrastinate keeps the
job, its status and its attempts in its own tables, created by migration 0056 on PostgreSQL), and the
reports the jobs make."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class JobError(Base):
    """The last failure of one job (keyed by the engine's job id), written beside the failed run."""

    __tablename__ = "job_error"

    job_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    task_name: Mapped[str] = mapped_column(String(128))
    attempt: Mapped[int]
    error: Mapped[str] = mapped_column(Text)
    failed_at: Mapped[datetime]


class ReportRun(Base):
    """One requested report (the supervision monthly PDF), made by a background job: who asked, for which
    month and language, where it stands, and the file once made (kept for its requester to download)."""

    __tablename__ = "report_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # REPORT_KINDS in app.services.report_runs
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    lang: Mapped[str] = mapped_column(String(8))  # zh | en
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    requested_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    attempts: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str | None] = mapped_column(String(200), default=None)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_report_run_requested_by_id", "requested_by_id", "id"),
        Index("ix_report_run_state", "state", "id"),
    )
