"""What the job engine does not keep: the error of a job's last failed run (procrastinate keeps the
job, its status and its attempts in its own tables, created by migration 0056 on PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String, Text
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
