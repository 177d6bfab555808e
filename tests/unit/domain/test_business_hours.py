"""Business hours between two instants: the union of on-duty windows, exact across weekends, midnight and
both DST changes (Europe/Oslo and America/New_York)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.domain.duty import OnDuty, business_seconds, is_on_duty

HOUR = 3600.0
OSLO = ZoneInfo("Europe/Oslo")
NEW_YORK = ZoneInfo("America/New_York")
ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def schedule(timezone: str, *windows: tuple[list[str], str, str]) -> OnDuty:
    return OnDuty.parse(
        {"timezone": timezone, "windows": [{"days": d, "start": s, "end": e} for d, s, e in windows]}
    )


def local(zone: ZoneInfo, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=zone, fold=fold)  # type: ignore[arg-type,misc]


OFFICE = schedule("Europe/Oslo", (WEEKDAYS, "09:00", "17:00"))
ALWAYS_OSLO = schedule("Europe/Oslo", (ALL_DAYS, "00:00", "24:00"))
ALWAYS_NY = schedule("America/New_York", (ALL_DAYS, "00:00", "24:00"))


def test_a_weekend_counts_nothing_in_office_hours() -> None:
    # GIVEN Monday to Friday 09-17 in Oslo, WHEN a case runs from Friday 16:00 to Monday 10:00
    start, end = local(OSLO, 2026, 11, 20, 16), local(OSLO, 2026, 11, 23, 10)
    # THEN one hour on Friday and one on Monday count; the 66 hours of the wall clock do not
    assert business_seconds([OFFICE], start, end) == 2 * HOUR
    assert (end - start).total_seconds() == 66 * HOUR


def test_within_one_window_and_outside_every_window() -> None:
    assert (
        business_seconds([OFFICE], local(OSLO, 2026, 11, 24, 10), local(OSLO, 2026, 11, 24, 11, 30)) == 5400
    )
    assert business_seconds([OFFICE], local(OSLO, 2026, 11, 24, 18), local(OSLO, 2026, 11, 25, 8)) == 0
    assert business_seconds([OFFICE], local(OSLO, 2026, 11, 21, 0), local(OSLO, 2026, 11, 23, 0)) == 0


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        ((2026, 3, 29), 23),  # Oslo springs forward: 02:00 -> 03:00 on the last Sunday of March
        ((2026, 10, 25), 25),  # and falls back: 03:00 -> 02:00 on the last Sunday of October
    ],
)
def test_an_oslo_day_around_the_clock_change_is_as_long_as_lived(
    day: tuple[int, int, int], hours: int
) -> None:
    start = local(OSLO, *day)
    end = datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), tzinfo=OSLO)  # midnight
    assert business_seconds([ALWAYS_OSLO], start, end) == hours * HOUR


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        ((2026, 3, 8), 23),  # New York springs forward on the second Sunday of March
        ((2026, 11, 1), 25),  # and falls back on the first Sunday of November
    ],
)
def test_a_new_york_day_around_the_clock_change_is_as_long_as_lived(
    day: tuple[int, int, int], hours: int
) -> None:
    start = local(NEW_YORK, *day)
    end = datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), tzinfo=NEW_YORK)
    assert business_seconds([ALWAYS_NY], start, end) == hours * HOUR


def test_a_night_window_over_the_changed_hour_oslo() -> None:
    night = schedule("Europe/Oslo", (["sun"], "01:00", "04:00"))
    # spring: 02:00-03:00 never happens, so 01:00-04:00 is two hours
    spring = business_seconds([night], local(OSLO, 2026, 3, 28, 12), local(OSLO, 2026, 3, 29, 12))
    # autumn: 02:00-03:00 happens twice, so the same window is four hours
    autumn = business_seconds([night], local(OSLO, 2026, 10, 24, 12), local(OSLO, 2026, 10, 25, 12))
    assert (spring, autumn) == (2 * HOUR, 4 * HOUR)


def test_a_window_starting_in_the_spring_gap_begins_when_the_clock_jumps() -> None:
    early = schedule("Europe/Oslo", (["sun"], "02:30", "05:00"))
    found = business_seconds([early], local(OSLO, 2026, 3, 29, 0), local(OSLO, 2026, 3, 29, 12))
    assert found == 2 * HOUR  # 03:00 to 05:00 CEST


def test_windows_crossing_midnight() -> None:
    nights = schedule("Europe/Oslo", (["fri"], "22:00", "06:00"))
    # Friday 20:00 to Saturday 08:00: the window's eight hours, across midnight into another weekday
    assert business_seconds([nights], local(OSLO, 2026, 11, 20, 20), local(OSLO, 2026, 11, 21, 8)) == 8 * HOUR
    # the same window over the October night the clocks go back (Saturday 24 into Sunday 25): nine hours
    autumn = schedule("Europe/Oslo", (["sat"], "22:00", "06:00"))
    assert (
        business_seconds([autumn], local(OSLO, 2026, 10, 24, 12), local(OSLO, 2026, 10, 25, 12)) == 9 * HOUR
    )
    # and over the March night they go forward: seven
    assert business_seconds([autumn], local(OSLO, 2026, 3, 28, 12), local(OSLO, 2026, 3, 29, 12)) == 7 * HOUR


def test_the_team_is_the_union_of_its_contacts_in_their_own_zones() -> None:
    # Oslo 09-17 (08-16 UTC in November) and New York 09-17 (14-22 UTC): 08-22 UTC, 14 hours, the
    # overlap 14-16 UTC counted once
    new_york = schedule("America/New_York", (WEEKDAYS, "09:00", "17:00"))
    start = datetime(2026, 11, 24, 0, tzinfo=UTC)
    assert business_seconds([OFFICE, new_york], start, start + timedelta(days=1)) == 14 * HOUR


def test_no_hours_is_always_on_duty_and_no_contacts_count_nothing() -> None:
    start, end = local(OSLO, 2026, 11, 20, 16), local(OSLO, 2026, 11, 23, 10)
    assert business_seconds([OFFICE, None], start, end) == 66 * HOUR
    assert business_seconds([], start, end) == 0
    assert business_seconds([OFFICE], end, start) == 0


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        business_seconds([OFFICE], datetime(2026, 11, 20, 16), local(OSLO, 2026, 11, 23, 10))


MIXED = [
    schedule("Europe/Oslo", (WEEKDAYS, "08:30", "16:00"), (["sat"], "23:00", "02:15")),
    schedule("America/New_York", (["mon", "sun"], "02:30", "24:00")),
]


@settings(max_examples=25, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 3, 1), max_value=datetime(2026, 11, 20)).map(
        lambda moment: moment.replace(second=0, microsecond=0, tzinfo=UTC)
    ),
    minutes=st.integers(min_value=0, max_value=6 * 24 * 60),
)
def test_matches_counting_minute_by_minute(start: datetime, minutes: int) -> None:
    """Every whole minute on duty counts: the exact sum equals a brute-force count over the span (which
    may hold a DST change of either zone)."""
    end = start + timedelta(minutes=minutes)
    counted = sum(
        60
        for step in range(minutes)
        if any(is_on_duty(each, start + timedelta(minutes=step)) for each in MIXED)
    )
    assert business_seconds(MIXED, start, end) == counted
