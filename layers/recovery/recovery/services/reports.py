"""Reports from the hourly counters: metrics for a team over local dates, breakdowns, trends, the
dashboard document, and CSV. A report never reads raw feedback: it reads one Query of counter items per
team (days x groups), so its cost does not grow with feedback.

Every figure is cohorted by the hour of the interaction (`occurred_at`): a case acknowledged on Tuesday
for a complaint made on Monday counts on Monday. Local dates and hours are the team's (`Team.timezone`);
a UTC hour counts toward the local hour it starts in (see `recovery.domain.metrics`). The pseudo-team
"all" sums every configured team's counters, in UTC.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal, Protocol
from urllib.parse import quote, unquote

from recovery.domain import metrics as m
from recovery.domain.anomaly import upper_limit
from recovery.domain.cases import CAUSE_CATEGORIES, cause_category
from recovery.domain.routing import ClosingTarget, Team

ALL = "all"  # every configured team, summed, in UTC
DIMENSIONS = ("agent", "tag", "cause", "channel", "source", "comptype")  # carried in counter names
LOCAL_DIMENSIONS = ("hour", "weekday")  # derived from the hour key in the team's zone
# "team": each team's own counters (for "all": every team); "category": root causes summed by
# their cause-and-effect category
BY = DIMENSIONS + LOCAL_DIMENSIONS + ("team", "category")
CONTROL_DIMENSIONS = ("tag", "agent")  # the groups the anomaly check watches, besides the team
INTERVALS = ("day", "week")
MAX_DAYS = 400
DEFAULT_DAYS = 30
CENT = Decimal("0.01")
HEADLINE = (
    "volume",
    "negative_rate",
    "alerted_within_1m",
    "alert_p90_s",
    "ack_in_sla_rate",
    "resolve_in_sla_rate",
    "followup_response_rate",
    "recovery_rate",
    "nps_after_recovered",
)
# The dashboard's funnel: (step, counter). After the negatives, each step counts the cases that passed
# every step before it (recovery.domain.changes.funnel_stages), so no step outnumbers the one before.
FUNNEL = (
    ("negative", "negatives"),
    ("alerted", "funnel_alerted"),
    ("acknowledged", "funnel_acked"),
    ("resolved", "funnel_resolved"),
    ("followed_up", "funnel_followup_sent"),
    ("answered", "funnel_answered"),
    ("recovered", "funnel_recovered"),
)
THUMBS = {"up": 1.0, "down": 0.0}  # a thumbs mean is the share of thumbs up

Number = int | Decimal
HourCounts = Mapping[str, Mapping[str, Number]]  # {"2026-11-22T10": {counter name: value}}
Interval = Literal["day", "week"]


class CounterSource(Protocol):
    """What reports need of `recovery.store.counters.CounterReader`."""

    def hours(self, team: str, first_hour: str, last_hour: str) -> HourCounts: ...


class UnknownTeam(LookupError):
    """No configured team by that id (HTTP 404)."""


class BadPeriod(ValueError):
    """A date range a report refuses (HTTP 400)."""


@dataclass(frozen=True)
class Group:
    """One group of a counter dimension, as the control chart and the anomaly check name it."""

    dimension: str  # "tag" or "agent"
    value: str


def parse_name(name: str) -> tuple[str, str | None, str | None]:
    """(metric, dimension, value) of a counter name: "negatives|tag|wait-time" -> ("negatives", "tag",
    "wait-time"); a whole-team counter has no dimension."""
    parts = name.split("|")
    if len(parts) == 3:
        return parts[0], parts[1], unquote(parts[2])
    return name, None, None


def check_period(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise BadPeriod("to is before from")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise BadPeriod(f"a report covers at most {MAX_DAYS} days")


# --------------------------------------------------------------------------------- aggregation
@dataclass
class Tally:
    """Counters summed over some hours: the whole team, and each (dimension, value) group."""

    total: dict[str, Number] = field(default_factory=dict)
    groups: dict[tuple[str, str], dict[str, Number]] = field(default_factory=dict)

    def add(self, counts: Mapping[str, Number]) -> None:
        for name, value in counts.items():
            metric, dimension, group = parse_name(name)
            if dimension is None or group is None:
                target = self.total
            else:
                target = self.groups.setdefault((dimension, group), {})
            target[metric] = target.get(metric, 0) + value


def tally(hours: Iterable[Mapping[str, Number]]) -> Tally:
    result = Tally()
    for counts in hours:
        result.add(counts)
    return result


def _int(counts: Mapping[str, Number], name: str) -> int:
    return int(counts.get(name, 0))


def _buckets(counts: Mapping[str, Number], prefix: str) -> dict[float, int]:
    found: dict[float, int] = {}
    for name, value in counts.items():
        if name.startswith(prefix + ":"):
            bound = name[len(prefix) + 1 :]
            found[math.inf if bound == "inf" else float(bound)] = int(value)
    return found


def _scores(counts: Mapping[str, Number], prefix: str) -> dict[str, dict[str, int]]:
    """{score type: {value: count}} from `<prefix>:<type>:<value>` counters."""
    found: dict[str, dict[str, int]] = {}
    for name, value in counts.items():
        parts = name.split(":", 2)
        if len(parts) == 3 and parts[0] == prefix and int(value):
            found.setdefault(parts[1], {})[parts[2]] = int(value)
    return found


def _score_value(value: str) -> float:
    return THUMBS[value] if value in THUMBS else float(value)


def _means(counts: Mapping[str, Number], prefix: str) -> dict[str, float | None]:
    return {
        kind: m.mean({_score_value(value): n for value, n in values.items()})
        for kind, values in sorted(_scores(counts, prefix).items())
    }


def _nps(counts: Mapping[str, Number], prefix: str) -> float | None:
    values = _scores(counts, prefix).get("nps", {})
    return m.nps({int(value): n for value, n in values.items()}) if values else None


def _money(amount: Decimal) -> str:
    return str(amount.quantize(CENT))


def _compensation(
    total: Mapping[str, Number], by_type: Mapping[str, Mapping[str, Number]]
) -> dict[str, dict[str, Any]]:
    """{currency: {"total", "by_type"}}: `by_type` maps a compensation type to its own counters."""
    result: dict[str, dict[str, Any]] = {}
    for name, value in sorted(total.items()):
        if name.startswith("comp:"):
            currency = name[5:]
            types = {
                kind: _money(Decimal(counts.get(name, 0)))
                for kind, counts in sorted(by_type.items())
                if counts.get(name)
            }
            result[currency] = {"total": _money(Decimal(value)), "by_type": types}
    return result


def _value(total: Mapping[str, Number], compensation: Mapping[str, Decimal]) -> dict[str, dict[str, str]]:
    """{currency: {"at_risk", "retained", "compensation", "net", "at_risk_repeat"}} as decimal strings
    (docs/reports.md): the value of the customers whose negative opened a case, of those recovered, the
    compensation given, and net = retained - compensation. Currencies are never added together."""
    sums: dict[str, dict[str, Decimal]] = {}
    for name, amount in total.items():
        metric, colon, currency = name.partition(":")
        if colon and metric in _VALUE_COUNTERS and "|" not in currency:
            sums.setdefault(currency, {})[_VALUE_COUNTERS[metric]] = Decimal(amount)
    for currency, amount in compensation.items():
        sums.setdefault(currency, {})["compensation"] = amount
    result: dict[str, dict[str, str]] = {}
    for currency, found in sorted(sums.items()):
        zero = Decimal(0)
        retained, spent = found.get("retained", zero), found.get("compensation", zero)
        result[currency] = {
            "at_risk": _money(found.get("at_risk", zero)),
            "retained": _money(retained),
            "compensation": _money(spent),
            "net": _money(retained - spent),
            "at_risk_repeat": _money(found.get("at_risk_repeat", zero)),
        }
    return result


# Counter (`<name>:<CURRENCY>`, recovery.domain.changes.value_amounts) -> its figure in `value`
_VALUE_COUNTERS = {"value_risk": "at_risk", "value_kept": "retained", "value_risk_repeat": "at_risk_repeat"}


def compute(
    counts: Mapping[str, Number], by_type: Mapping[str, Mapping[str, Number]] | None = None
) -> dict[str, Any]:
    """Every report metric from summed counters (JSON-ready; null where undefined)."""
    n = {name: _int(counts, name) for name in _COUNTS}
    alert, ack, resolve = (_buckets(counts, prefix) for prefix in ("alert_s", "ack_s", "resolve_s"))
    compensation = _compensation(counts, by_type or {})
    totals = {currency: Decimal(entry["total"]) for currency, entry in compensation.items()}
    cost = m.cost_per_recovered(totals, n["recovered"])
    return {
        "volume": n["volume"],
        "negatives": n["negatives"],
        "negative_rate": m.rate(n["negatives"], n["volume"]),
        "cases": n["cases"],
        "repeats": n["repeats"],
        "repeat_rate": m.rate(n["repeats"], n["cases"]),
        "alerted": n["alerted"],
        "alerted_within_1m": m.share_within(alert, 60),
        "alert_p50_s": m.percentile(alert, 0.5),
        "alert_p90_s": m.percentile(alert, 0.9),
        "alert_p90_bucket": _bucket(alert, 0.9),
        "acked": n["acked"],
        "ack_p50_s": m.percentile(ack, 0.5),
        "ack_p90_s": m.percentile(ack, 0.9),
        "ack_p90_bucket": _bucket(ack, 0.9),
        "ack_in_sla_rate": m.rate(n["ack_in_sla"], n["acked"]),
        "resolved": n["resolved"],
        "resolve_p50_s": m.percentile(resolve, 0.5),
        "resolve_p90_s": m.percentile(resolve, 0.9),
        "resolve_p90_bucket": _bucket(resolve, 0.9),
        "resolve_in_sla_rate": m.rate(n["resolve_in_sla"], n["resolved"]),
        # Closing on time: resolved cases timed against the target recorded on each (docs/reports.md)
        "closed": n["closed"],
        "closed_in_target_rate": m.rate(n["closed_in_target"], n["closed"]),
        "closed_in_target_business_rate": m.rate(n["closed_in_target_business"], n["closed"]),
        "followup_sent": n["followup_sent"],
        "answered": n["answered"],
        "followup_response_rate": m.response_rate(n["answered"], n["followup_sent"]),
        "recovered": n["recovered"],
        "improved": n["improved"],
        "not_recovered": n["not_recovered"],
        "no_response": n["no_response"],
        "recovery_rate": m.recovery_rate(n["recovered"], n["answered"]),
        "score_before_mean": _means(counts, "before"),
        "score_after_mean": _means(counts, "after"),
        "nps_before_recovered": _nps(counts, "rbefore"),
        "nps_after_recovered": _nps(counts, "rafter"),
        "compensation": compensation,
        "cost_per_recovered": {
            currency: None if value is None else str(value) for currency, value in cost.items()
        },
        "value": _value(counts, totals),
    }


def _bucket(buckets: Mapping[float, int], q: float) -> dict[str, float | None] | None:
    """The histogram bucket holding a percentile, in seconds: `{"from_s", "to_s"}` (`to_s` null for
    the open last bucket, where the percentile is an "at least" figure). The percentile itself is
    interpolated inside it; the true value lies anywhere in the bucket."""
    found = m.percentile_bucket(buckets, q)
    return None if found is None else {"from_s": found.lower, "to_s": found.upper}


_COUNTS = (
    "volume",
    "negatives",
    "cases",
    "repeats",
    "alerted",
    "acked",
    "ack_in_sla",
    "resolved",
    "resolve_in_sla",
    "closed",
    "closed_in_target",
    "closed_in_target_business",
    "followup_sent",
    "answered",
    "recovered",
    "improved",
    "not_recovered",
    "no_response",
)


def closed_within_target(metrics: Mapping[str, Any], targets: Sequence[ClosingTarget]) -> dict[str, Any]:
    """The on-time share of a report: the share of the period's closed cases that closed within their
    target on the wall clock (`share`) and in business hours (`business_share`), null when none closed,
    beside the target (`target_hours`, `target_share`) of the team; for several teams their common
    target, each field null where the teams' targets differ."""
    hours = {target.hours for target in targets}
    shares = {target.share for target in targets}
    return {
        "target_hours": next(iter(hours)) if len(hours) == 1 else None,
        "target_share": next(iter(shares)) if len(shares) == 1 else None,
        "share": metrics.get("closed_in_target_rate"),
        "business_share": metrics.get("closed_in_target_business_rate"),
    }


def team_metrics(summed: Tally) -> dict[str, Any]:
    by_type = {
        value: counts for (dimension, value), counts in summed.groups.items() if dimension == "comptype"
    }
    return compute(summed.total, by_type)


# -------------------------------------------------------------------------------------- periods
@dataclass(frozen=True)
class Scope:
    """Whose counters a report reads and in which zone it reads local dates."""

    team: str
    teams: tuple[str, ...]  # the counter partitions summed
    timezone: str


def local_date(utc_hour: str, zone: str) -> date:
    return m.hour_start(utc_hour).astimezone(m._zone(zone)).date()


def period_start(day: date, interval: Interval, first: date) -> date:
    """The first local day of the trend period holding `day`: the day, or its week's Monday (not
    before the report's first day)."""
    if interval == "day":
        return day
    return max(first, day - timedelta(days=day.weekday()))


def _days(date_from: date, date_to: date) -> list[date]:
    return [date_from + timedelta(days=offset) for offset in range((date_to - date_from).days + 1)]


class Reports:
    def __init__(
        self,
        reader: CounterSource,
        teams: Callable[[], Sequence[Team]],
        markers: Callable[[datetime, datetime], list[dict[str, Any]]] | None = None,
        anomalies: Callable[[str], list[dict[str, Any]]] | None = None,
    ) -> None:
        self._reader = reader
        self._teams = teams
        self._markers = markers
        self._anomalies = anomalies
        self.items_read = 0  # counter items read by the last report, for the benchmark

    # ------------------------------------------------------------------------------- reading
    def scope(self, team_id: str) -> Scope:
        teams = list(self._teams())
        if team_id == ALL:
            return Scope(ALL, tuple(team.id for team in teams), "UTC")
        team = next((team for team in teams if team.id == team_id), None)
        if team is None:
            raise UnknownTeam(f"no team {team_id!r}")
        return Scope(team.id, (team.id,), getattr(team, "timezone", None) or "UTC")

    def closing_targets(self, scope: Scope) -> list[ClosingTarget]:
        """The closing targets of the scope's teams (`Team.closing_target`, else the default)."""
        wanted = set(scope.teams)
        return [
            getattr(team, "closing_target", None) or ClosingTarget()
            for team in self._teams()
            if team.id in wanted
        ]

    def _read_each(
        self, scope: Scope, date_from: date, date_to: date
    ) -> dict[str, dict[str, Mapping[str, Number]]]:
        """{team: {UTC hour key: counters}} of each of the scope's teams for the local dates given."""
        keys = m.utc_hours(date_from, date_to, scope.timezone)
        wanted = set(keys)
        each: dict[str, dict[str, Mapping[str, Number]]] = {}
        for team in scope.teams:
            found = self._reader.hours(team, keys[0], keys[-1])
            self.items_read += int(getattr(found, "items_read", len(found)))
            each[team] = {hour: counts for hour, counts in found.items() if hour in wanted}
        return each

    def _read(self, scope: Scope, date_from: date, date_to: date) -> dict[str, dict[str, Number]]:
        """{UTC hour key: counters summed over the scope's teams} for the local dates given."""
        return _sum_teams(self._read_each(scope, date_from, date_to))

    def open_anomalies(self, team_id: str) -> list[dict[str, Any]]:
        """The open anomalies of a team (of every team for "all"), as the dashboard lists them."""
        if self._anomalies is None:
            return []
        return [found for team in self.scope(team_id).teams for found in self._anomalies(team)]

    # ------------------------------------------------------------------------------- documents
    def metrics(self, team_id: str, date_from: date, date_to: date) -> dict[str, Any]:
        check_period(date_from, date_to)
        self.items_read = 0
        hours = self._read(self.scope(team_id), date_from, date_to)
        return team_metrics(tally(hours.values()))

    def summary(self, team_id: str, date_from: date, date_to: date, by: str | None = None) -> dict[str, Any]:
        check_period(date_from, date_to)
        self.items_read = 0
        scope = self.scope(team_id)
        each = self._read_each(scope, date_from, date_to)
        hours = _sum_teams(each)
        summed = tally(hours.values())
        if by == "team":
            groups = [
                {"value": team, "metrics": team_metrics(tally(team_hours.values()))}
                for team, team_hours in sorted(each.items())
            ]
        else:
            groups = breakdown(hours, summed, by, scope.timezone) if by else []
        metrics = team_metrics(summed)
        return {
            "team": scope.team,
            "timezone": scope.timezone,
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "metrics": metrics,
            "closed_within_target": closed_within_target(metrics, self.closing_targets(scope)),
            "value": metrics["value"],  # per currency: at risk, retained, compensation, net
            "by": by,
            "groups": groups,
        }

    def trend(
        self, team_id: str, date_from: date, date_to: date, interval: Interval = "day"
    ) -> dict[str, Any]:
        check_period(date_from, date_to)
        self.items_read = 0
        scope = self.scope(team_id)
        hours = self._read(scope, date_from, date_to)
        periods: dict[date, list[Mapping[str, Number]]] = {
            period_start(day, interval, date_from): [] for day in _days(date_from, date_to)
        }
        for hour, counts in hours.items():
            periods[period_start(local_date(hour, scope.timezone), interval, date_from)].append(counts)
        return {
            "team": scope.team,
            "timezone": scope.timezone,
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "interval": interval,
            "points": [
                {"period": start.isoformat(), "metrics": team_metrics(tally(items))}
                for start, items in sorted(periods.items())
            ],
        }

    def dashboard(
        self, team_id: str, date_from: date, date_to: date, group: Group | None = None
    ) -> dict[str, Any]:
        """The dashboard document; `group` makes `control` that tag's or agent's p-chart."""
        check_period(date_from, date_to)
        self.items_read = 0
        scope = self.scope(team_id)
        length = (date_to - date_from).days + 1
        previous_from, previous_to = date_from - timedelta(days=length), date_from - timedelta(days=1)
        current_hours = self._read(scope, date_from, date_to)
        previous_hours = self._read(scope, previous_from, previous_to)
        summed = tally(current_hours.values())
        now_metrics = team_metrics(summed)
        before_metrics = team_metrics(tally(previous_hours.values()))
        zone = m._zone(scope.timezone)
        start = datetime.combine(date_from, time(0), tzinfo=zone).astimezone(UTC)
        end = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        return {
            "team": scope.team,
            "timezone": scope.timezone,
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "previous": {"from": previous_from.isoformat(), "to": previous_to.isoformat()},
            "headline": headline(now_metrics, before_metrics),
            "funnel": [{"step": step, "count": _int(summed.total, name)} for step, name in FUNNEL],
            "value": now_metrics["value"],  # shown beside the funnel
            "closed_within_target": closed_within_target(now_metrics, self.closing_targets(scope)),
            "scores": scores(summed.total),
            "heatmap": heatmap(current_hours, scope.timezone),
            "control": control(current_hours, scope, date_from, date_to, group),
            "control_groups": control_groups(summed),
            "causes": pareto(summed),
            "causes_by_category": causes_by_category(summed),
            "anomalies": self.open_anomalies(scope.team),
            "markers": self._markers(start, end) if self._markers else [],
        }


def _sum_teams(each: Mapping[str, Mapping[str, Mapping[str, Number]]]) -> dict[str, dict[str, Number]]:
    summed: dict[str, dict[str, Number]] = {}
    for hours in each.values():
        for hour, counts in hours.items():
            target = summed.setdefault(hour, {})
            for name, value in counts.items():
                target[name] = target.get(name, 0) + value
    return summed


# ------------------------------------------------------------------------------ dashboard parts
def breakdown(
    hours: Mapping[str, Mapping[str, Number]], summed: Tally, by: str, zone: str
) -> list[dict[str, Any]]:
    """One entry per group of `by`: a counter dimension's values (by name), or every local hour
    (0..23) or weekday (0 = Monday .. 6)."""
    if by in LOCAL_DIMENSIONS:
        size = 24 if by == "hour" else 7
        local = [Tally() for _ in range(size)]
        for hour, counts in hours.items():
            at = m.local_hour_and_weekday(hour, zone)
            local[at.hour if by == "hour" else at.weekday].add(counts)
        return [{"value": index, "metrics": team_metrics(part)} for index, part in enumerate(local)]
    if by == "category":
        return [
            {"value": category, "metrics": compute(counts)}
            for category, counts in sorted(_by_category(summed).items())
        ]
    groups = sorted(
        (value, counts) for (dimension, value), counts in summed.groups.items() if dimension == by
    )
    return [
        {"value": value, "metrics": compute(counts, {value: counts} if by == "comptype" else None)}
        for value, counts in groups
    ]


def headline(current: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each headline figure with the previous period's. A duration (`..._s`) also names its `unit`
    and the histogram `bucket` its value lies in (`{"from_s", "to_s"}`), its resolution."""
    result = {}
    for name in HEADLINE:
        change = m.period_change(current[name], previous[name])
        result[name] = {
            "value": current[name],
            "previous": previous[name],
            "change": change.absolute,
            "relative": change.relative,
        }
        if name.endswith("_s"):
            result[name] |= {"unit": "s", "bucket": current.get(name.removesuffix("_s") + "_bucket")}
    return result


def scores(counts: Mapping[str, Number]) -> dict[str, dict[str, dict[str, int]]]:
    before, after = _scores(counts, "before"), _scores(counts, "after")
    return {
        kind: {"before": before.get(kind, {}), "after": after.get(kind, {})}
        for kind in sorted(set(before) | set(after))
    }


def heatmap(hours: Mapping[str, Mapping[str, Number]], zone: str) -> list[dict[str, int]]:
    """Negatives and volume per local weekday and hour: all 168 cells, Monday 00 first."""
    cells = {(day, hour): [0, 0] for day in range(7) for hour in range(24)}
    for key, counts in hours.items():
        at = m.local_hour_and_weekday(key, zone)
        cell = cells[(at.weekday, at.hour)]
        cell[0] += _int(counts, "negatives")
        cell[1] += _int(counts, "volume")
    return [
        {"weekday": day, "hour": hour, "negatives": negatives, "volume": volume}
        for (day, hour), (negatives, volume) in sorted(cells.items())
    ]


def control(
    hours: Mapping[str, Mapping[str, Number]],
    scope: Scope,
    date_from: date,
    date_to: date,
    group: Group | None = None,
) -> dict[str, Any]:
    """A p-chart of the daily negative rate of the team, or of one tag or agent: the centre is the
    period's pooled rate, the limit the 3-sigma upper control limit for each day's volume."""
    suffix = f"|{group.dimension}|{quote(group.value, safe='')}" if group else ""
    days = {day: [0, 0] for day in _days(date_from, date_to)}
    for key, counts in hours.items():
        entry = days[local_date(key, scope.timezone)]
        entry[0] += _int(counts, "volume" + suffix)
        entry[1] += _int(counts, "negatives" + suffix)
    volume = sum(entry[0] for entry in days.values())
    centre = m.rate(sum(entry[1] for entry in days.values()), volume)
    points = [
        {
            "day": day.isoformat(),
            "volume": day_volume,
            "negatives": negatives,
            "rate": m.rate(negatives, day_volume),
            "centre": centre,
            "limit": upper_limit(centre, day_volume) if centre is not None and day_volume else None,
        }
        for day, (day_volume, negatives) in sorted(days.items())
    ]
    named = {"dimension": group.dimension, "value": group.value} if group else None
    return {"group": named or {"dimension": "team", "value": scope.team}, "points": points}


def control_groups(summed: Tally) -> list[dict[str, str]]:
    """The tags and agents with feedback in the period: the groups a control chart can be drawn for."""
    return [
        {"dimension": dimension, "value": value}
        for dimension, value in sorted(summed.groups)
        if dimension in CONTROL_DIMENSIONS and _int(summed.groups[(dimension, value)], "volume")
    ]


def _by_category(summed: Tally) -> dict[str, dict[str, Number]]:
    """The counters of the `cause` groups summed by cause-and-effect category."""
    found: dict[str, dict[str, Number]] = {}
    for (dimension, value), counts in summed.groups.items():
        if dimension == "cause":
            target = found.setdefault(cause_category(value), {})
            for name, amount in counts.items():
                target[name] = target.get(name, 0) + amount
    return found


def causes_by_category(summed: Tally) -> list[dict[str, Any]]:
    """Resolved cases by cause-and-effect category and, within each, by root cause; both most
    frequent first (ties by name). Categories with no resolved case are left out."""
    found: dict[str, list[tuple[str, int]]] = {category: [] for category in CAUSE_CATEGORIES}
    for (dimension, value), group in summed.groups.items():
        if dimension == "cause" and _int(group, "resolved"):
            found[cause_category(value)].append((value, _int(group, "resolved")))
    result = [
        {
            "category": category,
            "count": sum(count for _, count in causes),
            "causes": [
                {"cause": cause, "count": count}
                for cause, count in sorted(causes, key=lambda item: (-item[1], item[0]))
            ],
        }
        for category, causes in found.items()
        if causes
    ]
    return sorted(result, key=lambda entry: (-entry["count"], entry["category"]))


def pareto(summed: Tally) -> list[dict[str, Any]]:
    """Root causes of resolved cases, most frequent first, with each one's share and the running share."""
    counts = sorted(
        (
            (value, _int(group, "resolved"))
            for (dimension, value), group in summed.groups.items()
            if dimension == "cause"
        ),
        key=lambda item: (-item[1], item[0]),
    )
    counts = [(cause, count) for cause, count in counts if count]
    total = sum(count for _, count in counts)
    result, running = [], 0
    for cause, count in counts:
        running += count
        result.append({"cause": cause, "count": count, "share": count / total, "cumulative": running / total})
    return result


# ------------------------------------------------------------------------------------------- CSV
def _flatten(prefix: str, value: Any, row: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), item, row)
    else:
        row[prefix] = value


def _cell(value: Any) -> Any:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def csv_rows(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows a report document becomes: one per group or period, or per list entry."""
    head = {"team": document.get("team"), "from": document.get("from"), "to": document.get("to")}
    rows: list[dict[str, Any]] = []
    if "points" in document and "interval" in document:
        for point in document["points"]:
            row = {**head, "period": point["period"]}
            _flatten("", point["metrics"], row)
            rows.append(row)
    elif "groups" in document:
        entries = (
            document["groups"] if document.get("by") else [{"value": None, "metrics": document["metrics"]}]
        )
        for entry in entries:
            row = {**head, "by": document.get("by"), "value": entry["value"]}
            _flatten("", entry["metrics"], row)
            rows.append(row)
    elif "headline" in document:
        for name, figures in document["headline"].items():
            row = {**head, "metric": name}
            _flatten("", figures, row)
            rows.append(row)
    else:
        listed = next((value for value in document.values() if isinstance(value, list)), [])
        for entry in listed:
            row = {}
            _flatten("", entry, row)
            rows.append(row)
    return rows


def to_csv(document: Mapping[str, Any]) -> str:
    """CSV with a header row; columns in first-seen order; nested metrics as dotted names
    (`compensation.EUR.total`, `score_after_mean.nps`)."""
    rows = csv_rows(document)
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(list(columns))
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()
