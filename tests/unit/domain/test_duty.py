"""On-duty hours: wall-clock windows in a contact's time zone, across midnight and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.domain.duty import (
    DAYS,
    OnDuty,
    ScheduleError,
    Window,
    is_on_duty,
    next_on_duty,
    promise_time,
    round_up_quarter,
)


def schedule(timezone: str, *windows: tuple[list[str], str, str]) -> OnDuty:
    return OnDuty.parse(
        {"timezone": timezone, "windows": [{"days": d, "start": s, "end": e} for d, s, e in windows]}
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScheduleError) as raised:
        OnDuty.parse(data)
    return raised.value.messages


WEEKDAYS = (["mon", "tue", "wed", "thu", "fri"], "09:00", "17:00")


# --- validation -------------------------------------------------------------------------------------


def test_a_valid_schedule_parses() -> None:
    duty = schedule("Europe/Oslo", WEEKDAYS, (["sat"], "22:00", "06:00"), (["sun"], "12:00", "24:00"))
    assert [w.overnight for w in duty.windows] == [False, True, False]
    assert duty.windows[2].end_minute == 1440


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (
            {"days": ["mon"], "start": "9:00", "end": "17:00"},
            "windows/0/start: must be HH:MM, 00:00 to 23:59",
        ),
        ({"days": ["mon"], "start": "24:00", "end": "17:00"}, "windows/0/start: must be HH:MM"),
        ({"days": ["mon"], "start": "09:00", "end": "24:01"}, "windows/0/end: must be HH:MM, 00:00 to 24:00"),
        ({"days": ["mon"], "start": "09:00", "end": "17:60"}, "windows/0/end: must be HH:MM"),
        ({"days": ["mon"], "start": "09:00", "end": "09:00"}, "windows/0: a window can't be empty"),
        ({"days": ["mon"], "start": "00:00", "end": "00:00"}, "windows/0: a window can't be empty"),
        ({"days": [], "start": "09:00", "end": "17:00"}, "windows/0/days: must name at least one day"),
        (
            {"days": ["mon", "tue", "mon"], "start": "09:00", "end": "17:00"},
            "windows/0/days: names a day twice",
        ),
        ({"days": ["monday"], "start": "09:00", "end": "17:00"}, "windows/0/days/0: Input should be 'mon'"),
        ({"days": ["mon"], "start": "09:00", "end": "17:00", "tz": "x"}, "windows/0/tz: Extra inputs"),
        ({"days": ["mon"], "start": "09:00"}, "windows/0/end: Field required"),
    ],
)
def test_a_bad_window_is_refused_naming_its_key(window: dict[str, Any], expected: str) -> None:
    messages = errors({"timezone": "UTC", "windows": [window]})
    assert len(messages) == 1 and messages[0].startswith(expected), messages


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "localtime", "", "../etc/passwd", "/usr/share/zoneinfo/UTC"]
)
def test_an_unknown_time_zone_is_refused(zone: str) -> None:
    assert errors({"timezone": zone, "windows": [{"days": ["mon"], "start": "09:00", "end": "17:00"}]}) == [
        "timezone: not an IANA time zone"
    ]


def test_no_windows_is_refused_rather_than_never_on_duty() -> None:
    assert errors({"timezone": "UTC", "windows": []})[0].startswith("windows: must hold at least one window")


def test_every_problem_is_named() -> None:
    messages = errors(
        {
            "timezone": "Nowhere",
            "windows": [
                {"days": ["mon"], "start": "09:00", "end": "17:00"},
                {"days": ["mon"], "start": "25:00", "end": "17:00"},
            ],
        }
    )
    assert [m.split(":")[0] for m in messages] == ["timezone", "windows/1/start"]


def test_models_are_frozen() -> None:
    window = Window(days=["mon"], start="09:00", end="17:00")
    with pytest.raises(ValueError, match="frozen"):
        window.start = "10:00"


# --- is_on_duty -------------------------------------------------------------------------------------


def test_no_schedule_is_always_on_duty() -> None:
    assert is_on_duty(None, utc(2026, 1, 1, 3))
    assert next_on_duty(None, utc(2026, 1, 1, 3)) == utc(2026, 1, 1, 3)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        is_on_duty(None, datetime(2026, 1, 1))


def test_office_hours_in_the_contacts_zone() -> None:
    duty = schedule("Europe/Oslo", WEEKDAYS)  # UTC+1 in winter
    # GIVEN Monday 12 January 2026
    assert not is_on_duty(duty, utc(2026, 1, 12, 7, 59))  # 08:59 in Oslo
    assert is_on_duty(duty, utc(2026, 1, 12, 8, 0))  # 09:00
    assert is_on_duty(duty, utc(2026, 1, 12, 15, 59, 59))  # 16:59:59
    assert not is_on_duty(duty, utc(2026, 1, 12, 16, 0))  # 17:00: the end is exclusive
    assert not is_on_duty(duty, utc(2026, 1, 17, 10))  # Saturday


def test_an_overnight_window_runs_into_the_next_day() -> None:
    duty = schedule("Europe/Oslo", (["fri"], "22:00", "06:00"))
    assert not is_on_duty(duty, utc(2026, 1, 16, 20, 59))  # Fri 21:59 local
    assert is_on_duty(duty, utc(2026, 1, 16, 21, 0))  # Fri 22:00
    assert is_on_duty(duty, utc(2026, 1, 16, 23, 0))  # Sat 00:00
    assert is_on_duty(duty, utc(2026, 1, 17, 4, 59))  # Sat 05:59
    assert not is_on_duty(duty, utc(2026, 1, 17, 5, 0))  # Sat 06:00
    assert not is_on_duty(duty, utc(2026, 1, 17, 21, 30))  # Sat 22:30: the window starts on Fridays
    assert not is_on_duty(duty, utc(2026, 1, 15, 23, 30))  # Fri 00:30: the tail belongs to Thursday


def test_an_overnight_window_wraps_from_sunday_to_monday() -> None:
    duty = schedule("Asia/Tokyo", (["sun"], "23:00", "01:00"))  # UTC+9, no DST
    assert is_on_duty(duty, utc(2026, 1, 11, 14, 30))  # Sun 23:30
    assert is_on_duty(duty, utc(2026, 1, 11, 15, 30))  # Mon 00:30
    assert not is_on_duty(duty, utc(2026, 1, 11, 16, 0))  # Mon 01:00


def test_tokyo_weekdays_have_no_dst() -> None:
    duty = schedule("Asia/Tokyo", WEEKDAYS)
    for month in range(1, 13):
        monday = next(utc(2026, month, day) for day in range(1, 8) if utc(2026, month, day).weekday() == 0)
        assert not is_on_duty(duty, monday - timedelta(minutes=1))  # Mon 08:59
        assert is_on_duty(duty, monday)  # Mon 09:00 = 00:00 UTC all year
        assert next_on_duty(duty, monday - timedelta(hours=5)) == monday


def test_a_window_ending_at_midnight() -> None:
    duty = schedule("Asia/Tokyo", (["mon"], "18:00", "24:00"))
    assert is_on_duty(duty, utc(2026, 1, 12, 14, 59))  # Mon 23:59
    assert not is_on_duty(duty, utc(2026, 1, 12, 15, 0))  # Tue 00:00


# --- DST --------------------------------------------------------------------------------------------


def test_oslo_office_hours_follow_summer_time() -> None:
    duty = schedule("Europe/Oslo", WEEKDAYS)
    assert is_on_duty(duty, utc(2026, 3, 27, 8, 0))  # Fri before: 09:00 CET
    assert not is_on_duty(duty, utc(2026, 3, 30, 6, 30))  # Mon after: 08:30 CEST
    assert is_on_duty(duty, utc(2026, 3, 30, 7, 0))  # Mon after: 09:00 CEST


def test_a_start_inside_the_spring_forward_gap_begins_when_the_clock_jumps() -> None:
    # GIVEN Oslo skips 02:00-03:00 on Sunday 29 March 2026 (01:00 UTC)
    duty = schedule("Europe/Oslo", (["sun"], "02:30", "04:00"))
    # THEN nothing crashes, and the window opens at 03:00 CEST, the first wall time past 02:30
    assert not is_on_duty(duty, utc(2026, 3, 29, 0, 59, 59))  # 01:59:59 CET
    assert is_on_duty(duty, utc(2026, 3, 29, 1, 0))  # 03:00 CEST
    assert next_on_duty(duty, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1, 0)


def test_a_window_wholly_inside_the_gap_is_skipped_that_day() -> None:
    duty = schedule("America/New_York", (["sun"], "02:00", "02:45"))
    # 8 March 2026: 02:00 EST jumps to 03:00 EDT at 07:00 UTC, so the window never shows that Sunday
    assert next_on_duty(duty, utc(2026, 3, 8, 6, 0)) == utc(2026, 3, 15, 6, 0)  # next Sunday, 02:00 EDT


def test_new_york_spring_forward_overnight_window() -> None:
    duty = schedule("America/New_York", (["sat"], "22:00", "06:00"))
    assert is_on_duty(duty, utc(2026, 3, 8, 6, 59))  # 01:59 EST
    assert is_on_duty(duty, utc(2026, 3, 8, 7, 0))  # 03:00 EDT
    assert is_on_duty(duty, utc(2026, 3, 8, 9, 59))  # 05:59 EDT: the night is one hour shorter
    assert not is_on_duty(duty, utc(2026, 3, 8, 10, 0))  # 06:00 EDT


def test_the_repeated_fall_back_hour_is_covered_twice() -> None:
    # GIVEN New York repeats 01:00-02:00 on 1 November 2026 (EDT until 06:00 UTC, then EST)
    duty = schedule("America/New_York", (["sun"], "01:00", "01:30"))
    assert is_on_duty(duty, utc(2026, 11, 1, 5, 0))  # 01:00 EDT
    assert not is_on_duty(duty, utc(2026, 11, 1, 5, 30))  # 01:30 EDT
    assert next_on_duty(duty, utc(2026, 11, 1, 5, 30)) == utc(2026, 11, 1, 6, 0)  # 01:00 EST
    assert not is_on_duty(duty, utc(2026, 11, 1, 6, 30))  # 01:30 EST


def test_a_jump_back_into_a_window_counts_as_coming_on_duty() -> None:
    duty = schedule("America/New_York", (["sun"], "00:30", "01:30"))
    assert not is_on_duty(duty, utc(2026, 11, 1, 5, 45))  # 01:45 EDT
    assert next_on_duty(duty, utc(2026, 11, 1, 5, 45)) == utc(2026, 11, 1, 6, 0)  # back to 01:00 EST


def test_oslo_fall_back() -> None:
    duty = schedule("Europe/Oslo", (["sun"], "02:15", "02:45"))
    # 25 October 2026: 03:00 CEST goes back to 02:00 CET at 01:00 UTC; 02:15 happens twice
    assert next_on_duty(duty, utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 0, 15)  # 02:15 CEST
    assert next_on_duty(duty, utc(2026, 10, 25, 0, 45)) == utc(2026, 10, 25, 1, 15)  # 02:15 CET


# --- next_on_duty -----------------------------------------------------------------------------------


def test_next_on_duty_is_now_when_on_duty() -> None:
    duty = schedule("Europe/Oslo", WEEKDAYS)
    at = utc(2026, 1, 12, 10, 17, 3)
    assert next_on_duty(duty, at) == at


def test_next_on_duty_over_the_weekend() -> None:
    duty = schedule("Europe/Oslo", WEEKDAYS)
    assert next_on_duty(duty, utc(2026, 1, 16, 16, 0)) == utc(2026, 1, 19, 8, 0)  # Fri 17:00 -> Mon 09:00


def test_next_on_duty_answers_in_utc() -> None:
    duty = schedule("Asia/Tokyo", WEEKDAYS)
    tokyo_evening = datetime(2026, 1, 12, 20, tzinfo=duty.zone)
    found = next_on_duty(duty, tokyo_evening)
    assert found == utc(2026, 1, 13, 0, 0) and found is not None and found.tzinfo == UTC


def test_next_on_duty_finds_a_week_ahead() -> None:
    duty = schedule("UTC", (["mon"], "09:00", "10:00"))
    monday = utc(2026, 1, 12, 9, 0)
    assert next_on_duty(duty, monday + timedelta(hours=1)) == monday + timedelta(days=7)


def test_next_on_duty_is_none_beyond_the_horizon(monkeypatch: pytest.MonkeyPatch) -> None:
    from recovery.domain import duty as module

    monkeypatch.setattr(module, "HORIZON", timedelta(days=2))
    weekly = schedule("UTC", (["mon"], "09:00", "10:00"))
    assert next_on_duty(weekly, utc(2026, 1, 12, 10)) is None
    assert next_on_duty(weekly, utc(2026, 1, 17, 9)) == utc(2026, 1, 19, 9)  # Sat -> Mon: 2 days


# --- properties -------------------------------------------------------------------------------------

ZONES = ["UTC", "Europe/Oslo", "America/New_York", "Asia/Tokyo", "Asia/Kolkata", "Australia/Lord_Howe"]
hhmm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))


@st.composite
def windows(draw: st.DrawFn) -> Window:
    days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
    start = draw(hhmm)
    end = draw(hhmm.filter(lambda value: value != start) | st.just("24:00"))
    return Window(days=days, start=start, end=end)


schedules = st.builds(
    OnDuty, timezone=st.sampled_from(ZONES), windows=st.lists(windows(), min_size=1, max_size=3)
)
instants = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(schedules, instants)
def test_any_valid_schedule_at_any_instant_answers(duty: OnDuty, at: datetime) -> None:
    on = is_on_duty(duty, at)
    found = next_on_duty(duty, at)
    if on:
        assert found == at
    if found is not None:
        assert at <= found <= at + timedelta(days=8)
        assert is_on_duty(duty, found)


@given(st.sampled_from(ZONES), instants)
def test_all_week_round_the_clock_is_always_on_duty(zone: str, at: datetime) -> None:
    duty = OnDuty(timezone=zone, windows=[Window(days=list(DAYS), start="00:00", end="24:00")])
    assert is_on_duty(duty, at)
    assert next_on_duty(duty, at) == at


@settings(max_examples=40, deadline=None)
@given(schedules, instants)
def test_next_on_duty_is_the_earliest_by_minute_scan(duty: OnDuty, at: datetime) -> None:
    found = next_on_duty(duty, at)
    # Minute by minute from `at` (on-duty state changes only at whole minutes in these zones)
    moment = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    earliest = at if is_on_duty(duty, at) else None
    while earliest is None and moment <= at + timedelta(days=8):
        if is_on_duty(duty, moment):
            earliest = moment
        moment += timedelta(minutes=1)
    assert found == earliest


# --- promises to customers -------------------------------------------------------------------------
OSLO_OFFICE = OnDuty(
    timezone="Europe/Oslo", windows=[Window(days=list(DAYS[:5]), start="08:00", end="17:00")]
)
CUSTOMER_OSLO = OnDuty(timezone="Europe/Oslo", windows=[Window(days=list(DAYS), start="09:00", end="20:00")])
CUSTOMER_TOKYO = OnDuty(timezone="Asia/Tokyo", windows=[Window(days=list(DAYS), start="09:00", end="20:00")])
NEEDED = timedelta(minutes=75)  # the 15-minute SLA and an hour


def oslo(day: int, hour: int, minute: int = 0) -> datetime:
    """December 2026 in Oslo (CET, UTC+1): the 7th is a Monday."""
    return datetime(2026, 12, day, hour - 1, minute, tzinfo=UTC)


def test_round_up_quarter() -> None:
    assert round_up_quarter(oslo(7, 10, 0)) == oslo(7, 10, 0)
    assert round_up_quarter(oslo(7, 10, 0).replace(second=3)) == oslo(7, 10, 0)
    assert round_up_quarter(oslo(7, 10, 1)) == oslo(7, 10, 15)
    assert round_up_quarter(oslo(7, 10, 46)) == oslo(7, 11, 0)


def test_a_promise_inside_duty_and_contact_hours_stands() -> None:
    # GIVEN a case at 10:00 on a Monday WHEN promised THEN the deadline plus an hour, 11:15, stands
    assert promise_time(oslo(7, 11, 15), [OSLO_OFFICE], CUSTOMER_OSLO, NEEDED) == oslo(7, 11, 15)


def test_a_promise_never_falls_after_the_team_goes_home() -> None:
    # GIVEN a case at 16:30 on a Monday: 17:45 is after the office closes at 17:00
    # WHEN promised THEN Tuesday's window start plus what the lead needs: 08:00 + 1:15 = 09:15
    assert promise_time(oslo(7, 17, 45), [OSLO_OFFICE], CUSTOMER_OSLO, NEEDED) == oslo(8, 9, 15)
    # a case on Friday evening waits for Monday
    assert promise_time(oslo(11, 19, 0), [OSLO_OFFICE], CUSTOMER_OSLO, NEEDED) == oslo(14, 9, 15)


def test_a_case_arriving_before_the_team_comes_gets_the_time_the_team_needs() -> None:
    # GIVEN a case at 07:30 (the office opens at 08:00): 08:45 is on duty, but nobody was there at 07:30
    assert promise_time(oslo(7, 8, 45), [OSLO_OFFICE], CUSTOMER_OSLO, NEEDED) == oslo(7, 9, 15)


def test_a_promise_is_never_at_night_for_the_customer() -> None:
    # GIVEN a team on duty around the clock and a case at 23:15 in Oslo: 00:30 is the customer's night
    # WHEN promised THEN the start of the customer's contact hours, 09:00
    assert promise_time(oslo(7, 24, 30), [None], CUSTOMER_OSLO, NEEDED) == oslo(8, 9, 0)
    # the customer's own clock counts: 10:00 in Oslo is 18:00 in Tokyo, inside; 13:00 is 21:00, outside
    assert promise_time(oslo(7, 10, 0), [None], CUSTOMER_TOKYO, NEEDED) == oslo(7, 10, 0)
    assert promise_time(oslo(7, 13, 0), [None], CUSTOMER_TOKYO, NEEDED) == oslo(8, 1, 0)  # 09:00 JST


def test_a_promise_satisfies_both_clocks_at_once() -> None:
    # GIVEN an office team and a Tokyo customer: Tokyo's 09:00-20:00 is Oslo's 01:00-12:00
    # WHEN a case comes at 16:30 Monday THEN Tuesday 09:15 in Oslo (17:15 in Tokyo) suits both
    promise = promise_time(oslo(7, 17, 45), [OSLO_OFFICE], CUSTOMER_TOKYO, NEEDED)
    assert promise == oslo(8, 9, 15)
    assert is_on_duty(OSLO_OFFICE, promise) and is_on_duty(CUSTOMER_TOKYO, promise)


def test_nobody_ever_on_duty_still_gets_a_promise() -> None:
    never = OnDuty(timezone="UTC", windows=[Window(days=["mon"], start="00:00", end="00:01")])
    far = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)  # a Tuesday: Monday's minute is days away
    assert promise_time(far, [never], None, NEEDED) >= far


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
)
def test_a_promise_is_on_duty_and_in_contact_hours(earliest: datetime) -> None:
    promise = promise_time(earliest, [OSLO_OFFICE], CUSTOMER_TOKYO, NEEDED)
    assert promise >= earliest.replace(second=0, microsecond=0)
    assert promise.minute % 15 == 0 and promise.second == 0
    assert is_on_duty(OSLO_OFFICE, promise) and is_on_duty(OSLO_OFFICE, promise - NEEDED)
    assert is_on_duty(CUSTOMER_TOKYO, promise)
