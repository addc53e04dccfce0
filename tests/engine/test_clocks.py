"""Legal clocks: pauses, extensions, lights, same-day and stopped clocks on the official 2026 calendar."""

from __future__ import annotations

import functools
import json
from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.clocks import (
    ClockInput,
    ClockState,
    Extension,
    Pause,
    Thresholds,
    compute_clock,
    deadline_after_pauses,
    light_of,
    merge_pauses,
)
from engine.workcal import WorkCalendar

D = date
T = Thresholds()


@functools.cache
def cal_2025_2026() -> WorkCalendar:
    days = {d: False for d in chinese_calendar.holidays if 2025 <= d.year <= 2026}
    days.update({d: True for d in chinese_calendar.workdays if 2025 <= d.year <= 2026})
    return WorkCalendar(days, confirmed_years=[2025, 2026])


@pytest.fixture
def cal() -> WorkCalendar:
    return cal_2025_2026()


def clock(start: date, limit: int, **kw) -> ClockInput:
    return ClockInput(kw.pop("kind", "promised"), start, limit, **kw)


# -- plain clocks and lights ---------------------------------------------------------------------


def test_decision_clock_across_spring_festival_turns_yellow_then_red(cal):
    c = clock(D(2026, 2, 12), 5)
    s = compute_clock(cal, c, D(2026, 2, 13), T)
    assert (s.deadline, s.used_wd, s.remaining_wd, s.light, s.confirmed) == (
        D(2026, 2, 26),
        1,
        4,
        "green",
        True,
    )
    s = compute_clock(cal, c, D(2026, 2, 20), T)  # in the holiday: still 2 used (02-13, make-up 02-14)
    assert (s.used_wd, s.remaining_wd, s.light) == (2, 3, "green")
    s = compute_clock(cal, c, D(2026, 2, 24), T)
    assert (s.used_wd, s.remaining_wd, s.light) == (3, 2, "yellow")
    s = compute_clock(cal, c, D(2026, 2, 26), T)
    assert (s.used_wd, s.remaining_wd, s.overdue_wd, s.light) == (5, 0, 0, "yellow")
    s = compute_clock(cal, c, D(2026, 2, 27), T)
    assert (s.used_wd, s.remaining_wd, s.overdue_wd, s.light) == (6, -1, 1, "red")
    s = compute_clock(cal, c, D(2026, 3, 1), T)  # Sunday; Saturday 02-28 was a make-up working day
    assert (s.used_wd, s.overdue_wd, s.light) == (7, 2, "red")


def test_clock_on_its_start_day_has_used_nothing(cal):
    s = compute_clock(cal, clock(D(2026, 3, 2), 20), D(2026, 3, 2), T)
    assert (s.used_wd, s.remaining_wd, s.light) == (0, 20, "green")
    s = compute_clock(cal, clock(D(2026, 3, 2), 20), D(2026, 2, 20), T)  # today before the start
    assert (s.used_wd, s.remaining_wd) == (0, 20)


def test_yellow_at_consumed_percentage_threshold(cal):
    start = D(2026, 3, 2)
    c = clock(start, 20)
    day15 = cal.add_workdays(start, 15).date
    day16 = cal.add_workdays(start, 16).date
    assert compute_clock(cal, c, day15, T).light == "green"  # 75 % used, 5 left
    assert compute_clock(cal, c, day16, T).light == "yellow"  # 80 % used
    assert (
        compute_clock(cal, c, day15, Thresholds(yellow_remaining_wd=5, yellow_consumed_pct=100)).light
        == "yellow"
    )
    assert (
        compute_clock(cal, c, day16, Thresholds(yellow_remaining_wd=0, yellow_consumed_pct=90)).light
        == "green"
    )


def test_light_of_boundaries():
    dl = D(2026, 3, 16)
    assert light_of(dl, dl, 7, 10, Thresholds(0, 80)) == "green"
    assert light_of(dl, dl, 8, 10, Thresholds(0, 80)) == "yellow"
    assert light_of(dl, dl, 7, 10, Thresholds(3, 100)) == "yellow"
    assert light_of(dl, dl, 6, 10, Thresholds(3, 100)) == "green"
    assert light_of(dl + timedelta(days=1), dl, 0, 10, T) == "red"
    assert light_of(dl, dl, 0, 0, Thresholds(0, 100)) == "yellow"  # due today


def test_zero_limit_clock_is_due_on_its_start_day(cal):
    c = clock(D(2026, 10, 3), 0)
    s = compute_clock(cal, c, D(2026, 10, 3), T)
    assert (s.deadline, s.light) == (D(2026, 10, 3), "yellow")
    s = compute_clock(cal, c, D(2026, 10, 8), T)
    assert (s.light, s.used_wd, s.overdue_wd) == ("red", 1, 1)


# -- pauses --------------------------------------------------------------------------------------


def test_closed_pause_moves_deadline_and_is_not_used(cal):
    # correction notice Wed 03-04, supplement Mon 03-09: 03-05, 03-06, 03-09 are paused (3 WD)
    c = clock(D(2026, 3, 2), 10, pauses=(Pause(D(2026, 3, 4), D(2026, 3, 9), "补正"),))
    s = compute_clock(cal, c, D(2026, 3, 10), T)
    assert s.deadline == D(2026, 3, 19)  # 03-16 without the pause, +3 WD
    assert (s.used_wd, s.remaining_wd, s.paused, s.paused_wd) == (3, 7, False, 3)


def test_pause_across_spring_festival_counts_only_working_days(cal):
    c = clock(D(2026, 2, 10), 10, pauses=(Pause(D(2026, 2, 12), D(2026, 2, 26), "补正"),))
    s = compute_clock(cal, c, D(2026, 2, 27), T)
    assert s.paused_wd == 5  # 02-13, 02-14 (make-up), 02-24, 02-25, 02-26
    assert s.used_wd == 3  # 02-11, 02-12, 02-27
    assert s.deadline == cal.add_workdays(D(2026, 2, 10), 15).date == D(2026, 3, 9)


def test_open_pause_lasts_to_today_and_keeps_pushing_the_deadline(cal):
    c = clock(D(2026, 3, 2), 10, pauses=(Pause(D(2026, 3, 4), None, "补正"),))
    s = compute_clock(cal, c, D(2026, 3, 11), T)
    assert (s.paused, s.paused_wd, s.used_wd, s.remaining_wd) == (True, 5, 2, 8)
    assert s.deadline == D(2026, 3, 23)
    s2 = compute_clock(cal, c, D(2026, 3, 12), T)
    assert (s2.used_wd, s2.paused_wd, s2.deadline) == (2, 6, D(2026, 3, 24))
    s3 = compute_clock(cal, c, D(2026, 3, 13), T)
    assert (s3.used_wd, s3.paused_wd, s3.deadline) == (2, 7, D(2026, 3, 25))
    for weekend_day in (D(2026, 3, 14), D(2026, 3, 15)):  # nothing moves over the weekend
        assert compute_clock(cal, c, weekend_day, T).deadline == D(2026, 3, 25)


def test_paused_clock_on_the_day_the_pause_starts_is_paused(cal):
    c = clock(D(2026, 3, 2), 10, pauses=(Pause(D(2026, 3, 4), None, "补正"),))
    s = compute_clock(cal, c, D(2026, 3, 4), T)
    assert (s.paused, s.paused_wd, s.used_wd, s.deadline) == (True, 0, 2, D(2026, 3, 16))


def test_overlapping_pauses_count_once(cal):
    pauses = (Pause(D(2026, 3, 4), D(2026, 3, 9), "补正"), Pause(D(2026, 3, 6), D(2026, 3, 11), "专家评审"))
    s = compute_clock(cal, clock(D(2026, 3, 2), 10, pauses=pauses), D(2026, 3, 31), T)
    assert s.paused_wd == 5  # (03-04, 03-11]
    assert s.deadline == D(2026, 3, 23)
    nested = (Pause(D(2026, 3, 4), D(2026, 3, 11), "a"), Pause(D(2026, 3, 5), D(2026, 3, 6), "b"))
    assert compute_clock(cal, clock(D(2026, 3, 2), 10, pauses=nested), D(2026, 3, 31), T).paused_wd == 5


def test_part_of_a_pause_before_the_clock_start_is_ignored(cal):
    c = clock(D(2026, 3, 2), 10, pauses=(Pause(D(2026, 2, 26), D(2026, 3, 5), "补正"),))
    assert compute_clock(cal, c, D(2026, 3, 31), T).paused_wd == 3  # 03-03..03-05


def test_merge_pauses_drops_empty_and_merges_adjacent():
    ps = [
        Pause(D(2026, 3, 4), D(2026, 3, 4), "empty"),
        Pause(D(2026, 3, 9), D(2026, 3, 12), "b"),
        Pause(D(2026, 3, 5), D(2026, 3, 9), "a"),
        Pause(D(2026, 3, 20), None, "open"),
    ]
    assert merge_pauses(ps, D(2026, 3, 1), D(2026, 3, 25)) == [
        (D(2026, 3, 5), D(2026, 3, 12)),
        (D(2026, 3, 20), D(2026, 3, 25)),
    ]


def test_deadline_after_pauses_helper(cal):
    res = deadline_after_pauses(
        cal, D(2026, 3, 2), 10, [Pause(D(2026, 3, 4), D(2026, 3, 9), "x")], D(2026, 3, 31)
    )
    assert res.date == D(2026, 3, 19) and res.confirmed


# -- extensions ----------------------------------------------------------------------------------


def test_extensions_add_to_limit_and_deadline(cal):
    c = clock(D(2026, 3, 2), 10, extensions=(Extension(10, "复杂", D(2026, 3, 10)),))
    s = compute_clock(cal, c, D(2026, 3, 17), T)
    assert (s.limit_wd, s.deadline, s.used_wd, s.remaining_wd, s.light) == (
        20,
        D(2026, 3, 30),
        11,
        9,
        "green",
    )
    red = compute_clock(cal, clock(D(2026, 3, 2), 10), D(2026, 3, 17), T)
    assert red.light == "red"


def test_extension_and_pause_combine(cal):
    c = clock(
        D(2026, 9, 25),
        15,
        pauses=(Pause(D(2026, 9, 29), D(2026, 10, 9), "补正"),),
        extensions=(Extension(5, "延期", D(2026, 10, 12)),),
    )
    s = compute_clock(cal, c, D(2026, 10, 30), T)
    assert s.paused_wd == 3  # 09-30, 10-08, 10-09
    assert s.deadline == cal.add_workdays(D(2026, 9, 25), 23).date == D(2026, 11, 3)


# -- same-day and stopped clocks -----------------------------------------------------------------


def test_same_day_clock_on_a_holiday_is_due_on_the_next_working_day(cal):
    c = clock(D(2026, 10, 3), 0, kind="promised", same_day=True)
    s = compute_clock(cal, c, D(2026, 10, 3), T)
    assert (s.deadline, s.used_wd, s.light, s.confirmed) == (D(2026, 10, 8), 0, "yellow", True)
    s = compute_clock(cal, c, D(2026, 10, 8), T)
    assert (s.used_wd, s.light) == (0, "yellow")
    s = compute_clock(cal, c, D(2026, 10, 9), T)
    assert (s.used_wd, s.overdue_wd, s.light) == (1, 1, "red")


def test_same_day_clock_on_a_working_day_is_due_that_day(cal):
    s = compute_clock(cal, clock(D(2026, 10, 10), 0, same_day=True), D(2026, 10, 10), T)  # make-up Saturday
    assert s.deadline == D(2026, 10, 10)


def test_same_day_clock_rejects_a_limit():
    with pytest.raises(ValueError, match="same-day"):
        clock(D(2026, 10, 10), 3, same_day=True)


def test_stopped_clock_freezes_at_stop_day(cal):
    c = clock(D(2026, 3, 2), 10, stopped_on=D(2026, 3, 12))
    s = compute_clock(cal, c, D(2026, 4, 30), T)
    assert (s.used_wd, s.remaining_wd, s.light, s.stopped_on) == (8, 2, "yellow", D(2026, 3, 12))
    assert s == compute_clock(cal, c, D(2026, 3, 12), T)
    late = compute_clock(cal, clock(D(2026, 3, 2), 10, stopped_on=D(2026, 3, 18)), D(2026, 4, 30), T)
    assert (late.used_wd, late.overdue_wd, late.light) == (12, 2, "red")
    early = compute_clock(cal, clock(D(2026, 3, 2), 10, stopped_on=D(2026, 3, 4)), D(2026, 4, 30), T)
    assert early.light == "green"


def test_stopped_clock_with_open_pause_stops_the_pause_too(cal):
    c = clock(D(2026, 3, 2), 10, pauses=(Pause(D(2026, 3, 4), None, "补正"),), stopped_on=D(2026, 3, 6))
    s = compute_clock(cal, c, D(2026, 4, 30), T)
    assert (s.paused, s.paused_wd, s.used_wd, s.deadline) == (False, 2, 2, D(2026, 3, 18))


def test_stopped_on_in_the_future_is_not_reached_yet(cal):
    c = clock(D(2026, 3, 2), 10, stopped_on=D(2026, 3, 20))
    assert compute_clock(cal, c, D(2026, 3, 5), T).used_wd == 3


# -- unconfirmed years, serialisation, validation ------------------------------------------------


def test_clock_into_unconfirmed_year_is_flagged(cal):
    s = compute_clock(cal, clock(D(2026, 12, 20), 20, kind="statutory"), D(2026, 12, 21), T)
    assert (s.deadline, s.confirmed) == (D(2027, 1, 15), False)


def test_to_dict_is_json_friendly(cal):
    c = clock(D(2026, 3, 2), 10, stopped_on=D(2026, 3, 12))
    d = compute_clock(cal, c, D(2026, 3, 20), T).to_dict()
    assert json.loads(json.dumps(d)) == d
    assert d["deadline"] == "2026-03-16" and d["start"] == "2026-03-02" and d["stopped_on"] == "2026-03-12"
    assert set(d) == set(ClockState.__dataclass_fields__)
    assert compute_clock(cal, clock(D(2026, 3, 2), 10), D(2026, 3, 3), T).to_dict()["stopped_on"] is None


def test_bad_clock_input_is_rejected():
    with pytest.raises(ValueError, match="unknown clock kind"):
        ClockInput("promise", D(2026, 3, 2), 10)
    with pytest.raises(ValueError, match="limit_wd"):
        ClockInput("promised", D(2026, 3, 2), -1)
    with pytest.raises(ValueError, match="before its start"):
        Pause(D(2026, 3, 5), D(2026, 3, 4), "x")
    with pytest.raises(ValueError, match="before its start"):
        ClockInput("promised", D(2026, 3, 2), 10, stopped_on=D(2026, 3, 1))
    with pytest.raises(ValueError, match="extension days"):
        Extension(-3, "x", D(2026, 3, 2))
    with pytest.raises(ValueError, match="yellow_consumed_pct"):
        Thresholds(2, 150)
    with pytest.raises(TypeError):
        ClockInput("promised", D(2026, 3, 2), 10, pauses=("not a pause",))  # type: ignore[arg-type]


def test_clock_input_accepts_lists_and_stores_tuples():
    c = ClockInput("step", D(2026, 3, 2), 3, pauses=[Pause(D(2026, 3, 3), None, "x")])  # type: ignore[arg-type]
    assert isinstance(c.pauses, tuple)
    with pytest.raises(AttributeError):
        c.limit_wd = 5  # type: ignore[misc]


# -- properties ----------------------------------------------------------------------------------

days_2026 = st.dates(min_value=D(2025, 11, 1), max_value=D(2026, 11, 30))


@given(
    start=days_2026,
    limit=st.integers(min_value=0, max_value=60),
    offset=st.integers(min_value=0, max_value=80),
    length=st.integers(min_value=0, max_value=40),
    today_off=st.integers(min_value=0, max_value=200),
)
def test_a_pause_of_k_working_days_moves_the_deadline_by_exactly_k(start, limit, offset, length, today_off):
    cal = cal_2025_2026()
    p_start = start + timedelta(days=offset)
    p = Pause(p_start, p_start + timedelta(days=length), "补正")
    k = cal.count_workdays(p.start, p.end)
    today = start + timedelta(days=today_off)
    plain = compute_clock(cal, clock(start, limit), today, T)
    paused = compute_clock(cal, clock(start, limit, pauses=(p,)), today, T)
    assert paused.paused_wd == k
    assert paused.deadline == cal.add_workdays(plain.deadline, k).date
    assert paused.used_wd == plain.used_wd - cal.count_workdays(p.start, min(p.end, max(today, p.start)))


@given(
    start=days_2026,
    limit=st.integers(min_value=0, max_value=60),
    today_off=st.integers(min_value=-5, max_value=200),
    pauses=st.lists(
        st.tuples(
            st.integers(min_value=-10, max_value=100), st.none() | st.integers(min_value=0, max_value=30)
        ),
        max_size=4,
    ),
)
def test_clock_invariants(start, limit, today_off, pauses):
    cal = cal_2025_2026()
    today = start + timedelta(days=today_off)
    ps = tuple(
        Pause(start + timedelta(days=a), None if n is None else start + timedelta(days=a + n), "x")
        for a, n in pauses
    )
    s = compute_clock(cal, clock(start, limit, pauses=ps), today, T)
    assert s.used_wd + s.remaining_wd == s.limit_wd
    assert s.used_wd >= 0 and s.paused_wd >= 0
    assert s.overdue_wd == max(0, -s.remaining_wd)
    assert s.light in ("green", "yellow", "red")
    assert (s.light == "red") == (today > s.deadline)
    # days used + paused days up to today never exceed the working days elapsed
    elapsed = max(0, cal.count_workdays(start, today))
    assert s.used_wd <= elapsed
    if not ps:
        assert s.used_wd == elapsed and s.deadline == cal.add_workdays(start, limit).date
