"""Working-day calendar: worked examples on the official 2026 calendar, properties, edges."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.workcal import (
    SHANGHAI,
    WorkCalendar,
    WorkdayResult,
    end_of_local_day_utc,
    local_date,
)

D = date


def official_days(first_year: int, last_year: int) -> dict[date, bool]:
    """Explicit statuses from chinese_calendar: holidays off, make-up days working."""
    days: dict[date, bool] = {}
    for d in chinese_calendar.holidays:
        if first_year <= d.year <= last_year:
            days[d] = False
    for d in chinese_calendar.workdays:
        if first_year <= d.year <= last_year:
            days[d] = True
    return days


@functools.cache
def cal_2025_2026() -> WorkCalendar:
    return WorkCalendar(official_days(2025, 2026), confirmed_years=[2025, 2026])


@pytest.fixture
def cal() -> WorkCalendar:
    return cal_2025_2026()


def naive_is_workday(c: WorkCalendar, d: date) -> bool:
    status = c.days.get(d)
    return d.weekday() < 5 if status is None else status


def naive_add(c: WorkCalendar, start: date, n: int) -> date:
    d = start
    while n > 0:
        d += timedelta(days=1)
        if naive_is_workday(c, d):
            n -= 1
    return d


def naive_count(c: WorkCalendar, start: date, end: date) -> int:
    if end < start:
        return -naive_count(c, end, start)
    return sum(naive_is_workday(c, start + timedelta(days=k)) for k in range(1, (end - start).days + 1))


# -- the official 2026 calendar --------------------------------------------------------------------


def test_package_data_for_2026_spring_festival_and_national_day_is_what_the_examples_assume():
    spring = chinese_calendar.get_holidays(D(2026, 2, 14), D(2026, 2, 28), include_weekends=False)
    assert spring == [D(2026, 2, 15) + timedelta(days=k) for k in range(9)]  # 02-15 .. 02-23
    assert chinese_calendar.is_workday(D(2026, 2, 14)) and chinese_calendar.is_workday(D(2026, 2, 28))
    autumn = chinese_calendar.get_holidays(D(2026, 9, 20), D(2026, 10, 11), include_weekends=False)
    # Mid-Autumn 09-25..09-27 (Fri-Sun), National Day 10-01..10-07
    assert autumn == [D(2026, 9, 25), D(2026, 9, 26), D(2026, 9, 27)] + [
        D(2026, 10, 1) + timedelta(days=k) for k in range(7)
    ]
    assert chinese_calendar.is_workday(D(2026, 9, 20)) and chinese_calendar.is_workday(D(2026, 10, 10))


def test_is_workday_matches_official_calendar_for_every_day_of_2025_and_2026(cal):
    d = D(2025, 1, 1)
    while d <= D(2026, 12, 31):
        assert cal.is_workday(d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


def test_make_up_saturday_is_a_working_day_and_holiday_monday_is_not(cal):
    assert cal.is_workday(D(2026, 2, 14))  # Saturday, 调休上班
    assert cal.is_workday(D(2026, 9, 20))  # Sunday, 调休上班
    assert not cal.is_workday(D(2026, 2, 23))  # Monday, Spring Festival
    assert not cal.is_workday(D(2026, 10, 1))


def test_five_working_days_from_2026_02_12_cross_the_spring_festival(cal):
    # Thu 02-12 not counted; 02-13 Fri (1), 02-14 Sat make-up (2), 02-15..02-23 off,
    # 02-24 (3), 02-25 (4), 02-26 (5).
    assert cal.add_workdays(D(2026, 2, 12), 5) == WorkdayResult(D(2026, 2, 26), True)
    assert cal.count_workdays(D(2026, 2, 12), D(2026, 2, 26)) == 5


def test_ten_working_days_from_spring_festival_eve_include_make_up_saturday_02_28(cal):
    # 02-13 (1), 02-14 (2), 02-24..02-27 (3..6), 02-28 Sat make-up (7), 03-02..03-04 (8..10).
    assert cal.add_workdays(D(2026, 2, 12), 10).date == D(2026, 3, 4)


def test_twenty_working_days_from_2026_09_25_cross_mid_autumn_and_national_day(cal):
    # Fri 09-25 (Mid-Autumn holiday, start, not counted); 09-28..09-30 (1..3); 10-01..10-07 off;
    # 10-08 (4), 10-09 (5), 10-10 Sat make-up (6), 10-12..10-16 (7..11), 10-19..10-23 (12..16),
    # 10-26..10-29 (17..20).
    assert cal.add_workdays(D(2026, 9, 25), 20) == WorkdayResult(D(2026, 10, 29), True)
    assert cal.count_workdays(D(2026, 9, 25), D(2026, 10, 29)) == 20


def test_one_working_day_from_last_day_before_national_day_is_10_08(cal):
    assert cal.add_workdays(D(2026, 9, 30), 1).date == D(2026, 10, 8)


def test_zero_working_days_returns_the_start_even_on_a_holiday(cal):
    assert cal.add_workdays(D(2026, 10, 1), 0) == WorkdayResult(D(2026, 10, 1), True)


def test_negative_working_days_are_rejected(cal):
    with pytest.raises(ValueError, match=">= 0"):
        cal.add_workdays(D(2026, 1, 5), -1)


def test_count_is_negative_when_end_is_before_start(cal):
    assert cal.count_workdays(D(2026, 2, 26), D(2026, 2, 12)) == -5
    assert cal.count_workdays(D(2026, 2, 12), D(2026, 2, 12)) == 0


def test_next_workday_on_or_after_and_same_day_deadline(cal):
    assert cal.next_workday_on_or_after(D(2026, 10, 8)) == D(2026, 10, 8)
    assert cal.next_workday_on_or_after(D(2026, 10, 1)) == D(2026, 10, 8)
    assert cal.next_workday_on_or_after(D(2026, 2, 15)) == D(2026, 2, 24)
    assert cal.same_day_deadline(D(2026, 2, 14)) == WorkdayResult(D(2026, 2, 14), True)
    assert cal.same_day_deadline(D(2026, 10, 3)) == WorkdayResult(D(2026, 10, 8), True)


# -- unconfirmed years ---------------------------------------------------------------------------


def test_deadline_running_into_unconfirmed_2027_uses_weekends_only_and_is_flagged(cal):
    # Sun 2026-12-20; 12-21..12-25 (1..5), 12-28..12-31 (6..9), Fri 2027-01-01 counts (10) since 2027
    # has no official arrangement, 01-04..01-08 (11..15), 01-11..01-15 (16..20).
    assert cal.add_workdays(D(2026, 12, 20), 20) == WorkdayResult(D(2027, 1, 15), False)
    assert cal.unconfirmed_years_between(D(2026, 12, 20), D(2027, 1, 15)) == [2027]
    assert not cal.is_year_confirmed(2027)
    assert cal.is_year_confirmed(2026)
    assert cal.confirmed_years == frozenset({2025, 2026})


def test_deadline_inside_confirmed_year_is_confirmed_and_ending_on_12_31_stays_confirmed(cal):
    assert cal.add_workdays(D(2026, 12, 30), 1) == WorkdayResult(D(2026, 12, 31), True)
    assert cal.unconfirmed_years_between(D(2026, 12, 30), D(2026, 12, 31)) == []
    assert cal.unconfirmed_years_between(D(2027, 1, 5), D(2026, 1, 5)) == []


def test_start_in_unconfirmed_year_before_confirmed_one_is_unconfirmed(cal):
    assert cal.add_workdays(D(2024, 12, 27), 10).confirmed is False
    assert cal.add_workdays(D(2024, 12, 31), 1).confirmed is True  # only 2025 is touched
    assert cal.unconfirmed_years_between(D(2023, 6, 1), D(2028, 1, 1)) == [2023, 2024, 2027, 2028]


def test_loading_2027_confirms_the_deadline(cal):
    cal2 = cal.with_days({D(2027, 1, 1): False}, confirmed_years=cal.confirmed_years | {2027})
    assert cal2.add_workdays(D(2026, 12, 20), 20) == WorkdayResult(D(2027, 1, 18), True)
    assert cal.add_workdays(D(2026, 12, 20), 20) == WorkdayResult(D(2027, 1, 15), False)  # unchanged


# -- re-dating with with_days --------------------------------------------------------------------


def test_making_a_day_off_moves_a_deadline_spanning_it_by_one_working_day(cal):
    before = cal.add_workdays(D(2026, 3, 2), 10)
    assert before.date == D(2026, 3, 16)
    cal2 = cal.with_days({D(2026, 3, 10): False})
    assert cal2.add_workdays(D(2026, 3, 2), 10).date == D(2026, 3, 17)
    assert cal2.add_workdays(D(2026, 3, 2), 10).date == cal.add_workdays(before.date, 1).date
    # a deadline that does not span the changed day is unaffected
    assert cal2.add_workdays(D(2026, 3, 2), 5) == cal.add_workdays(D(2026, 3, 2), 5)
    assert cal2.confirmed_years == cal.confirmed_years


def test_making_a_saturday_a_working_day_pulls_a_deadline_in(cal):
    cal2 = cal.with_days({D(2026, 3, 7): True})
    assert cal2.add_workdays(D(2026, 3, 5), 2).date == D(2026, 3, 7)
    assert cal.add_workdays(D(2026, 3, 5), 2).date == D(2026, 3, 9)


def test_calendar_is_immutable(cal):
    with pytest.raises(AttributeError):
        cal._cum = ()  # type: ignore[misc]
    with pytest.raises(TypeError):
        cal.days[D(2026, 1, 5)] = False  # type: ignore[index]


# -- validation and range ------------------------------------------------------------------------


def test_out_of_range_date_raises_value_error_naming_date_and_range(cal):
    with pytest.raises(ValueError, match=r"1999-12-31.*2000-01-01\.\.2100-12-31"):
        cal.add_workdays(D(1999, 12, 31), 1)
    with pytest.raises(ValueError, match=r"2101-01-01"):
        cal.is_workday(D(2101, 1, 1))
    with pytest.raises(ValueError, match=r"2101-01-01"):
        cal.count_workdays(D(2026, 1, 1), D(2101, 1, 1))
    with pytest.raises(ValueError, match=r"after the end of the supported"):
        cal.add_workdays(D(2100, 12, 20), 30)


def test_bad_construction_input_is_rejected():
    with pytest.raises(ValueError, match="1990-01-01"):
        WorkCalendar({D(1990, 1, 1): False}, [])
    with pytest.raises(TypeError, match="bool"):
        WorkCalendar({D(2026, 1, 1): 0}, [])  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="2200"):
        WorkCalendar({}, [2200])
    with pytest.raises(ValueError):
        WorkCalendar({}, [], first_year=2030, last_year=2020)


def test_small_custom_range():
    c = WorkCalendar({}, [], first_year=2026, last_year=2026)
    assert c.add_workdays(D(2026, 1, 1), 1) == WorkdayResult(D(2026, 1, 2), False)
    assert c.count_workdays(D(2026, 1, 1), D(2026, 12, 31)) == 261 - 1  # Jan 1 is a Thursday, not counted
    with pytest.raises(ValueError, match="2025-12-31"):
        c.is_workday(D(2025, 12, 31))


# -- time zone helpers ---------------------------------------------------------------------------


def test_local_date_uses_shanghai_and_treats_naive_as_utc():
    assert local_date(datetime(2026, 2, 14, 15, 59, tzinfo=UTC)) == D(2026, 2, 14)
    assert local_date(datetime(2026, 2, 14, 16, 0, tzinfo=UTC)) == D(2026, 2, 15)
    assert local_date(datetime(2026, 2, 14, 16, 0)) == D(2026, 2, 15)
    assert local_date(datetime(2026, 2, 15, 0, 30, tzinfo=SHANGHAI)) == D(2026, 2, 15)


def test_end_of_local_day_utc_is_15_59_59_utc():
    end = end_of_local_day_utc(D(2026, 10, 29))
    assert end == datetime(2026, 10, 29, 15, 59, 59, 999999, tzinfo=UTC)
    assert end.utcoffset() == timedelta(0)
    assert local_date(end) == D(2026, 10, 29)
    assert local_date(end + timedelta(microseconds=1)) == D(2026, 10, 30)


# -- properties ----------------------------------------------------------------------------------

dates = st.dates(min_value=D(2024, 6, 1), max_value=D(2027, 6, 30))
ns = st.integers(min_value=0, max_value=300)


@given(start=dates, n=ns)
def test_add_then_count_gives_n(start, n):
    c = cal_2025_2026()
    assert c.count_workdays(start, c.add_workdays(start, n).date) == n


@given(start=dates, n=ns)
def test_add_result_is_a_working_day_after_start_for_positive_n(start, n):
    c = cal_2025_2026()
    res = c.add_workdays(start, n).date
    if n > 0:
        assert res > start and c.is_workday(res)


@given(start=dates, n=ns, m=ns)
def test_add_is_monotonic_in_n(start, n, m):
    c = cal_2025_2026()
    a, b = sorted((n, m))
    assert c.add_workdays(start, a).date <= c.add_workdays(start, b).date
    if a < b:
        assert c.add_workdays(start, a).date < c.add_workdays(start, b).date


@given(s1=dates, s2=dates, n=ns)
def test_add_is_monotonic_in_start(s1, s2, n):
    c = cal_2025_2026()
    a, b = sorted((s1, s2))
    assert c.add_workdays(a, n).date <= c.add_workdays(b, n).date


@given(a=dates, b=dates, d=dates)
def test_count_is_additive(a, b, d):
    c = cal_2025_2026()
    assert c.count_workdays(a, b) + c.count_workdays(b, d) == c.count_workdays(a, d)
    assert c.count_workdays(a, b) == -c.count_workdays(b, a)


@given(start=dates, n=st.integers(min_value=0, max_value=60), k=st.integers(min_value=0, max_value=40))
def test_k_more_working_days_is_k_working_days_after_the_deadline(start, n, k):
    c = cal_2025_2026()
    assert c.add_workdays(start, n + k).date == c.add_workdays(c.add_workdays(start, n).date, k).date


@settings(max_examples=200)
@given(start=dates, n=st.integers(min_value=0, max_value=120))
def test_add_and_count_agree_with_day_by_day_reference(start, n):
    c = cal_2025_2026()
    res = c.add_workdays(start, n)
    assert res.date == naive_add(c, start, n)
    assert c.count_workdays(start, res.date + timedelta(days=3)) == naive_count(
        c, start, res.date + timedelta(days=3)
    )
    years = set(range((start + timedelta(days=1)).year, res.date.year + 1)) if n else set()
    assert res.confirmed == (years <= {2025, 2026})


@given(d=dates)
def test_same_day_deadline_is_next_workday_on_or_after(d):
    c = cal_2025_2026()
    res = c.same_day_deadline(d)
    assert res.date == c.next_workday_on_or_after(d)
    assert c.is_workday(res.date) and res.date >= d
    assert c.count_workdays(d - timedelta(days=1), res.date) == 1


@settings(max_examples=50)
@given(
    changes=st.dictionaries(
        st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 12, 31)), st.booleans(), max_size=10
    ),
    start=st.dates(min_value=D(2025, 12, 1), max_value=D(2026, 12, 31)),
    n=st.integers(min_value=0, max_value=100),
)
def test_with_days_matches_reference_after_edits(changes, start, n):
    c = cal_2025_2026().with_days(changes)
    assert c.add_workdays(start, n).date == naive_add(c, start, n)
    for d, status in changes.items():
        assert c.is_workday(d) is status
