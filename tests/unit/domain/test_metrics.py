"""Report arithmetic: duration buckets and percentiles, rates and scores, compensation, period changes,
and UTC hour counters read on a team's own clock."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.domain.metrics import (
    BOUNDS,
    Bucket,
    Compensation,
    PeriodChange,
    bucket_of,
    compensation_totals,
    cost_per_recovered,
    currency_totals,
    histogram,
    hour_key,
    local_hour_and_weekday,
    mean,
    nps,
    percentile,
    percentile_bucket,
    period_change,
    previous_weeks_mean,
    rate,
    recovery_rate,
    response_rate,
    share_within,
    utc_hours,
)

FINITE = [bound for bound in BOUNDS if not math.isinf(bound)]
ZONES = ["UTC", "Europe/Oslo", "America/New_York", "Australia/Adelaide", "Asia/Kathmandu", "Asia/Kolkata"]

buckets_strategy = st.dictionaries(st.sampled_from(BOUNDS), st.integers(1, 1000), min_size=1)
finite_buckets = st.dictionaries(st.sampled_from(FINITE), st.integers(1, 1000), min_size=1)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31))


# --- buckets ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "bound"),
    [(0, 15), (15, 15), (15.01, 30), (59, 60), (60, 60), (61, 120), (3600, 3600), (172800, 172800)],
)
def test_a_duration_falls_in_the_bucket_whose_upper_bound_holds_it(seconds: float, bound: float) -> None:
    # GIVEN a duration  WHEN bucketed  THEN its bucket is the smallest bound at or above it
    assert bucket_of(seconds) == bound


def test_durations_beyond_two_days_fall_in_the_open_bucket_and_negatives_in_the_first() -> None:
    assert bucket_of(172801) == math.inf
    assert bucket_of(-3) == 15


def test_a_nan_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="NaN"):
        bucket_of(math.nan)


def test_histogram_counts_per_bucket() -> None:
    assert histogram([5, 10, 45, 45, 7200, 10**6]) == {15: 2, 60: 2, 7200: 1, math.inf: 1}


# --- percentiles ------------------------------------------------------------------------------------


def test_percentiles_interpolate_inside_the_bucket_that_holds_the_rank() -> None:
    # GIVEN 2 durations in (0, 15] and 2 in (30, 60]
    buckets = {15: 2, 60: 2}
    # THEN p50 is rank 2 of 4: the top of the first bucket; p90 is rank 3.6: 30 + 30 * 1.6 / 2
    assert percentile(buckets, 0.5) == 15
    assert percentile(buckets, 0.9) == pytest.approx(54)
    assert percentile(buckets, 0) == 0
    assert percentile(buckets, 1) == 60


def test_a_percentile_in_the_open_bucket_is_its_lower_bound() -> None:
    assert percentile({60: 1, math.inf: 3}, 0.9) == 172800


def test_no_counts_has_no_percentile_and_no_share() -> None:
    assert percentile({}, 0.5) is None
    assert percentile({60: 0}, 0.5) is None
    assert share_within({}, 60) is None


@pytest.mark.parametrize(("buckets", "q"), [({45: 1}, 0.5), ({60: -1}, 0.5), ({60: 1}, 1.5), ({60: 1}, -0.1)])
def test_bad_buckets_or_quantiles_are_refused(buckets: dict[float, int], q: float) -> None:
    with pytest.raises(ValueError):
        percentile(buckets, q)


@given(buckets_strategy, st.floats(0, 1), st.floats(0, 1))
def test_percentile_is_monotone_in_q_and_inside_the_counted_buckets(
    buckets: dict[float, int], q1: float, q2: float
) -> None:
    low, high = sorted((q1, q2))
    p_low, p_high = percentile(buckets, low), percentile(buckets, high)
    assert p_low is not None and p_high is not None
    assert p_low <= p_high
    first, last = min(buckets), max(buckets)
    floor = BOUNDS[BOUNDS.index(first) - 1] if first != BOUNDS[0] else 0
    ceiling = BOUNDS[-2] if math.isinf(last) else last
    assert floor <= p_low <= p_high <= ceiling


@given(st.lists(st.floats(0, 150000), min_size=1, max_size=200), st.floats(0, 1))
def test_percentile_lies_in_the_bucket_of_the_true_quantile(durations: list[float], q: float) -> None:
    # GIVEN raw durations  WHEN the q-quantile is read from their histogram
    ordered = sorted(durations)
    estimate = percentile(histogram(durations), q)
    # THEN it is within one bucket width of the true value: the same bucket as some sample
    # between the order statistics around rank q * n
    rank = q * len(ordered)
    below = ordered[max(math.ceil(rank) - 1, 0)]
    assert estimate is not None
    assert _lower_of(bucket_of(below)) <= estimate <= bucket_of(below)


def _lower_of(bound: float) -> float:
    index = BOUNDS.index(bound)
    return BOUNDS[index - 1] if index else 0


# --- share within -----------------------------------------------------------------------------------


def test_share_within_a_bound_is_exact() -> None:
    # GIVEN 1 alert within 15 s, 1 within a minute, 2 within two minutes
    buckets = {15: 1, 60: 1, 120: 2}
    assert share_within(buckets, 60) == 0.5
    assert share_within(buckets, 120) == 1
    assert share_within(buckets, 0) == 0


def test_share_within_a_time_between_bounds_interpolates() -> None:
    # 90 s is half-way through (60, 120]
    assert share_within({120: 4}, 90) == 0.5
    assert share_within({math.inf: 4}, 10**9) == 0


@given(buckets_strategy, st.floats(0, 10**6), st.floats(0, 10**6))
def test_share_within_is_a_share_and_grows_with_the_time(
    buckets: dict[float, int], t1: float, t2: float
) -> None:
    low, high = sorted((t1, t2))
    s_low, s_high = share_within(buckets, low), share_within(buckets, high)
    assert s_low is not None and s_high is not None
    assert 0 <= s_low <= s_high <= 1


@given(finite_buckets, st.floats(0, 1))
def test_share_within_the_percentile_gives_back_q(buckets: dict[float, int], q: float) -> None:
    at = percentile(buckets, q)
    assert at is not None
    assert share_within(buckets, at) == pytest.approx(q, abs=1e-9)


# --- rates and scores -------------------------------------------------------------------------------


def test_rates_divide_and_are_none_over_zero() -> None:
    assert rate(1, 4) == 0.25
    assert rate(0, 0) is None
    assert recovery_rate(3, 4) == 0.75
    assert recovery_rate(0, 0) is None
    assert response_rate(2, 8) == 0.25
    assert response_rate(5, 0) is None


def test_nps_is_promoters_minus_detractors_in_points() -> None:
    # 9-10 promote, 7-8 are passive, 0-6 detract
    assert nps([10, 9, 8, 7, 6, 0]) == 0
    assert nps([10, 10, 9, 3]) == 50
    assert nps({10: 3, 0: 1}) == 50
    assert nps([6, 6]) == -100
    assert nps([]) is None


def test_nps_refuses_a_score_outside_0_to_10() -> None:
    with pytest.raises(ValueError, match="0-10"):
        nps([11])


@given(st.lists(st.integers(0, 10), min_size=1))
def test_nps_is_within_plus_minus_100_and_counts_agree_with_lists(scores: list[int]) -> None:
    value = nps(scores)
    assert value is not None
    assert -100 <= value <= 100
    assert nps(Counter(scores)) == pytest.approx(value)


def test_mean_of_scores_one_by_one_or_counted() -> None:
    assert mean([1, 2, 3, 6]) == 3
    assert mean({5: 2, 1: 2}) == 3
    assert mean([]) is None
    with pytest.raises(ValueError):
        mean({5: -1})


# --- compensation -----------------------------------------------------------------------------------


def test_compensation_totals_per_currency_and_type_never_mix_currencies() -> None:
    items = [
        Compensation("EUR", "refund", Decimal("10.50")),
        Compensation("EUR", "refund", Decimal("4.50")),
        Compensation("EUR", "voucher", Decimal("20.00")),
        Compensation("JPY", "voucher", Decimal("1000")),
    ]
    totals = compensation_totals(items)
    assert totals == {
        "EUR": {"refund": Decimal("15.00"), "voucher": Decimal("20.00")},
        "JPY": {"voucher": Decimal("1000")},
    }
    assert currency_totals(totals) == {"EUR": Decimal("35.00"), "JPY": Decimal("1000")}


def test_cost_per_recovered_customer_keeps_the_currency_places() -> None:
    per = cost_per_recovered({"EUR": Decimal("100.00"), "JPY": Decimal("1000")}, 3)
    assert per == {"EUR": Decimal("33.33"), "JPY": Decimal("333")}
    assert str(per["EUR"]) == "33.33"
    assert cost_per_recovered({"EUR": Decimal("0.05")}, 2) == {"EUR": Decimal("0.03")}  # half up
    assert cost_per_recovered({"EUR": Decimal("10.00")}, 0) == {"EUR": None}


@pytest.mark.parametrize(
    ("currency", "amount"), [("eur", Decimal(1)), ("EURO", Decimal(1)), ("EUR", Decimal(-1)), ("EUR", 1.5)]
)
def test_a_bad_compensation_is_refused(currency: str, amount: Decimal) -> None:
    with pytest.raises(ValueError):
        Compensation(currency, "refund", amount)


# --- periods ----------------------------------------------------------------------------------------


def test_change_on_the_previous_period() -> None:
    assert period_change(125, 100) == PeriodChange(25, 0.25)
    assert period_change(50, 100) == PeriodChange(-50, -0.5)
    assert period_change(5, 0) == PeriodChange(5, None)
    assert period_change(None, 3) == PeriodChange(None, None)
    assert period_change(3, None) == PeriodChange(None, None)


def test_previous_four_weeks_mean_uses_the_last_four_with_a_figure() -> None:
    assert previous_weeks_mean([100, 10, 20, 30, 40]) == 25
    assert previous_weeks_mean([10, None, 20, None]) == 15
    assert previous_weeks_mean([None, None]) is None
    assert previous_weeks_mean([]) is None


# --- hours on the team's clock ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("utc_hour", "zone", "expected"),
    [
        ("2026-11-22T10", "UTC", (10, 6)),
        ("2026-11-22T10", "Europe/Oslo", (11, 6)),  # CET, +1
        ("2026-07-22T10", "Europe/Oslo", (12, 2)),  # CEST, +2
        ("2026-11-22T02", "America/New_York", (21, 5)),  # the Saturday evening before
        ("2026-11-22T10", "Asia/Kathmandu", (15, 6)),  # 15:45-16:45 local counts as 15
        ("2026-11-22T10", "Australia/Adelaide", (20, 6)),  # ACDT +10:30: 20:30-21:30 counts as 20
        ("2026-06-22T10", "Australia/Adelaide", (19, 0)),  # ACST +9:30: 19:30-20:30 counts as 19
    ],
)
def test_a_utc_hour_counts_toward_the_local_hour_it_starts_in(
    utc_hour: str, zone: str, expected: tuple[int, int]
) -> None:
    assert tuple(local_hour_and_weekday(utc_hour, zone)) == expected


@pytest.mark.parametrize("key", ["2026-11-22 10", "2026-11-22T1", "2026-11-22T24", "x"])
def test_a_bad_hour_key_is_refused(key: str) -> None:
    with pytest.raises(ValueError):
        local_hour_and_weekday(key, "UTC")


def test_hour_key_matches_the_counters() -> None:
    assert hour_key(datetime(2026, 11, 22, 11, 59, tzinfo=ZoneInfo("Europe/Oslo"))) == "2026-11-22T10"
    with pytest.raises(ValueError):
        hour_key(datetime(2026, 11, 22, 11))


def test_a_local_day_in_a_whole_hour_zone_is_its_24_utc_hours() -> None:
    hours = utc_hours(date(2026, 11, 22), date(2026, 11, 22), "Europe/Oslo")
    assert len(hours) == 24
    assert (hours[0], hours[-1]) == ("2026-11-21T23", "2026-11-22T22")


@pytest.mark.parametrize(
    ("day", "zone", "count"),
    [
        (date(2026, 3, 29), "Europe/Oslo", 23),  # spring forward
        (date(2026, 10, 25), "Europe/Oslo", 25),  # fall back
        (date(2026, 3, 8), "America/New_York", 23),
        (date(2026, 11, 1), "America/New_York", 25),
        (date(2026, 10, 4), "Australia/Adelaide", 23),
        (date(2026, 4, 5), "Australia/Adelaide", 25),
        (date(2026, 11, 22), "Asia/Kathmandu", 24),
    ],
)
def test_dst_days_have_23_or_25_hours(day: date, zone: str, count: int) -> None:
    assert len(utc_hours(day, day, zone)) == count


def test_a_part_hour_zone_takes_the_utc_hours_starting_on_its_dates() -> None:
    # Kathmandu midnight is 18:15 UTC: 18:00 UTC starts at 23:45 the day before, so it is left out
    hours = utc_hours(date(2026, 11, 22), date(2026, 11, 22), "Asia/Kathmandu")
    assert (hours[0], hours[-1]) == ("2026-11-21T19", "2026-11-22T18")
    assert local_hour_and_weekday("2026-11-21T18", "Asia/Kathmandu") == (23, 5)
    assert local_hour_and_weekday("2026-11-21T19", "Asia/Kathmandu") == (0, 6)


def test_a_range_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError):
        utc_hours(date(2026, 11, 22), date(2026, 11, 21), "UTC")


@given(days, st.sampled_from(ZONES))
def test_a_local_day_has_as_many_utc_hours_as_its_wall_clock_length(day: date, zone: str) -> None:
    place = ZoneInfo(zone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=place).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=place).astimezone(UTC)
    hours = utc_hours(day, day, zone)
    assert len(hours) == (end - start) // timedelta(hours=1)
    assert len(hours) in (23, 24, 25)
    # and every one of them counts toward that day's weekday
    assert {local_hour_and_weekday(hour, zone).weekday for hour in hours} == {day.weekday()}


@given(days, st.integers(0, 40), st.integers(0, 40), st.sampled_from(ZONES))
def test_adjacent_ranges_join_without_gap_or_overlap(day: date, first: int, second: int, zone: str) -> None:
    middle = day + timedelta(days=first)
    last = middle + timedelta(days=1 + second)
    joined = utc_hours(day, middle, zone) + utc_hours(middle + timedelta(days=1), last, zone)
    assert joined == utc_hours(day, last, zone)
    assert len(set(joined)) == len(joined)


def test_percentile_bucket_names_the_bucket_the_true_value_lies_in() -> None:
    # GIVEN 9 alerts within 15 s and one after 100 s
    buckets = {15: 9, 120: 1}
    # THEN p90 lies in (0, 15] and p95 in (60, 120]; nothing counted has no bucket
    assert percentile_bucket(buckets, 0.9) == Bucket(0, 15)
    assert percentile_bucket(buckets, 0.95) == Bucket(60, 120)
    assert percentile_bucket({math.inf: 1}, 0.9) == Bucket(172800, None)
    assert percentile_bucket({}, 0.9) is None
    with pytest.raises(ValueError):
        percentile_bucket(buckets, 1.5)
