"""Working-day calendar (工作日历) for the legal clock.

Pure standard library.  The application seeds a :class:`WorkCalendar` from its calendar table (itself
seeded from a maintained package or imported by an administrator) and passes plain data in:

* ``days`` - explicit official statuses: ``True`` is a working day (including make-up working days
  调休上班 on a Saturday or Sunday), ``False`` is a day off (including public holidays).  A day that
  is absent follows the weekend rule (Monday-Friday working).
* ``confirmed_years`` - the years whose official arrangement (State Council notice) is loaded.  In
  any other year only the weekend rule (plus any explicit day) applies and results are flagged
  ``confirmed=False``.

Counting convention (民法典 Art. 201): the day on which a period starts is not counted.  "N working
days from D" is the N-th working day after D; "working days between D and E" counts (D, E].

Every query is an O(1) look-up on a precomputed index:

* ``_cum[i]``   number of working days among day indexes ``0..i`` (index 0 = ``first_year``-01-01);
* ``_wd[k]``    the (k+1)-th working day of the whole range, as a ``date``;
* ``_wdi[k]``   its day index;
* ``_ucum[i]``  number of days in unconfirmed years among day indexes ``0..i``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

__all__ = [
    "SHANGHAI",
    "WorkCalendar",
    "WorkdayResult",
    "end_of_local_day_utc",
    "local_date",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")


class WorkdayResult(NamedTuple):
    """A computed day and whether every calendar year it relies on is officially confirmed."""

    date: date
    confirmed: bool


def local_date(dt: datetime) -> date:
    """Calendar date in Asia/Shanghai of a timestamp; a naive datetime is taken as UTC."""
    if not isinstance(dt, datetime):
        raise TypeError(f"local_date expects a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(SHANGHAI).date()


def end_of_local_day_utc(d: date) -> datetime:
    """The last instant (23:59:59.999999) of Shanghai day ``d``, as an aware UTC datetime."""
    if isinstance(d, datetime):
        d = d.date()
    return datetime.combine(d, time.max, tzinfo=SHANGHAI).astimezone(UTC)


class WorkCalendar:
    """Immutable working-day calendar over ``first_year``-01-01 .. ``last_year``-12-31."""

    __slots__ = (
        "_base",
        "_confirmed",
        "_cum",
        "_days",
        "_first_date",
        "_first_year",
        "_last_date",
        "_last_year",
        "_ndays",
        "_nwd",
        "_ucum",
        "_wd",
        "_wdi",
    )
    _base: int
    _confirmed: frozenset[int]
    _cum: tuple[int, ...]
    _days: Mapping[date, bool]
    _first_date: date
    _first_year: int
    _last_date: date
    _last_year: int
    _ndays: int
    _nwd: int
    _ucum: tuple[int, ...]
    _wd: tuple[date, ...]
    _wdi: tuple[int, ...]

    def __init__(
        self,
        days: Mapping[date, bool],
        confirmed_years: Iterable[int],
        first_year: int = 2000,
        last_year: int = 2100,
    ) -> None:
        if not (isinstance(first_year, int) and isinstance(last_year, int)):
            raise TypeError("first_year and last_year must be integers")
        if not 1 <= first_year <= last_year <= 9998:
            raise ValueError(f"invalid calendar range {first_year}..{last_year}")
        first_date = date(first_year, 1, 1)
        last_date = date(last_year, 12, 31)

        clean: dict[date, bool] = {}
        for d, status in days.items():
            if isinstance(d, datetime) or not isinstance(d, date):
                raise TypeError(f"calendar day keys must be dates, got {d!r}")
            if not first_date <= d <= last_date:
                raise ValueError(
                    f"calendar day {d.isoformat()} is outside the supported range "
                    f"{first_date.isoformat()}..{last_date.isoformat()}"
                )
            if not isinstance(status, bool):
                raise TypeError(
                    f"status of {d.isoformat()} must be a bool (True = working day), got {status!r}"
                )
            clean[d] = status

        confirmed: set[int] = set()
        for y in confirmed_years:
            if isinstance(y, bool) or not isinstance(y, int):
                raise TypeError(f"confirmed years must be integers, got {y!r}")
            if not first_year <= y <= last_year:
                raise ValueError(
                    f"confirmed year {y} is outside the supported range {first_year}..{last_year}"
                )
            confirmed.add(y)

        base = first_date.toordinal()
        ndays = last_date.toordinal() - base + 1
        explicit = {d.toordinal() - base: s for d, s in clean.items()}

        cum: list[int] = [0] * ndays
        ucum: list[int] = [0] * ndays
        wd: list[date] = []
        wdi: list[int] = []
        count = 0
        ucount = 0
        one = timedelta(days=1)
        d = first_date
        # first_date.weekday(): Monday == 0; weekend is 5, 6.
        wk = first_date.weekday()
        year = first_year
        year_confirmed = year in confirmed
        for i in range(ndays):
            if d.year != year:
                year = d.year
                year_confirmed = year in confirmed
            given = explicit.get(i)
            working = (wk < 5) if given is None else given
            if working:
                count += 1
                wd.append(d)
                wdi.append(i)
            if not year_confirmed:
                ucount += 1
            cum[i] = count
            ucum[i] = ucount
            d += one
            wk = wk + 1 if wk < 6 else 0

        set_ = object.__setattr__
        set_(self, "_base", base)
        set_(self, "_ndays", ndays)
        set_(self, "_first_year", first_year)
        set_(self, "_last_year", last_year)
        set_(self, "_first_date", first_date)
        set_(self, "_last_date", last_date)
        set_(self, "_days", MappingProxyType(clean))
        set_(self, "_confirmed", frozenset(confirmed))
        set_(self, "_cum", tuple(cum))
        set_(self, "_ucum", tuple(ucum))
        set_(self, "_wd", tuple(wd))
        set_(self, "_wdi", tuple(wdi))
        set_(self, "_nwd", len(wd))

    # -- immutability ---------------------------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("WorkCalendar is immutable; use with_days() to derive a new calendar")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("WorkCalendar is immutable")

    def __repr__(self) -> str:
        years = sorted(self._confirmed)
        if not years:
            shown = "none"
        elif years[-1] - years[0] + 1 == len(years):
            shown = f"{years[0]}..{years[-1]}"
        else:
            shown = ",".join(map(str, years))
        return (
            f"WorkCalendar({self._first_year}..{self._last_year}, {len(self._days)} explicit days, "
            f"confirmed years {shown})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkCalendar):
            return NotImplemented
        return (
            self._first_year == other._first_year
            and self._last_year == other._last_year
            and self._confirmed == other._confirmed
            and self._cum == other._cum
        )

    def __hash__(self) -> int:
        return hash((self._first_year, self._last_year, self._confirmed, self._nwd))

    # -- properties -----------------------------------------------------------------------------

    @property
    def days(self) -> Mapping[date, bool]:
        """The explicit day statuses (read-only view)."""
        return self._days

    @property
    def confirmed_years(self) -> frozenset[int]:
        return self._confirmed

    @property
    def first_year(self) -> int:
        return self._first_year

    @property
    def last_year(self) -> int:
        return self._last_year

    # -- internals ------------------------------------------------------------------------------

    def _index(self, d: date) -> int:
        i = d.toordinal() - self._base
        if 0 <= i < self._ndays:
            return i
        raise self._range_error(d)

    def _range_error(self, d: object) -> ValueError:
        shown = d.isoformat() if isinstance(d, date) else repr(d)
        return ValueError(
            f"date {shown} is outside the supported calendar range "
            f"{self._first_date.isoformat()}..{self._last_date.isoformat()}"
        )

    # -- queries --------------------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        i = d.toordinal() - self._base
        if not 0 <= i < self._ndays:
            raise self._range_error(d)
        cum = self._cum
        return cum[i] != (cum[i - 1] if i else 0)

    def add_workdays(self, start: date, n: int) -> WorkdayResult:
        """The ``n``-th working day after ``start`` (``start`` itself not counted); ``n == 0`` gives ``start``.

        ``confirmed`` is True only when every year touched in (start, result] is confirmed.
        """
        i = start.toordinal() - self._base
        if not 0 <= i < self._ndays:
            raise self._range_error(start)
        if n <= 0:
            if n == 0:
                return WorkdayResult(start, True)
            raise ValueError(f"number of working days must be >= 0, got {n}")
        k = self._cum[i] + n - 1
        if k >= self._nwd:
            raise ValueError(
                f"{n} working days after {start.isoformat()} falls after the end of the supported "
                f"calendar range {self._first_date.isoformat()}..{self._last_date.isoformat()}"
            )
        ucum = self._ucum
        return WorkdayResult(self._wd[k], ucum[self._wdi[k]] == ucum[i])

    def count_workdays(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative (``-count(end, start)``) when end < start."""
        i = start.toordinal() - self._base
        j = end.toordinal() - self._base
        n = self._ndays
        if not 0 <= i < n:
            raise self._range_error(start)
        if not 0 <= j < n:
            raise self._range_error(end)
        cum = self._cum
        return cum[j] - cum[i]

    def next_workday_on_or_after(self, d: date) -> date:
        """``d`` if it is a working day, else the next working day."""
        i = self._index(d)
        cum = self._cum
        # Number of working days strictly before d, i.e. the 0-based rank of the next working day.
        k = cum[i - 1] if i else 0
        if k >= self._nwd:
            raise ValueError(
                f"no working day on or after {d.isoformat()} within the supported calendar range "
                f"{self._first_date.isoformat()}..{self._last_date.isoformat()}"
            )
        return self._wd[k]

    def same_day_deadline(self, d: date) -> WorkdayResult:
        """Deadline of a same-day item (即办件): ``d`` if a working day, else the next working day.

        ``confirmed`` is True when every year in [d, deadline] is confirmed.
        """
        i = self._index(d)
        cum = self._cum
        k = cum[i - 1] if i else 0
        if k >= self._nwd:
            raise ValueError(
                f"no working day on or after {d.isoformat()} within the supported calendar range "
                f"{self._first_date.isoformat()}..{self._last_date.isoformat()}"
            )
        ucum = self._ucum
        before = ucum[i - 1] if i else 0
        return WorkdayResult(self._wd[k], ucum[self._wdi[k]] == before)

    def is_year_confirmed(self, year: int) -> bool:
        return year in self._confirmed

    def unconfirmed_years_between(self, start: date, end: date) -> list[int]:
        """Unconfirmed years touched by the days in (start, end], ascending (empty when end <= start)."""
        self._index(start)
        self._index(end)
        if end <= start:
            return []
        first = (start + timedelta(days=1)).year
        return [y for y in range(first, end.year + 1) if y not in self._confirmed]

    # -- derivation -----------------------------------------------------------------------------

    def with_days(
        self,
        changes: Mapping[date, bool],
        confirmed_years: Iterable[int] | None = None,
    ) -> WorkCalendar:
        """A new calendar with ``changes`` applied over the explicit days.

        ``confirmed_years`` replaces the confirmed set when given (pass
        ``cal.confirmed_years | {2027}`` to add a year); ``None`` keeps the current set.
        """
        merged = dict(self._days)
        merged.update(changes)
        years = self._confirmed if confirmed_years is None else confirmed_years
        return WorkCalendar(merged, years, self._first_year, self._last_year)
