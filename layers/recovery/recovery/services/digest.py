"""The weekly digest: on Monday morning, each team's leads get the past week in numbers, by email.

The schedule fires every hour on Mondays; a run sends to the teams whose own clock (`Team.timezone`)
reads Monday 08:00-08:59, so every team gets its digest at its own 08:00. The digest covers the previous
local week, Monday to Sunday, and shows:
- the week's numbers, each with its change on the mean of the four weeks before (from the reports'
  counters, never from raw feedback);
- the team's open anomalies;
- the cases closest to breaching: the first page of the team's open and acknowledged queues (the `queue`
  index), the five with the nearest deadline (to acknowledge for open cases, to resolve for acknowledged
  ones), each linked to its page in the console.

Each lead's digest is a delivery row created conditionally before sending, keyed by team, week and
address, so a retried or repeated run sends nobody a second digest for the same week.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from recovery.domain.metrics import PREVIOUS_WEEKS, period_change, previous_weeks_mean
from recovery.domain.records import Case
from recovery.domain.routing import ClosingTarget, Contact, Team
from recovery.notify.digest import Better, DigestContext, Figure, NearCase, Unit, render_digest
from recovery.notify.senders import Sender
from recovery.observability import RecordMetric, logger
from recovery.services.alerts import CachedConfig
from recovery.services.lead_mail import LeadMailer
from recovery.store.alerting import DeliveryRows, delivery_pk
from recovery.store.cases import CaseStore

DIGEST_WEEKDAY = 0  # Monday
DIGEST_HOUR = 8  # 08:00-08:59 on the team's clock
NEAREST_CASES = 5
QUEUE_PAGE = 100  # the first page of each queue partition: never more than two Queries per team
# The week's numbers, as Reports.metrics names them, and which direction is good news.
DIGEST_METRICS: tuple[tuple[str, Unit, Better], ...] = (
    ("volume", "count", None),
    ("negatives", "count", "down"),
    ("negative_rate", "share", "down"),
    ("alerted_within_1m", "share", "up"),
    ("alert_p90_s", "seconds", "down"),
    ("ack_in_sla_rate", "share", "up"),
    ("resolve_in_sla_rate", "share", "up"),
    ("followup_response_rate", "share", "up"),
    ("recovery_rate", "share", "up"),
)

# Reports.metrics(team_id, date_from, date_to) and AnomalyRun.open_anomalies(team_id).
WeekMetrics = Callable[[str, date, date], Mapping[str, Any]]
OpenAnomalies = Callable[[str], list[dict[str, Any]]]


class DigestFailed(Exception):
    """Some teams' digests could not be prepared; the others were sent. A retry sends only the rest."""


@dataclass
class DigestOutcome:
    teams: list[str] = field(default_factory=list)  # teams whose digest hour this was
    sent: int = 0
    skipped: int = 0  # sent before, or a lead without an email address
    suppressed: int = 0
    failed: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "teams": self.teams,
            "sent": self.sent,
            "skipped": self.skipped,
            "suppressed": self.suppressed,
            "failed": self.failed,
        }


def team_zone(team: Team) -> str:
    """The team's IANA zone (validated with the configuration; UTC unless configured)."""
    return team.timezone or "UTC"


def digest_week(now: datetime, zone: str) -> tuple[date, date] | None:
    """The local week (Monday, Sunday) a digest sent at `now` covers, or None when it is not Monday
    08:00-08:59 in `zone`."""
    local = now.astimezone(ZoneInfo(zone))
    if local.weekday() != DIGEST_WEEKDAY or local.hour != DIGEST_HOUR:
        return None
    sunday = local.date() - timedelta(days=1)
    return sunday - timedelta(days=6), sunday


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    return float(value)


def _bucket(current: Mapping[str, Any], metric: str) -> tuple[float, float | None] | None:
    """The histogram bucket a duration figure lies in (`alert_p90_s` -> `alert_p90_bucket`)."""
    found = current.get(metric.removesuffix("_s") + "_bucket") if metric.endswith("_s") else None
    if not isinstance(found, Mapping) or found.get("from_s") is None:
        return None
    upper = found.get("to_s")
    return float(found["from_s"]), None if upper is None else float(upper)


def week_figures(current: Mapping[str, Any], previous: Sequence[Mapping[str, Any]]) -> list[Figure]:
    """The digest's numbers for a week, each against the mean of the `previous` weeks (oldest first)."""
    figures = []
    for metric, unit, better in DIGEST_METRICS:
        value = _number(current.get(metric))
        baseline = previous_weeks_mean([_number(week.get(metric)) for week in previous])
        change = period_change(value, baseline)
        figures.append(Figure(metric, unit, value, baseline, change, better, bucket=_bucket(current, metric)))
    return figures


def _totals(document: Mapping[str, Any]) -> dict[str, Decimal]:
    """{currency: total} from a metrics document's `compensation` ({currency: {"total": "12.50"}})."""
    found = document.get("compensation") or {}
    return {currency: Decimal(str(entry["total"])) for currency, entry in found.items() if entry}


def compensation_figures(current: Mapping[str, Any], previous: Sequence[Mapping[str, Any]]) -> list[Figure]:
    """One figure per currency given this week or in the weeks before; a week without a currency gave
    none of it (0), which is not the same as a rate over nothing."""
    this_week = _totals(current)
    before = [_totals(week) for week in previous]
    currencies = sorted(set(this_week).union(*before))
    figures = []
    for currency in currencies:
        value = this_week.get(currency, Decimal(0))
        amounts = [week.get(currency, Decimal(0)) for week in before[-PREVIOUS_WEEKS:]]
        baseline = sum(amounts, Decimal(0)) / len(amounts) if amounts else None
        change = period_change(float(value), float(baseline) if baseline is not None else None)
        figures.append(Figure("compensation", "money", value, baseline, change, None, currency))
    return figures


# The on-time shares (docs/reports.md), each read against the team's closing target.
CLOSING_METRICS = ("closed_in_target_rate", "closed_in_target_business_rate")


def closing_figures(
    current: Mapping[str, Any], previous: Sequence[Mapping[str, Any]], target: ClosingTarget
) -> list[Figure]:
    """The share of the week's closed cases closed within the team's target, on the wall clock and in
    business hours, each against the mean of the `previous` weeks and naming the target."""
    figures = []
    for metric in CLOSING_METRICS:
        value = _number(current.get(metric))
        baseline = previous_weeks_mean([_number(week.get(metric)) for week in previous])
        change = period_change(value, baseline)
        figures.append(
            Figure(metric, "share", value, baseline, change, "up", target=(target.hours, target.share))
        )
    return figures


def nearest_cases(
    open_cases: Iterable[Case],
    acknowledged: Iterable[Case],
    url: Callable[[str], str],
    limit: int = NEAREST_CASES,
) -> list[NearCase]:
    """The `limit` cases with the nearest deadline: to acknowledge for open cases, to resolve for
    acknowledged ones. Overdue cases come first, the most overdue at the top."""
    found = [
        NearCase(case.case_id, int(case.priority), "ack", case.ack_due_at, url(case.case_id))
        for case in open_cases
    ]
    found += [
        NearCase(case.case_id, int(case.priority), "resolve", case.resolve_due_at, url(case.case_id))
        for case in acknowledged
    ]
    found.sort(key=lambda case: (case.deadline, case.priority, case.case_id))
    return found[:limit]


def digest_delivery_pk(team_id: str, week_from: date, address_hash: str) -> str:
    """One row per team, week and lead: `DLV#digest-<team>-<monday>#1#email#<hmac(address)>`."""
    return delivery_pk(digest_subject(team_id, week_from), 1, "email", address_hash)


def digest_subject(team_id: str, week_from: date) -> str:
    return f"digest-{team_id}-{week_from.isoformat()}"


class DigestRun:
    def __init__(
        self,
        config: CachedConfig,
        week_metrics: WeekMetrics,
        open_anomalies: OpenAnomalies,
        cases: CaseStore,
        store: DeliveryRows,
        sender: Sender,
        address_hash: Callable[[str], str],
        public_url: str,
        metric: RecordMetric,
        suppressed: Callable[[str], bool] = lambda _: False,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._config = config
        self._week_metrics = week_metrics
        self._open_anomalies = open_anomalies
        self._cases = cases
        self._mailer = LeadMailer(store, sender, address_hash, metric, suppressed, sleep)
        self._public_url = public_url.rstrip("/")
        self._metric = metric

    def run(self, now: datetime) -> dict[str, Any]:
        """Send the digest to every team whose digest hour `now` is; a summary for the log.

        A team whose numbers can't be read is logged and skipped, the others still get theirs, and the
        run then raises `DigestFailed` so the schedule's retry tries again (sending only what is left).
        """
        outcome = DigestOutcome()
        failed: list[str] = []
        for team in self._config.get().teams:
            zone = team_zone(team)
            week = digest_week(now, zone)
            if week is None:
                continue
            outcome.teams.append(team.id)
            try:
                self._team(team, zone, week, now, outcome)
            except Exception:
                logger.exception("digest not prepared", extra={"team": team.id})
                failed.append(team.id)
        if outcome.sent:
            self._metric("DigestsSent", outcome.sent, "Count")
        if failed:
            raise DigestFailed(f"digest not sent for teams: {', '.join(failed)}")
        return outcome.summary()

    def _team(
        self, team: Team, zone: str, week: tuple[date, date], now: datetime, outcome: DigestOutcome
    ) -> None:
        week_from, week_to = week
        current = self._week_metrics(team.id, week_from, week_to)
        previous = [
            self._week_metrics(team.id, week_from - timedelta(weeks=k), week_to - timedelta(weeks=k))
            for k in range(PREVIOUS_WEEKS, 0, -1)
        ]
        figures = week_figures(current, previous) + closing_figures(current, previous, team.closing_target)
        compensation = compensation_figures(current, previous)
        # The dashboard's list holds the last closed anomalies too: the digest names the open ones.
        anomalies = [entry for entry in self._open_anomalies(team.id) if entry.get("open", True)]
        cases = nearest_cases(
            self._cases.queue(team.id, "open", None, QUEUE_PAGE, None).items,
            self._cases.queue(team.id, "acknowledged", None, QUEUE_PAGE, None).items,
            self._case_url,
        )
        for contact in team.level(1):
            context = DigestContext(
                team=team.name,
                recipient_name=contact.name,
                language=contact.language,
                timezone=team.zone_for(contact),  # times on the reader's clock; the week is the team's
                week_from=week_from,
                week_to=week_to,
                now=now,
                figures=figures,
                anomalies=anomalies,
                cases=cases,
                console_url=f"{self._public_url}/console/",
                compensation=compensation,
            )
            self._send(team, contact, context, now, outcome)

    def _send(
        self, team: Team, contact: Contact, context: DigestContext, now: datetime, outcome: DigestOutcome
    ) -> None:
        if not contact.email:
            outcome.skipped += 1  # the digest is an email; an SMS-only lead has none to receive
            return
        result = self._mailer.send(
            contact,
            contact.email,
            lambda address_hash: digest_delivery_pk(team.id, context.week_from, address_hash),
            digest_subject(team.id, context.week_from),
            "digest",
            now,
            lambda: render_digest(context),
            {"kind": "digest", "team": team.id},
        )
        if result == "done before":
            outcome.skipped += 1  # sent (or being sent) before: never twice
        elif result == "suppressed":
            outcome.suppressed += 1
        elif result == "failed":
            outcome.failed += 1
        else:
            outcome.sent += 1

    def _case_url(self, case_id: str) -> str:
        return f"{self._public_url}/console/#/cases/{case_id}"
