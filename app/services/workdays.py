"""The working-day calendar, read side: the cached :class:`WorkCalendar` and today's date.

Clocks and supervision read the calendar through this module; the administrator's changes (import a
year, edit a day) live in ``app.services.calendar``, which recomputes the open clocks afterwards. The
split keeps the dependency one-way (calendar → clocks → workdays).
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from app.models import CalendarDay, CalendarYear, Session
from engine.workcal import WorkCalendar, local_date

_CACHE_SECONDS = 30.0
_lock = threading.Lock()
_cache: dict[str, Any] = {"calendar": None, "fingerprint": None, "checked": 0.0}


def today(now: datetime | None = None) -> date:
    """The Asia/Shanghai calendar day of ``now`` (default: the current moment)."""
    return local_date(now or datetime.now().astimezone())


def invalidate() -> None:
    with _lock:
        _cache["calendar"] = None
        _cache["fingerprint"] = None
        _cache["checked"] = 0.0


def _fingerprint() -> tuple[Any, ...]:
    day_fp = Session.execute(select(func.count(), func.max(CalendarDay.updated_at))).one()
    year_fp = Session.execute(select(func.count(), func.max(CalendarYear.loaded_at))).one()
    return (*day_fp, *year_fp)


def get_calendar() -> WorkCalendar:
    """The current calendar; rebuilt when the table changed (checked at most every 30 s per process)."""
    now = time.monotonic()
    with _lock:
        cal = _cache["calendar"]
        fresh = cal is not None and now - _cache["checked"] < _CACHE_SECONDS
    if fresh:
        return cal
    fp = _fingerprint()
    with _lock:
        if _cache["calendar"] is not None and _cache["fingerprint"] == fp:
            _cache["checked"] = now
            return _cache["calendar"]
    rows = Session.execute(select(CalendarDay.day, CalendarDay.is_workday)).all()
    years = set(Session.scalars(select(CalendarYear.year).where(CalendarYear.confirmed.is_(True))))
    cal = WorkCalendar({d: w for d, w in rows}, years)
    with _lock:
        _cache.update(calendar=cal, fingerprint=fp, checked=now)
    return cal
