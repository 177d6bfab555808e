"""Anomalies in the negative rate: a p-chart per group (team, tag or agent) and hour, whether to alert,
and which release marker likely caused one. Pure: the caller reads the counters and passes them in.

The check, for one group and one finished hour:
- Centre line p̄: the pooled negative rate of the baseline, sum(negatives) / sum(volume).
- Upper control limit for the hour's volume n: UCL = p̄ + 3·sqrt(p̄(1-p̄)/n), at most 1.
- A breach: the hour's rate is above the UCL, at least MIN_BREACH_NEGATIVES responses were negative, and
  the exact binomial chance of that many negatives at p̄ (`tail`) is at most TAIL, the one-sided 3-sigma
  share. The last guard is there because an hour of a few dozen responses at a low rate is far from
  normal: its right skew alone would put about 1% of quiet hours above the UCL, instead of 0.135%.

The baseline is the same local hour of day, on days of the same kind (weekday or weekend), over the
preceding BASELINE_WEEKS weeks, in the team's time zone (`baseline_hours`). Why not all hours: the
negative rate follows the clock (the morning after a night's backlog runs hotter for everyone), so an
all-hours baseline would flag every ordinary morning and miss nothing a same-hour one would catch.
Why not only the same hour of the week: four samples of one agent's Monday 9 to 10 am hold too little
volume to estimate p̄, so most agents would be skipped. Twenty weekday 9 to 10 am hours of that agent
do hold enough, and a spike at 9 to 10 am on their shift stands out against them.

Too little volume is skipped, not judged: below MIN_BASELINE_VOLUME in the baseline p̄ is a guess, and
below MIN_HOUR_VOLUME in the hour one or two negatives swing the rate past any limit.
MIN_BREACH_NEGATIVES keeps a group with a near-zero p̄ (UCL and tail near zero) from alerting on a stray
complaint or two.

Open and closed (`advance`): the leads are alerted once, on the hour a group goes from normal to
breach. The anomaly stays open (no repeat) until CLEAR_HOURS checked hours in a row are back within
the limit. A skipped hour neither opens nor closes one, nor counts towards clearing it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

BASELINE_WEEKS = 4
MIN_BASELINE_VOLUME = 200
MIN_HOUR_VOLUME = 20
MIN_BREACH_NEGATIVES = 3
SIGMAS = 3
TAIL = 0.00135  # the normal share above 3 sigma
CLEAR_HOURS = 2
ATTRIBUTION_WINDOW = timedelta(hours=6)  # a release this long before an anomaly may have caused it
HOUR = timedelta(hours=1)

Dimension = Literal["team", "tag", "agent", "component"]
Status = Literal["breach", "normal", "skipped"]


@dataclass(frozen=True, order=True)
class Group:
    dimension: Dimension
    value: str


@dataclass(frozen=True)
class Counts:
    """One hour's (or a baseline's) counters for a group."""

    volume: int = 0
    negatives: int = 0

    def __post_init__(self) -> None:
        if self.volume < 0 or self.negatives < 0 or self.negatives > self.volume:
            raise ValueError(f"counts out of range: {self.negatives} negatives of {self.volume}")

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.volume + other.volume, self.negatives + other.negatives)

    @property
    def rate(self) -> float:
        return self.negatives / self.volume if self.volume else 0.0


@dataclass(frozen=True)
class Check:
    """The verdict on one group's hour. `reason` says why a check was skipped; centre and limit are
    None when the baseline is too thin to compute them."""

    group: Group
    hour: datetime
    status: Status
    counts: Counts
    centre: float | None = None
    limit: float | None = None
    reason: str | None = None
    tail: float | None = None  # over the limit: the binomial chance of this many negatives at p̄ or more

    @property
    def breach(self) -> bool:
        return self.status == "breach"


@dataclass(frozen=True)
class Marker:
    """A release: `component` at `version` went out at `at`."""

    component: str
    version: str
    at: datetime


@dataclass(frozen=True)
class State:
    """A group's anomaly state between hourly checks. `since` is the first breaching hour of the open
    anomaly; `clear_hours` counts the in-control hours in a row since the last breach."""

    open: bool = False
    since: datetime | None = None
    clear_hours: int = 0


@dataclass(frozen=True)
class Step:
    state: State
    alert: bool  # the group just went into breach: alert the leads once
    closed: bool  # the open anomaly is back to normal this hour


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a naive datetime: pass an aware UTC time")
    return at


def hour_key(at: datetime) -> str:
    """The counter key of the UTC hour holding `at`: "2026-11-22T10"."""
    return _aware(at).astimezone(UTC).strftime("%Y-%m-%dT%H")


def upper_limit(centre: float, volume: int, sigmas: float = SIGMAS) -> float:
    """The p-chart upper control limit for an hour of `volume` responses, capped at 1."""
    if not 0.0 <= centre <= 1.0:
        raise ValueError(f"a rate must lie in [0, 1], not {centre}")
    if volume <= 0:
        raise ValueError("the hour's volume must be positive")
    return min(1.0, centre + sigmas * math.sqrt(centre * (1.0 - centre) / volume))


def check(group: Group, hour: datetime, current: Counts, baseline: Iterable[Counts]) -> Check:
    """Judge the finished hour starting at `hour` against the pooled `baseline` hours."""
    _aware(hour)
    pooled = sum(baseline, Counts())
    if pooled.volume < MIN_BASELINE_VOLUME:
        reason = f"baseline volume {pooled.volume} is below {MIN_BASELINE_VOLUME}"
        return Check(group, hour, "skipped", current, reason=reason)
    centre = pooled.rate
    if current.volume < MIN_HOUR_VOLUME:
        reason = f"hour volume {current.volume} is below {MIN_HOUR_VOLUME}"
        return Check(group, hour, "skipped", current, centre=centre, reason=reason)
    limit = upper_limit(centre, current.volume)
    # The tail is only needed over the limit, where it is also quick to sum (k is past the mean).
    tail = binomial_tail(current.volume, current.negatives, centre) if current.rate > limit else None
    breach = tail is not None and tail <= TAIL and current.negatives >= MIN_BREACH_NEGATIVES
    status: Status = "breach" if breach else "normal"
    return Check(group, hour, status, current, centre=centre, limit=limit, tail=tail)


def binomial_tail(volume: int, negatives: int, rate: float) -> float:
    """P(X >= negatives) for X ~ Binomial(volume, rate), summed in log space from `negatives` up until the
    terms stop mattering (past the mean they only shrink)."""
    if negatives <= 0:
        return 1.0
    if negatives > volume or rate <= 0.0:
        return 0.0
    if rate >= 1.0:
        return 1.0
    log_p, log_q = math.log(rate), math.log1p(-rate)
    total = 0.0
    for k in range(negatives, volume + 1):
        term = math.exp(
            math.lgamma(volume + 1)
            - math.lgamma(k + 1)
            - math.lgamma(volume - k + 1)
            + k * log_p
            + (volume - k) * log_q
        )
        total += term
        if k > volume * rate and term < total * 1e-16:
            break
    return min(1.0, total)


def advance(previous: State | None, result: Check) -> Step:
    """The group's state after this hour's check, and whether to alert or close."""
    state = previous or State()
    if result.status == "skipped":
        return Step(state, alert=False, closed=False)
    if result.breach:
        if state.open:
            return Step(State(True, state.since, 0), alert=False, closed=False)
        return Step(State(True, result.hour, 0), alert=True, closed=False)
    if not state.open:
        return Step(State(), alert=False, closed=False)
    clear = state.clear_hours + 1
    if clear >= CLEAR_HOURS:
        return Step(State(), alert=False, closed=True)
    return Step(State(True, state.since, clear), alert=False, closed=False)


def attribute(
    anomaly_start: datetime, group: Group, markers: Iterable[Marker], window: timedelta = ATTRIBUTION_WINDOW
) -> Marker | None:
    """The release marker that likely started the anomaly: one for the group's tag or component that went
    out within `window` before the first breaching hour, or during that hour (the counters are hourly, so a
    release at 10:20 can cause the 10:00 hour's breach). The latest such marker wins; None if none fits."""
    _aware(anomaly_start)
    if group.dimension not in ("tag", "component"):
        return None
    name = group.value.casefold()
    fits = [
        marker
        for marker in markers
        if marker.component.casefold() == name
        and anomaly_start - window <= _aware(marker.at) < anomaly_start + HOUR
    ]
    return max(fits, key=lambda marker: marker.at, default=None)


def baseline_hours(hour: datetime, timezone: str, weeks: int = BASELINE_WEEKS) -> list[str]:
    """The UTC counter keys of the baseline for the hour starting at `hour`: the same local hour of day on
    each preceding day of the same kind (weekday or weekend) within `weeks` weeks, in `timezone`, oldest
    first. A local hour that a spring-forward skips is left out that day; one a fall-back repeats gives
    both UTC hours."""
    zone = ZoneInfo(timezone)
    local = _aware(hour).astimezone(zone)
    weekend = local.weekday() >= 5
    keys: list[str] = []
    for back in range(weeks * 7, 0, -1):
        day = local.date() - timedelta(days=back)
        if (day.weekday() >= 5) == weekend:
            keys += [hour_key(moment) for moment in _instants(zone, day, local.hour)]
    return keys


def _instants(zone: ZoneInfo, day: date, hour: int) -> Iterator[datetime]:
    wall = datetime.combine(day, time(hour))
    for fold in (0, 1):
        moment = wall.replace(tzinfo=zone, fold=fold).astimezone(UTC)
        if moment.astimezone(zone).replace(tzinfo=None) == wall and (fold == 0 or _repeated(zone, wall)):
            yield moment


def _repeated(zone: ZoneInfo, wall: datetime) -> bool:
    return wall.replace(tzinfo=zone, fold=0).utcoffset() != wall.replace(tzinfo=zone, fold=1).utcoffset()
