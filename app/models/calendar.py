"""The platform's working-day calendar: official day statuses and which years are confirmed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class CalendarDay(Base):
    """An official status for one day that differs from, or confirms, the weekend rule."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool]
    note: Mapped[str | None] = mapped_column(String(100), default=None)  # e.g. 春节, 调休上班
    source: Mapped[str] = mapped_column(String(40))  # package:chinese_calendar | import | admin
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CalendarYear(Base):
    """A year whose official State Council arrangement is loaded (confirmed)."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    confirmed: Mapped[bool] = mapped_column(default=True)
    source: Mapped[str] = mapped_column(String(200))
    loaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    loaded_by: Mapped[str | None] = mapped_column(String(64), default=None)


class ClockSweep(Base):
    """The day the supervision sweep last ran for (one row): stored used/remaining working days are
    moved on to this day when read, as the daily sweep used to rewrite them."""

    __tablename__ = "clock_sweep"

    id: Mapped[int] = mapped_column(primary_key=True)
    swept_on: Mapped[date]
