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

from app.models import CalendarDay, CalendarYear, ClockSweep, Session
from app.models.base import dialect_insert, table_of
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


_sweep: dict[str, Any] = {"day": None, "checked": 0.0}


def sweep_day() -> date | None:
    """The day the last supervision sweep ran for (cached like the calendar, 30 s per process)."""
    now = time.monotonic()
    with _lock:
        if _sweep["checked"] and now - _sweep["checked"] < _CACHE_SECONDS:
            return _sweep["day"]
    day = Session.scalar(select(ClockSweep.swept_on).where(ClockSweep.id == 1))
    with _lock:
        _sweep.update(day=day, checked=now)
    return day


def record_sweep_day(day: date) -> None:
    """The sweep ran for ``day`` (inside its transaction); this process sees it at once."""
    stmt = dialect_insert(table_of(ClockSweep)).values(id=1, swept_on=day)
    Session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_={"swept_on": day}))
    with _lock:
        _sweep.update(day=day, checked=time.monotonic())


def forget_sweep_day() -> None:
    with _lock:
        _sweep.update(day=None, checked=0.0)


def workdays_since(since: date | None) -> int:
    """Working days in (since, last sweep day]: stored used/remaining days move on with the sweep's
    day, exactly as when the sweep rewrote them (0 when the sweep has not run past ``since``)."""
    if since is None:
        return 0
    on = sweep_day()
    if on is None or on <= since:
        return 0
    return max(get_calendar().count_workdays(since, on), 0)


def _install() -> None:
    from app.models.case import install_workdays_since

    install_workdays_since(workdays_since)


_install()
