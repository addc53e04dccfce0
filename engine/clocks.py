"""Named legal clocks of a case (受理, 办结, 环节, 特别程序, 送达, 补正等待).

Pure standard library; all day arithmetic goes through :class:`engine.workcal.WorkCalendar`.

Semantics (see DESIGN.md, "The legal clock"):

* The day a clock starts is not counted: working days used are those in (start, reference], where the
  reference day is ``today`` or, for a stopped clock, ``min(today, stopped_on)``.
* A pause ``(start, end]`` (e.g. correction notice issued on ``start``, supplement received on ``end``)
  freezes the clock: its working days are not used, and a pause of k working days moves the deadline
  by exactly k working days.  An open pause (``end is None``) lasts to the reference day.  Overlapping
  pauses count once; the part of a pause on or before the clock's start is ignored.
* ``deadline = add_workdays(start, limit_wd + extension days + paused working days)``.
* A same-day clock (即办件) is anchored on ``same_day_deadline(start)`` (the start if it is a working
  day, else the next working day) instead of ``start``; its ``limit_wd`` must be 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.workcal import WorkCalendar, WorkdayResult

__all__ = [
    "CLOCK_KINDS",
    "DEFAULT_THRESHOLDS",
    "LIGHTS",
    "ClockInput",
    "ClockState",
    "Extension",
    "Pause",
    "Thresholds",
    "compute_clock",
    "deadline_after_pauses",
    "light_of",
    "merge_pauses",
    "paused_workdays",
]

CLOCK_KINDS = frozenset(
    {"acceptance", "promised", "statutory", "step", "special_procedure", "delivery", "correction_wait"}
)
LIGHTS = ("green", "yellow", "red")


def _check_date(value: object, name: str) -> None:
    if not isinstance(value, date):
        raise TypeError(f"{name} must be a date, got {value!r}")


def _check_int(value: object, name: str, minimum: int = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


@dataclass(frozen=True, slots=True)
class Pause:
    """The clock stands still on the working days in (start, end]; ``end=None`` means still open."""

    start: date
    end: date | None
    reason: str

    def __post_init__(self) -> None:
        _check_date(self.start, "pause start")
        if self.end is not None:
            _check_date(self.end, "pause end")
            if self.end < self.start:
                raise ValueError(
                    f"pause end {self.end.isoformat()} is before its start {self.start.isoformat()}"
                )


@dataclass(frozen=True, slots=True)
class Extension:
    """An approved extension (延期) of ``days`` working days."""

    days: int
    reason: str
    approved_on: date

    def __post_init__(self) -> None:
        _check_int(self.days, "extension days")
        _check_date(self.approved_on, "extension approved_on")


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Yellow light when at most ``yellow_remaining_wd`` working days remain or
    ``yellow_consumed_pct`` percent of the limit is used."""

    yellow_remaining_wd: int = 2
    yellow_consumed_pct: int = 80

    def __post_init__(self) -> None:
        _check_int(self.yellow_remaining_wd, "yellow_remaining_wd")
        _check_int(self.yellow_consumed_pct, "yellow_consumed_pct")
        if self.yellow_consumed_pct > 100:
            raise ValueError(f"yellow_consumed_pct must be <= 100, got {self.yellow_consumed_pct}")


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class ClockInput:
    kind: str
    start: date
    limit_wd: int
    pauses: tuple[Pause, ...] = ()
    extensions: tuple[Extension, ...] = ()
    stopped_on: date | None = None
    same_day: bool = False

    def __post_init__(self) -> None:
        if self.kind not in CLOCK_KINDS:
            raise ValueError(f"unknown clock kind {self.kind!r}; expected one of {sorted(CLOCK_KINDS)}")
        _check_date(self.start, "clock start")
        _check_int(self.limit_wd, "limit_wd")
        if self.same_day and self.limit_wd != 0:
            raise ValueError(f"a same-day clock has no working-day limit; got limit_wd={self.limit_wd}")
        pauses = tuple(self.pauses)
        extensions = tuple(self.extensions)
        for p in pauses:
            if not isinstance(p, Pause):
                raise TypeError(f"pauses must be Pause objects, got {p!r}")
        for e in extensions:
            if not isinstance(e, Extension):
                raise TypeError(f"extensions must be Extension objects, got {e!r}")
        object.__setattr__(self, "pauses", pauses)
        object.__setattr__(self, "extensions", extensions)
        if self.stopped_on is not None:
            _check_date(self.stopped_on, "stopped_on")
            if self.stopped_on < self.start:
                raise ValueError(
                    f"clock stopped on {self.stopped_on.isoformat()}, before its start {self.start.isoformat()}"
                )

    @property
    def extension_wd(self) -> int:
        return sum(e.days for e in self.extensions)


@dataclass(frozen=True, slots=True)
class ClockState:
    kind: str
    start: date
    limit_wd: int  # including extensions
    deadline: date
    confirmed: bool
    used_wd: int
    remaining_wd: int
    paused: bool
    paused_wd: int
    overdue_wd: int
    light: str
    stopped_on: date | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start": self.start.isoformat(),
            "limit_wd": self.limit_wd,
            "deadline": self.deadline.isoformat(),
            "confirmed": self.confirmed,
            "used_wd": self.used_wd,
            "remaining_wd": self.remaining_wd,
            "paused": self.paused,
            "paused_wd": self.paused_wd,
            "overdue_wd": self.overdue_wd,
            "light": self.light,
            "stopped_on": self.stopped_on.isoformat() if self.stopped_on is not None else None,
        }


def merge_pauses(pauses: Iterable[Pause], after: date, open_until: date) -> list[tuple[date, date]]:
    """Pauses as disjoint half-open intervals (a, b], sorted, clipped to start after ``after``.

    An open pause lasts to ``open_until``.  Empty intervals are dropped; overlapping or adjacent
    intervals are merged so that a day is counted once.
    """
    raw: list[tuple[date, date]] = []
    for p in pauses:
        a = p.start if p.start > after else after
        b = p.end if p.end is not None else open_until
        if b > a:
            raw.append((a, b))
    if len(raw) <= 1:
        return raw
    raw.sort()
    merged = [raw[0]]
    for a, b in raw[1:]:
        la, lb = merged[-1]
        if a <= lb:
            if b > lb:
                merged[-1] = (la, b)
        else:
            merged.append((a, b))
    return merged


def paused_workdays(
    cal: WorkCalendar, pauses: Iterable[Pause], after: date, open_until: date, until: date | None = None
) -> int:
    """Working days covered by the pauses after ``after`` (and on or before ``until`` if given)."""
    total = 0
    for a, b in merge_pauses(pauses, after, open_until):
        if until is not None:
            if a >= until:
                continue
            if b > until:
                b = until
        total += cal.count_workdays(a, b)
    return total


def deadline_after_pauses(
    cal: WorkCalendar, start: date, limit_total: int, pauses: Iterable[Pause], today: date
) -> WorkdayResult:
    """``limit_total`` working days after ``start``, pushed back by the pauses' working days."""
    return cal.add_workdays(start, limit_total + paused_workdays(cal, pauses, start, today))


def light_of(
    reference: date,
    deadline: date,
    used_wd: int,
    limit_total: int,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> str:
    """'red' past the deadline; 'yellow' when little is left or most is used; else 'green'."""
    if reference > deadline:
        return "red"
    remaining = limit_total - used_wd
    if (
        remaining <= thresholds.yellow_remaining_wd
        or used_wd * 100 >= thresholds.yellow_consumed_pct * limit_total
    ):
        return "yellow"
    return "green"


def compute_clock(
    cal: WorkCalendar, clock: ClockInput, today: date, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> ClockState:
    """State of one clock as seen on ``today``."""
    stopped_on = clock.stopped_on
    ref = stopped_on if stopped_on is not None and stopped_on < today else today
    limit_total = clock.limit_wd + clock.extension_wd

    if clock.same_day:
        anchor_res = cal.same_day_deadline(clock.start)
        anchor = anchor_res.date
        anchor_confirmed = anchor_res.confirmed
    else:
        anchor = clock.start
        anchor_confirmed = True

    paused_total = 0
    paused_used = 0
    paused_now = False
    if clock.pauses:
        for a, b in merge_pauses(clock.pauses, anchor, ref):
            n = cal.count_workdays(a, b)
            paused_total += n
            if a < ref:
                paused_used += n if b <= ref else cal.count_workdays(a, ref)
        if stopped_on is None:
            paused_now = any(p.start <= today and (p.end is None or today < p.end) for p in clock.pauses)

    dl = cal.add_workdays(anchor, limit_total + paused_total)
    used = cal.count_workdays(anchor, ref) - paused_used if ref > anchor else 0
    remaining = limit_total - used
    return ClockState(
        kind=clock.kind,
        start=clock.start,
        limit_wd=limit_total,
        deadline=dl.date,
        confirmed=dl.confirmed and anchor_confirmed,
        used_wd=used,
        remaining_wd=remaining,
        paused=paused_now,
        paused_wd=paused_total,
        overdue_wd=-remaining if remaining < 0 else 0,
        light=light_of(ref, dl.date, used, limit_total, thresholds),
        stopped_on=stopped_on,
    )
