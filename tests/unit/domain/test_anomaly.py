"""Anomalies: the p-chart check per group and hour, its baseline hours, open/closed state and release
markers named as likely causes."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from recovery.domain.anomaly import (
    CLEAR_HOURS,
    MIN_BASELINE_VOLUME,
    MIN_HOUR_VOLUME,
    TAIL,
    Check,
    Counts,
    Group,
    Marker,
    State,
    advance,
    attribute,
    baseline_hours,
    binomial_tail,
    check,
    hour_key,
    upper_limit,
)

OSLO = "Europe/Oslo"
AGENT = Group("agent", "agent-7")
CHECKOUT = Group("tag", "checkout")
NOW = datetime(2026, 11, 23, 8, tzinfo=UTC)  # Monday 09:00 in Oslo


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def local(zone: str, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone)).astimezone(UTC)  # type: ignore[misc]


class History:
    """Seeded hourly counters of one group, keyed like the stream function's: UTC hour -> counts."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.hours: dict[str, Counts] = {}

    def poisson(self, mean: float) -> int:
        limit, count, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def noise(self, mean: float, rate: float) -> Counts:
        volume = self.poisson(mean)
        return Counts(volume, sum(self.rng.random() < rate for _ in range(volume)))

    def fill(self, start: datetime, end: datetime, hour: Callable[[datetime], Counts | None]) -> None:
        at = start
        while at < end:
            counts = hour(at)
            if counts is not None:
                self.hours[hour_key(at)] = counts
            at += timedelta(hours=1)

    def judge(self, group: Group, at: datetime, zone: str = OSLO) -> Check:
        baseline = [self.hours.get(key, Counts()) for key in baseline_hours(at, zone)]
        return check(group, at, self.hours.get(hour_key(at), Counts()), baseline)


def on_shift(at: datetime) -> bool:
    """The agent works weekdays 09:00 to 17:00 Oslo time."""
    wall = at.astimezone(ZoneInfo(OSLO))
    return wall.weekday() < 5 and 9 <= wall.hour < 17


def agent_history(seed: int, weeks: int = 4) -> History:
    history = History(seed)
    history.fill(
        NOW - timedelta(weeks=weeks),
        NOW + timedelta(days=5),
        lambda at: history.noise(30, 0.08) if on_shift(at) else None,
    )
    return history


def tag_history(seed: int, weeks: int = 4) -> History:
    history = History(seed)
    history.fill(NOW - timedelta(weeks=weeks), NOW + timedelta(days=2), lambda at: history.noise(40, 0.05))
    return history


# --- detection -------------------------------------------------------------------------------------


def test_a_spike_at_9_to_10_am_on_one_agents_shift_fires() -> None:
    # GIVEN four weeks of an agent's shifts at about 8% negative, then 12 of 25 negative at 9 to 10 am
    history = agent_history(seed=1)
    history.hours[hour_key(NOW)] = Counts(25, 12)
    # WHEN that hour is checked
    result = history.judge(AGENT, NOW)
    # THEN it breaches its limit, which the same hour on preceding weekdays set
    assert result.status == "breach"
    assert result.centre is not None and 0.05 < result.centre < 0.11
    assert result.limit is not None and result.counts.rate > result.limit


def test_the_same_agent_hour_without_the_spike_stays_normal() -> None:
    # GIVEN the same history with an ordinary 9 to 10 am: 2 of 25 negative
    history = agent_history(seed=1)
    history.hours[hour_key(NOW)] = Counts(25, 2)
    # WHEN it is checked  THEN it is within the limit
    assert history.judge(AGENT, NOW).status == "normal"


def test_a_planted_tag_spike_fires() -> None:
    # GIVEN a tag seen around the clock at about 5% negative, then 14 of 40 negative in one hour
    history = tag_history(seed=2)
    spike = NOW + timedelta(hours=5)
    history.hours[hour_key(spike)] = Counts(40, 14)
    # WHEN the spike hour and the hour before it are checked
    before = history.judge(CHECKOUT, spike - timedelta(hours=1))
    result = history.judge(CHECKOUT, spike)
    # THEN only the spike breaches
    assert before.status == "normal"
    assert result.status == "breach"


@pytest.mark.parametrize(("seeds", "make"), [(range(10, 20), agent_history), (range(20, 23), tag_history)])
def test_noise_of_the_same_volume_stays_quiet(seeds: range, make: Callable[..., History]) -> None:
    # GIVEN eight weeks of binomial noise at a steady rate, for several agents (or tags)
    results = []
    for seed in seeds:
        history = make(seed, weeks=8)
        # WHEN every hour of the last four weeks is checked against its own baseline
        results += [
            history.judge(CHECKOUT, utc(*map(int, key.replace("T", "-").split("-"))))
            for key in sorted(history.hours)
            if key >= hour_key(NOW - timedelta(weeks=4))
        ]
    judged = [result for result in results if result.status != "skipped"]
    # THEN nearly all hours are judged, and false alarms stay below 0.5%
    assert len(judged) > 0.8 * len(results) > 1000
    assert sum(result.breach for result in judged) <= 0.005 * len(judged)


def test_a_morning_that_always_runs_hot_is_not_an_anomaly() -> None:
    # GIVEN a team whose 9 to 10 am runs at 25% negative every day, and 5% at other hours
    history = History(6)

    def hour(at: datetime) -> Counts:
        return history.noise(40, 0.25 if at.astimezone(ZoneInfo(OSLO)).hour == 9 else 0.05)

    history.fill(NOW - timedelta(weeks=4), NOW + timedelta(hours=1), hour)
    history.hours[hour_key(NOW)] = Counts(40, 10)
    team = Group("team", "support")
    # WHEN this morning is checked against the same hour on preceding weekdays
    result = history.judge(team, NOW)
    # THEN it is normal, where a baseline of all hours would have flagged it
    assert result.status == "normal"
    every_hour = [counts for key, counts in history.hours.items() if key < hour_key(NOW)]
    assert check(team, NOW, history.hours[hour_key(NOW)], every_hour).status == "breach"


# --- skipping little volume ------------------------------------------------------------------------


def test_a_thin_baseline_is_skipped_with_the_reason() -> None:
    # GIVEN a baseline with less volume than the minimum
    baseline = [Counts(MIN_BASELINE_VOLUME - 1, 3)]
    # WHEN an hour with a glaring rate is checked
    result = check(AGENT, NOW, Counts(50, 40), baseline)
    # THEN it is skipped, not judged
    assert result.status == "skipped"
    assert result.reason == f"baseline volume {MIN_BASELINE_VOLUME - 1} is below {MIN_BASELINE_VOLUME}"
    assert result.centre is None and result.limit is None


def test_a_quiet_hour_is_skipped_with_the_reason() -> None:
    # GIVEN a full baseline and an hour below the minimum volume, every response negative
    result = check(AGENT, NOW, Counts(MIN_HOUR_VOLUME - 1, MIN_HOUR_VOLUME - 1), [Counts(1000, 50)])
    # THEN it is skipped, with the centre line known but no limit
    assert result.status == "skipped"
    assert result.reason == f"hour volume {MIN_HOUR_VOLUME - 1} is below {MIN_HOUR_VOLUME}"
    assert result.centre == 0.05 and result.limit is None


def test_a_group_with_no_negatives_needs_more_than_a_stray_one_to_breach() -> None:
    # GIVEN a baseline without a single negative (the limit is zero)
    baseline = [Counts(1000, 0)]
    # WHEN an hour has two negatives, then another has six
    # THEN only the second breaches
    assert check(AGENT, NOW, Counts(30, 2), baseline).status == "normal"
    assert check(AGENT, NOW, Counts(30, 6), baseline).status == "breach"


def test_a_small_hour_just_over_the_limit_by_chance_is_not_a_breach() -> None:
    # GIVEN a 5% baseline and an hour of 20 with 4 negatives: over the UCL, but 1 quiet hour in 60 does that
    result = check(CHECKOUT, NOW, Counts(20, 4), [Counts(1000, 50)])
    # THEN the exact binomial tail keeps it normal, where 7 of 20 is a breach
    assert result.limit is not None and result.counts.rate > result.limit
    assert result.tail is not None and result.tail > TAIL
    assert result.status == "normal"
    assert check(CHECKOUT, NOW, Counts(20, 7), [Counts(1000, 50)]).status == "breach"


@pytest.mark.parametrize(("volume", "negatives"), [(-1, 0), (5, -1), (5, 6)])
def test_impossible_counts_are_refused(volume: int, negatives: int) -> None:
    with pytest.raises(ValueError, match="counts out of range"):
        Counts(volume, negatives)


def test_a_naive_hour_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        check(AGENT, datetime(2026, 11, 23, 8), Counts(30, 1), [Counts(1000, 50)])


# --- baseline hours --------------------------------------------------------------------------------


def test_a_weekday_hour_reads_the_same_local_hour_on_the_preceding_weekdays() -> None:
    # WHEN the baseline of Monday 09:00 Oslo (08:00 UTC in winter) is listed
    keys = baseline_hours(NOW, OSLO)
    # THEN it holds the twenty weekdays of the four weeks before, oldest first, at 08 UTC
    assert len(keys) == 20
    assert keys[0] == "2026-10-26T08" and keys[-1] == "2026-11-20T08"
    assert all(key.endswith("T08") for key in keys)
    assert keys == sorted(keys)


def test_a_weekend_hour_reads_weekend_days_only() -> None:
    keys = baseline_hours(local(OSLO, 2026, 11, 22, 14), OSLO)
    assert len(keys) == 8
    assert {datetime.strptime(key, "%Y-%m-%dT%H").weekday() for key in keys} == {5, 6}


def test_the_baseline_follows_the_wall_clock_across_a_dst_change() -> None:
    # GIVEN Monday 09:00 Oslo just after the clocks went forward on 29 March 2026 (07:00 UTC)
    keys = baseline_hours(local(OSLO, 2026, 4, 6, 9), OSLO)
    # THEN the weekdays before the change read 08 UTC and those after it 07 UTC
    assert [key for key in keys if key < "2026-03-29"] == [
        f"2026-03-{day:02d}T08" for day in (9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 25, 26, 27)
    ]
    assert [key for key in keys if key > "2026-03-29"] == [
        f"2026-{d}T07" for d in ("03-30", "03-31", "04-01", "04-02", "04-03")
    ]


def test_a_skipped_local_hour_is_left_out_and_a_repeated_one_read_twice() -> None:
    # GIVEN Sunday 02:00 Oslo a week after the spring-forward gap, then one after the fall-back repeat
    spring = baseline_hours(local(OSLO, 2026, 4, 5, 2), OSLO)
    autumn = baseline_hours(local(OSLO, 2026, 11, 1, 2), OSLO)
    # THEN the gap day gives no hour and the repeat day both of its UTC hours
    assert len(spring) == 7 and not any(key.startswith("2026-03-29") for key in spring)
    assert len(autumn) == 9
    assert [key for key in autumn if key.startswith("2026-10-25")] == ["2026-10-25T00", "2026-10-25T01"]


# --- open and closed -------------------------------------------------------------------------------


def run(statuses: str) -> list[tuple[bool, bool, bool]]:
    """Feed a sequence of checks (B = breach, N = normal, S = skipped); (alert, closed, open) per hour."""
    state: State | None = None
    steps = []
    for index, letter in enumerate(statuses):
        status = {"B": "breach", "N": "normal", "S": "skipped"}[letter]
        step = advance(state, Check(AGENT, NOW + timedelta(hours=index), status, Counts()))  # type: ignore[arg-type]
        state = step.state
        steps.append((step.alert, step.closed, state.open))
    return steps


def test_a_breach_alerts_once_until_the_group_is_back_to_normal() -> None:
    # WHEN a group breaches three hours running, is normal for two, then breaches again
    steps = run("BBBNNB")
    # THEN it alerts on the first breach and the one after the close only
    assert [alert for alert, _, _ in steps] == [True, False, False, False, False, True]
    assert [closed for _, closed, _ in steps] == [False, False, False, False, True, False]
    assert CLEAR_HOURS == 2


def test_one_normal_hour_between_breaches_does_not_repeat_the_alert() -> None:
    assert [alert for alert, _, _ in run("BNBNB")] == [True, False, False, False, False]


def test_a_skipped_hour_neither_opens_closes_nor_counts_towards_clearing() -> None:
    steps = run("SBNSBNSN")
    assert [alert for alert, _, _ in steps] == [False, True] + [False] * 6
    assert [is_open for _, _, is_open in steps] == [False, True, True, True, True, True, True, False]


def test_the_open_anomaly_keeps_its_first_hour() -> None:
    first = advance(None, Check(AGENT, NOW, "breach", Counts()))
    later = advance(first.state, Check(AGENT, NOW + timedelta(hours=1), "breach", Counts()))
    assert later.state.since == NOW


# --- release markers -------------------------------------------------------------------------------

START = utc(2026, 11, 23, 10)


def test_a_tag_spike_right_after_a_release_names_the_release() -> None:
    # GIVEN a checkout release at 09:40 and an unrelated one at 09:50
    release = Marker("checkout", "2.4.0", utc(2026, 11, 23, 9, 40))
    markers = [Marker("search", "1.1.0", utc(2026, 11, 23, 9, 50)), release]
    # WHEN the checkout anomaly that starts at 10:00 is attributed
    # THEN the checkout release is named
    assert attribute(START, CHECKOUT, markers) == release


def test_a_release_inside_the_first_breaching_hour_counts() -> None:
    release = Marker("Checkout", "2.4.0", utc(2026, 11, 23, 10, 20))
    assert attribute(START, CHECKOUT, [release]) == release
    assert attribute(START, CHECKOUT, [Marker("checkout", "2.4.0", utc(2026, 11, 23, 11))]) is None


def test_a_release_outside_the_window_is_not_named() -> None:
    old = Marker("checkout", "2.3.0", START - timedelta(hours=7))
    assert attribute(START, CHECKOUT, [old], window=timedelta(hours=6)) is None
    assert attribute(START, CHECKOUT, [old], window=timedelta(hours=8)) == old


def test_the_latest_fitting_release_wins() -> None:
    first = Marker("checkout", "2.4.0", START - timedelta(hours=3))
    second = Marker("checkout", "2.4.1", START - timedelta(hours=1))
    assert attribute(START, CHECKOUT, [second, first]) == second


def test_an_agent_anomaly_is_never_put_on_a_release() -> None:
    marker = Marker("agent-7", "1.0", START - timedelta(minutes=5))
    assert attribute(START, AGENT, [marker]) is None
    assert attribute(START, Group("component", "agent-7"), [marker]) == marker


# --- properties ------------------------------------------------------------------------------------

rates = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
volumes = st.integers(min_value=1, max_value=100_000)


@given(rates, volumes)
def test_the_limit_lies_between_the_centre_and_one(centre: float, volume: int) -> None:
    assert centre <= upper_limit(centre, volume) <= 1.0


@given(rates, volumes, volumes)
def test_the_limit_narrows_as_the_hour_grows(centre: float, small: int, large: int) -> None:
    small, large = sorted((small, large))
    assert upper_limit(centre, large) <= upper_limit(centre, small)


@given(
    st.lists(st.tuples(st.integers(0, 500), st.floats(0, 1)), min_size=1, max_size=30),
    st.integers(MIN_HOUR_VOLUME, 1000),
    st.floats(0, 1),
)
def test_an_hour_at_or_below_the_centre_line_never_breaches(
    baseline: list[tuple[int, float]], volume: int, share: float
) -> None:
    counts = [Counts(n, int(n * fraction)) for n, fraction in baseline]
    pooled = sum(counts, Counts())
    negatives = min(volume, int(volume * pooled.rate * share))
    result = check(CHECKOUT, NOW, Counts(volume, negatives), counts)
    assert not result.breach
    if pooled.volume >= MIN_BASELINE_VOLUME:
        assert result.status == "normal"
        assert result.centre == pytest.approx(pooled.rate)


@given(st.text(alphabet="BNS", min_size=1, max_size=40))
def test_alerts_match_the_openings_and_never_repeat_while_open(statuses: str) -> None:
    steps = run(statuses)
    was_open = [False] + [is_open for _, _, is_open in steps[:-1]]
    for (alert, closed, is_open), before in zip(steps, was_open, strict=True):
        assert alert == (is_open and not before)
        assert closed == (before and not is_open)


@given(st.integers(0, 60), st.integers(0, 60), rates)
def test_the_binomial_tail_matches_the_exact_sum(volume: int, negatives: int, rate: float) -> None:
    exact = sum(
        math.comb(volume, k) * rate**k * (1 - rate) ** (volume - k) for k in range(negatives, volume + 1)
    )
    assert binomial_tail(volume, negatives, rate) == pytest.approx(exact, rel=1e-9, abs=1e-15)


@given(st.integers(1, 200_000), rates)
def test_the_binomial_tail_from_zero_is_certain_and_past_the_volume_impossible(
    volume: int, rate: float
) -> None:
    assert binomial_tail(volume, 0, rate) == 1.0
    assert binomial_tail(volume, volume + 1, rate) == 0.0
