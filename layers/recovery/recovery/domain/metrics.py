"""The arithmetic of reports: duration histograms, rates and scores, period changes, and hours in a
team's time zone. Pure: no storage, no clock; every input comes from pre-aggregated counters.

Durations (time to alert, acknowledge, resolve) are counted in fixed buckets. A bucket is named by its
upper bound in seconds and holds the durations d with `previous bound < d <= bound`; the first bucket
starts at 0 and the last one is open (`math.inf`).

- `percentile` interpolates linearly inside the bucket that holds the rank, as if the durations in it
  were spread evenly. The true value lies in the same bucket, so the error is at most that bucket's
  width (15 s below a minute, 30 min around an hour). A rank in the open bucket returns its lower
  bound (48 h): an "at least" figure.
- `percentile_bucket` names the bucket that holds a quantile, so a report can state its resolution
  ("p90 13 s, in the bucket 0-15 s") instead of a false precision.
- `share_within(buckets, s)` is exact when `s` is a bound (60 for "within one minute"); otherwise it
  interpolates inside the bucket the same way.

Counters are keyed by the UTC hour of the interaction ("2026-11-22T10"). For a team's own clock:
- `local_hour_and_weekday` attributes a UTC hour to the local hour in which it starts. That is exact
  for zones whose offset is whole hours (DST included). For zones with a 30 or 45 minute offset
  (Australia/Adelaide, Asia/Kathmandu) it is an approximation: 10:00-11:00 UTC in Kathmandu is
  15:45-16:45 local, counted wholly as 15:00.
- `utc_hours(date_from, date_to, zone)` lists the UTC hours attributed, by that same rule, to the
  local dates from `date_from` to `date_to` inclusive: 23 for a spring-forward day, 25 for a fall-back
  day, 24 otherwise.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

# Upper bounds in seconds: 15 s .. 2 days, then open.
BOUNDS: tuple[float, ...] = (
    15,
    30,
    60,
    120,
    300,
    600,
    900,
    1800,
    3600,
    7200,
    14400,
    28800,
    86400,
    172800,
    math.inf,
)
PREVIOUS_WEEKS = 4  # the digest compares a week with the mean of the four before it
HOUR_FORMAT = "%Y-%m-%dT%H"
_HOUR_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

Buckets = Mapping[float, int]


# --- duration histograms ----------------------------------------------------------------------------


def bucket_of(seconds: float) -> float:
    """The bucket (its upper bound) a duration falls in. A negative duration (clocks a little apart)
    counts as 0."""
    if math.isnan(seconds):
        raise ValueError("a duration can't be NaN")
    for bound in BOUNDS:
        if seconds <= bound:
            return bound
    return BOUNDS[-1]  # pragma: no cover - the last bound is infinite


def histogram(durations: Iterable[float]) -> dict[float, int]:
    """Durations counted per bucket, empty buckets left out."""
    return dict(Counter(bucket_of(seconds) for seconds in durations))


def _lower(bound: float) -> float:
    index = BOUNDS.index(bound)
    return BOUNDS[index - 1] if index else 0.0


def _counts(buckets: Buckets) -> list[tuple[float, int]]:
    """(bound, count) in bound order; unknown bounds and negative counts are refused."""
    for bound, count in buckets.items():
        if bound not in BOUNDS:
            raise ValueError(f"not a bucket bound: {bound}")
        if count < 0:
            raise ValueError(f"a negative count in bucket {bound}")
    return [(bound, buckets[bound]) for bound in BOUNDS if buckets.get(bound)]


def percentile(buckets: Buckets, q: float) -> float | None:
    """The q-quantile (0 <= q <= 1; 0.5 for p50) in seconds, interpolated linearly inside its bucket;
    None when there is nothing counted. See the module notes for the error bound."""
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    counts = _counts(buckets)
    total = sum(count for _, count in counts)
    if not total:
        return None
    rank = q * total
    below = 0
    for bound, count in counts:
        if rank <= below + count:
            lower = _lower(bound)
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / count
        below += count
    return counts[-1][0]  # pragma: no cover - rank <= total always lands in a bucket


class Bucket(NamedTuple):
    """One histogram bucket: durations d with `lower < d <= upper` (the first from 0); `upper` is None
    for the open last bucket."""

    lower: float
    upper: float | None


def percentile_bucket(buckets: Buckets, q: float) -> Bucket | None:
    """The bucket that holds the q-quantile: the true value lies in it, whatever `percentile`
    interpolates. None when there is nothing counted."""
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    counts = _counts(buckets)
    total = sum(count for _, count in counts)
    if not total:
        return None
    rank, below = q * total, 0
    for bound, count in counts:
        if rank <= below + count:
            return Bucket(_lower(bound), None if math.isinf(bound) else bound)
        below += count
    return None  # pragma: no cover - rank <= total always lands in a bucket


def share_within(buckets: Buckets, seconds: float) -> float | None:
    """The share (0..1) of durations at most `seconds`; None when there is nothing counted."""
    counts = _counts(buckets)
    total = sum(count for _, count in counts)
    if not total:
        return None
    within = 0.0
    for bound, count in counts:
        lower = _lower(bound)
        if bound <= seconds:
            within += count
        elif lower < seconds and not math.isinf(bound):
            within += count * (seconds - lower) / (bound - lower)
    return within / total


# --- rates and scores -------------------------------------------------------------------------------


def rate(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, or None when there is nothing to divide by."""
    return numerator / denominator if denominator else None


def recovery_rate(recovered: int, answered: int) -> float | None:
    """Recovered customers over those who answered the follow-up."""
    return rate(recovered, answered)


def response_rate(answered: int, sent: int) -> float | None:
    """Follow-ups answered over follow-ups sent."""
    return rate(answered, sent)


def _tally(scores: Iterable[float] | Mapping[float, int]) -> Mapping[float, int]:
    if isinstance(scores, Mapping):
        if any(count < 0 for count in scores.values()):
            raise ValueError("a negative count")
        return scores
    return Counter(scores)


def mean(scores: Iterable[float] | Mapping[float, int]) -> float | None:
    """The mean of scores given one by one or as {score: count}; None when there are none."""
    tally = _tally(scores)
    total = sum(tally.values())
    return rate(sum(score * count for score, count in tally.items()), total)


def nps(scores: Iterable[int] | Mapping[int, int]) -> float | None:
    """Net promoter score in points (-100..100): the share of 9-10 minus the share of 0-6, from 0-10
    scores given one by one or as {score: count}; None when there are none."""
    tally = _tally(scores)
    for score in tally:
        if score not in range(11):
            raise ValueError(f"not a 0-10 score: {score}")
    total = sum(tally.values())
    promoters = sum(count for score, count in tally.items() if score >= 9)
    detractors = sum(count for score, count in tally.items() if score <= 6)
    share = rate(promoters - detractors, total)
    return None if share is None else 100 * share


# --- compensation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compensation:
    """One compensation given: an amount in a currency (ISO 4217), of a type ("refund", "voucher")."""

    currency: str
    kind: str
    amount: Decimal

    def __post_init__(self) -> None:
        if not _CURRENCY.match(self.currency):
            raise ValueError(f"not a currency code: {self.currency!r}")
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite() or self.amount < 0:
            raise ValueError("an amount must be a finite, non-negative Decimal")


def compensation_totals(items: Iterable[Compensation]) -> dict[str, dict[str, Decimal]]:
    """{currency: {type: total}}. Currencies are never added together."""
    totals: dict[str, dict[str, Decimal]] = {}
    for item in items:
        by_kind = totals.setdefault(item.currency, {})
        by_kind[item.kind] = by_kind.get(item.kind, Decimal(0)) + item.amount
    return totals


def currency_totals(totals: Mapping[str, Mapping[str, Decimal]]) -> dict[str, Decimal]:
    """{currency: total over all types} from compensation_totals."""
    return {currency: sum(by_kind.values(), Decimal(0)) for currency, by_kind in totals.items()}


def cost_per_recovered(totals: Mapping[str, Decimal], recovered: int) -> dict[str, Decimal | None]:
    """{currency: total / recovered customers}, rounded half up to the places the total is kept in
    (cents for "12.50", whole yen for "300"); None per currency when no customer was recovered."""
    result: dict[str, Decimal | None] = {}
    for currency, total in totals.items():
        if not recovered:
            result[currency] = None
            continue
        exponent = total.as_tuple().exponent
        places = Decimal(1).scaleb(exponent) if isinstance(exponent, int) and exponent < 0 else Decimal(1)
        result[currency] = (total / recovered).quantize(places, rounding=ROUND_HALF_UP)
    return result


# --- periods ----------------------------------------------------------------------------------------


class PeriodChange(NamedTuple):
    """A figure against the previous period: the difference, and that difference over the previous
    value (0.25 for +25 %). Each is None where it can't be computed."""

    absolute: float | None
    relative: float | None


def period_change(current: float | None, previous: float | None) -> PeriodChange:
    """current - previous, and that over previous (None when previous is 0 or either is missing)."""
    if current is None or previous is None:
        return PeriodChange(None, None)
    absolute = current - previous
    return PeriodChange(absolute, rate(absolute, previous))


def previous_weeks_mean(weeks: Sequence[float | None]) -> float | None:
    """The mean of the last four weeks given (oldest first), leaving out weeks without a figure (a
    rate over nothing); None when no week has one."""
    known = [value for value in weeks[-PREVIOUS_WEEKS:] if value is not None]
    return mean(known)


# --- hours in a team's time zone --------------------------------------------------------------------


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class LocalHour(NamedTuple):
    hour: int  # 0..23 on the team's wall clock
    weekday: int  # 0 = Monday, as date.weekday()


def hour_key(moment: datetime) -> str:
    """The UTC hour key of an aware instant: "2026-11-22T10"."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime: pass an aware time")
    return moment.astimezone(UTC).strftime(HOUR_FORMAT)


def hour_start(utc_hour: str) -> datetime:
    """The instant a UTC hour key starts."""
    if not _HOUR_KEY.match(utc_hour):
        raise ValueError(f"not a UTC hour key (YYYY-MM-DDTHH): {utc_hour!r}")
    return datetime.strptime(utc_hour, HOUR_FORMAT).replace(tzinfo=UTC)


def local_hour_and_weekday(utc_hour: str, zone: str) -> LocalHour:
    """The local hour and weekday a UTC hour counts toward in `zone`: the one it starts in."""
    local = hour_start(utc_hour).astimezone(_zone(zone))
    return LocalHour(local.hour, local.weekday())


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    """The instant local `day` begins. A midnight lost to DST resolves to the moment the clock jumps."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(hours=1)


def utc_hours(date_from: date, date_to: date, zone: str) -> list[str]:
    """The UTC hour keys whose start falls on a local date from `date_from` to `date_to` inclusive."""
    if date_to < date_from:
        raise ValueError("date_to is before date_from")
    place = _zone(zone)
    hour = _ceil_hour(_day_start(date_from, place))
    end = _ceil_hour(_day_start(date_to + timedelta(days=1), place))
    keys = []
    while hour < end:
        keys.append(hour.strftime(HOUR_FORMAT))
        hour += timedelta(hours=1)
    return keys
