"""The follow-up's pure logic: when it is due (delay, contact hours, zones, DST) and what an answer means."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recovery.domain.classify import Band, Thresholds
from recovery.domain.follow_up import contact_hours, delta, due_time, outcome, parse_score, same_scale
from recovery.domain.routing import ContactHours, FollowUpPolicy


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def policy(**changes: Any) -> FollowUpPolicy:
    return FollowUpPolicy.model_validate(changes)


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


# --- due time -----------------------------------------------------------------------------------------


def test_inside_the_hours_the_plain_delay_holds() -> None:
    # GIVEN a case resolved at 10:00 Oslo time on a Monday, default policy (3 days, 09:00-20:00)
    resolved = utc(2026, 11, 23, 9, 0)
    # WHEN the follow-up is planned for a customer in Oslo
    due = due_time(resolved, policy(), "Europe/Oslo")
    # THEN it is due exactly three days later (10:00 local, inside the hours)
    assert due == resolved + timedelta(days=3)


def test_after_hours_it_waits_for_the_next_morning_in_the_customers_zone() -> None:
    # GIVEN a case resolved at 22:30 Tokyo time
    resolved = utc(2026, 11, 23, 13, 30)
    # WHEN planned for a customer in Tokyo
    due = due_time(resolved, policy(), "Asia/Tokyo")
    # THEN it is due at 09:00 Tokyo time, four calendar days later
    assert local(due, "Asia/Tokyo").replace(tzinfo=None) == datetime(2026, 11, 27, 9, 0)


def test_the_same_instant_lands_differently_in_different_zones() -> None:
    # GIVEN one resolve time: 21:00 in Oslo, 15:00 in New York, 05:00 next day in Tokyo
    resolved = utc(2026, 11, 23, 20, 0)
    due = {zone: due_time(resolved, policy(), zone) for zone in ("Europe/Oslo", "America/New_York")}
    due["Asia/Tokyo"] = due_time(resolved, policy(), "Asia/Tokyo")
    # THEN Oslo waits until 09:00, New York goes at once (after the delay), Tokyo waits until 09:00
    assert local(due["Europe/Oslo"], "Europe/Oslo").hour == 9
    assert due["America/New_York"] == resolved + timedelta(days=3)
    assert local(due["Asia/Tokyo"], "Asia/Tokyo").hour == 9


def test_allowed_days_skip_the_weekend() -> None:
    # GIVEN weekdays only, a case resolved on a Wednesday: three days later is Saturday
    hours = {"start": "09:00", "end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]}
    resolved = utc(2026, 11, 25, 10, 0)
    # WHEN planned for a customer in Berlin
    due = due_time(resolved, policy(hours=hours), "Europe/Berlin")
    # THEN it waits until Monday 09:00 Berlin time
    assert local(due, "Europe/Berlin").replace(tzinfo=None) == datetime(2026, 11, 30, 9, 0)


def test_overnight_hours_run_past_midnight() -> None:
    # GIVEN hours 18:00-02:00 and an earliest time of 01:00 local
    resolved = utc(2026, 11, 23, 0, 0)  # 01:00 in Oslo
    due = due_time(resolved, policy(delay_days=0, hours={"start": "18:00", "end": "02:00"}), "Europe/Oslo")
    # THEN 01:00 is inside (the window that began at 18:00 the day before)
    assert due == resolved


def test_spring_forward_gap_begins_the_window_when_the_clock_jumps() -> None:
    # GIVEN hours starting 02:30 on the day Oslo's clocks jump from 02:00 to 03:00 (29 March 2026)
    resolved = utc(2026, 3, 28, 12, 0)
    due = due_time(resolved, policy(delay_days=0.5, hours={"start": "02:30", "end": "05:00"}), "Europe/Oslo")
    # THEN the follow-up goes at the jump, 03:00 local (01:00 UTC)
    assert due == utc(2026, 3, 29, 1, 0)
    assert local(due, "Europe/Oslo").hour == 3


def test_fall_back_keeps_the_wall_clock_hours() -> None:
    # GIVEN New York falls back on 1 November 2026; the earliest time is 06:00 local that morning
    resolved = utc(2026, 10, 29, 11, 0)  # 07:00 EDT
    due = due_time(resolved, policy(delay_days=2.958333), "America/New_York")
    # THEN it waits until 09:00 local, which is EST (UTC-5) now
    assert local(due, "America/New_York").hour == 9
    assert due == utc(2026, 11, 1, 14, 0)


def test_no_or_unknown_zone_means_utc() -> None:
    resolved = utc(2026, 11, 23, 22, 0)
    expected = utc(2026, 11, 27, 9, 0)
    assert due_time(resolved, policy(), None) == expected
    assert due_time(resolved, policy(), "Mars/Olympus") == expected


def test_hours_that_describe_no_window_hold_nothing_back() -> None:
    # GIVEN a policy whose start equals its end
    hours = ContactHours(start="09:00", end="09:00")
    assert contact_hours(hours, "Europe/Oslo") is None
    resolved = utc(2026, 11, 23, 23, 0)
    assert due_time(resolved, policy(hours={"start": "09:00", "end": "09:00"}), "Europe/Oslo") == (
        resolved + timedelta(days=3)
    )


ZONES = st.sampled_from(
    ["Europe/Oslo", "America/New_York", "Asia/Tokyo", "Asia/Kolkata", "Australia/Adelaide", "UTC"]
)


@settings(max_examples=200, deadline=None)
@given(
    resolved=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
    zone=ZONES,
    delay=st.floats(min_value=0, max_value=10, allow_nan=False),
    start=st.integers(min_value=0, max_value=22),
    length=st.integers(min_value=1, max_value=12),
)
def test_due_is_never_early_and_always_inside_the_hours(
    resolved: datetime, zone: str, delay: float, start: int, length: int
) -> None:
    end = min(start + length, 24)
    hours = {"start": f"{start:02d}:00", "end": f"{end:02d}:00"}
    due = due_time(resolved, policy(delay_days=delay, hours=hours), zone)
    assert due >= resolved + timedelta(days=delay)
    wall = local(due, zone)
    assert start * 60 <= wall.hour * 60 + wall.minute < end * 60 or due == resolved + timedelta(days=delay)
    # and never more than a day (plus a DST hour) after the earliest time, but for a day whose whole
    # window falls in a spring-forward gap: that day has no such hours, and is skipped (duty.py)
    earliest = resolved + timedelta(days=delay)
    first = local(earliest, zone).date()
    gap_days = sum(_window_in_gap(first + timedelta(days=n), start, end, zone) for n in range(3))
    assert due - earliest <= timedelta(hours=25 + 24 * gap_days)


# --- outcome and delta ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"type": "nps", "value": 3}, {"type": "nps", "value": 9}, "recovered"),
        (
            {"type": "nps", "value": 3},
            {"type": "nps", "value": 7},
            "recovered",
        ),  # neutral: no longer negative
        ({"type": "nps", "value": 3}, {"type": "nps", "value": 5}, "improved"),
        ({"type": "nps", "value": 3}, {"type": "nps", "value": 3}, "not_recovered"),
        ({"type": "nps", "value": 3}, {"type": "nps", "value": 1}, "not_recovered"),
        ({"type": "csat", "value": 1}, {"type": "csat", "value": 2}, "improved"),
        ({"type": "csat", "value": 2}, {"type": "csat", "value": 3}, "recovered"),
        ({"type": "stars", "value": 1}, {"type": "stars", "value": 1}, "not_recovered"),
        ({"type": "ces", "value": 2}, {"type": "ces", "value": 3}, "improved"),
        ({"type": "ces", "value": 2}, {"type": "ces", "value": 4}, "recovered"),
        ({"type": "thumbs", "value": "down"}, {"type": "thumbs", "value": "up"}, "recovered"),
        ({"type": "thumbs", "value": "down"}, {"type": "thumbs", "value": "down"}, "not_recovered"),
        (
            {"type": "custom", "value": 2, "min": 0, "max": 10, "higher_is_better": True},
            {"type": "custom", "value": 3, "min": 0, "max": 10, "higher_is_better": True},
            "improved",
        ),
        (
            {"type": "custom", "value": 8, "min": 0, "max": 10, "higher_is_better": False},
            {"type": "custom", "value": 2, "min": 0, "max": 10, "higher_is_better": False},
            "recovered",
        ),
    ],
)
def test_outcome_uses_intakes_classification(
    before: dict[str, Any], after: dict[str, Any], expected: str
) -> None:
    assert outcome(parse_score(before), parse_score(after)) == expected


def test_a_sources_thresholds_move_the_line() -> None:
    # GIVEN a source where csat 3 is still negative
    strict = Thresholds(csat=Band(negative_max=3, positive_min=5))
    before, after = parse_score({"type": "csat", "value": 2}), parse_score({"type": "csat", "value": 3})
    assert outcome(before, after) == "recovered"
    assert outcome(before, after, strict) == "improved"


def test_delta_is_in_normalised_positions() -> None:
    assert delta(parse_score({"type": "nps", "value": 3}), parse_score({"type": "nps", "value": 9})) == 0.6
    assert (
        delta(parse_score({"type": "csat", "value": 2}), parse_score({"type": "csat", "value": 1})) == -0.25
    )
    assert (
        delta(
            parse_score({"type": "thumbs", "value": "down"}), parse_score({"type": "thumbs", "value": "up"})
        )
        == 1.0
    )
    lower_better = {"type": "custom", "min": 0, "max": 4, "higher_is_better": False}
    assert delta(parse_score({**lower_better, "value": 4}), parse_score({**lower_better, "value": 1})) == 0.75


def test_same_scale_keeps_the_original_scale() -> None:
    custom = parse_score({"type": "custom", "value": 2, "min": 1, "max": 7, "higher_is_better": False})
    again = same_scale(custom, 5)
    assert again == parse_score({"type": "custom", "value": 5, "min": 1, "max": 7, "higher_is_better": False})
    with pytest.raises(ValueError, match="not a score"):
        same_scale(custom, 8)
    with pytest.raises(ValueError, match="not a score"):
        same_scale(parse_score({"type": "nps", "value": 2}), 11)
    with pytest.raises(ValueError, match="not a score"):
        same_scale(parse_score({"type": "thumbs", "value": "down"}), "sideways")


@settings(max_examples=200, deadline=None)
@given(before=st.integers(min_value=0, max_value=6), after=st.integers(min_value=0, max_value=10))
def test_nps_outcome_agrees_with_delta(before: int, after: int) -> None:
    b, a = parse_score({"type": "nps", "value": before}), parse_score({"type": "nps", "value": after})
    result, change = outcome(b, a), delta(b, a)
    assert (result == "recovered") == (after >= 7)
    if result == "improved":
        assert change > 0
    if result == "not_recovered":
        assert change <= 0


def _window_in_gap(day: date, start: int, end: int, zone: str) -> bool:
    """Do the local hours [start, end) of `day` not exist at all (the clock jumps over them)?"""
    tz = ZoneInfo(zone)

    def missing(hour: int) -> bool:
        wall = datetime(day.year, day.month, day.day, hour, tzinfo=tz)
        return wall.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall.replace(tzinfo=None)

    return all(missing(hour) for hour in range(start, end))
