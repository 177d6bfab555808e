"""The hourly anomaly check: is a team's, a tag's or an agent's negative rate out of control?

`run(now)` judges the last finished UTC hour, for each configured team:
1. Read the team's state (one item). If that hour was judged already, stop: the schedule may fire late
   or twice, and a second run must do nothing.
2. Read the hour's counter item and its baseline hours (`recovery.domain.anomaly.baseline_hours`: the
   same local hour on the same kind of day over the preceding weeks, in the team's zone) with one
   BatchGet.
3. Check the whole team and each tag and agent counted in the hour (`check`), and move each group's
   state on (`advance`): a group that goes from normal to breach is alerted once, and stays open with no
   repeat until it is back within its limit for a few checked hours.
4. Email each level-1 lead of the team (outbox kind `anomaly`), in their language, through a delivery
   row claimed before sending, so a retried or doubled run sends nothing twice.
5. Save the state over the version read, with the hour as judged.

Items read per run: teams x (1 + baseline hours) counter items, plus one state item per team (and one
Query of the marker partition when a tag breaks out). No Scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import quote

from recovery import clock
from recovery.domain import anomaly
from recovery.domain.anomaly import Check, Counts, Group, State
from recovery.domain.changes import counter_name, parse_name
from recovery.domain.routing import Contact, Team
from recovery.notify.anomaly import AnomalyContext, RenderedAnomaly, render_anomaly
from recovery.notify.senders import Sender
from recovery.observability import RecordMetric
from recovery.services.lead_mail import LeadMailer
from recovery.services.markers import Markers
from recovery.store.alerting import DeliveryRows
from recovery.store.anomalies import HISTORY, AnomalyStore, TeamAnomalies
from recovery.store.markers import StoredMarker

DIMENSIONS = ("tag", "agent")  # besides the whole team
KIND = "anomaly"


class HourReader(Protocol):
    """`recovery.store.counters.CounterReader.get`: the counters of exactly these hours of a team."""

    def get(self, team: str, hour_keys: Sequence[str]) -> Mapping[str, Mapping[str, int | Decimal]]: ...


def last_finished_hour(now: datetime) -> datetime:
    """The start of the last whole UTC hour before `now`: at 10:00:05 and at 10:59, 09:00."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - anomaly.HOUR


def group_key(group: Group) -> str:
    return f"{group.dimension}|{quote(group.value, safe='')}"


def _counts(counters: Mapping[str, int | Decimal], group: Group) -> Counts:
    dimension, value = (None, None) if group.dimension == "team" else (group.dimension, group.value)
    volume = max(0, int(counters.get(counter_name("volume", dimension, value), 0)))
    negatives = max(0, int(counters.get(counter_name("negatives", dimension, value), 0)))
    return Counts(volume, min(negatives, volume))  # never out of range, whatever a counter holds


def _groups(team: Team, counters: Mapping[str, Any], state: TeamAnomalies) -> list[Group]:
    """The whole team, each tag and agent counted in the hour, and every group with an open anomaly."""
    found = {Group("team", team.id)}
    for name in counters:
        metric, dimension, value = parse_name(name)
        if metric == "volume" and dimension in DIMENSIONS and value is not None:
            found.add(Group(dimension, value))  # type: ignore[arg-type]
    for entry in state.groups.values():
        found.add(Group(entry["dimension"], entry["value"]))
    return sorted(found)


def _state(entry: Mapping[str, Any] | None) -> State | None:
    if not entry:
        return None
    return State(True, datetime.fromisoformat(entry["since"]), int(entry.get("clear_hours", 0)))


def _marker(marker: StoredMarker | None) -> dict[str, str] | None:
    if marker is None:
        return None
    return {"component": marker.component, "version": marker.version, "at": clock.iso(marker.at)}


def likely_marker(start: datetime, group: Group, markers: Iterable[StoredMarker]) -> StoredMarker | None:
    """The release that likely started an anomaly (`anomaly.attribute`): a marker names the group by its
    component or by one of its tags (a release of `checkout-service` tagged `checkout`)."""
    candidates: dict[anomaly.Marker, StoredMarker] = {}
    for marker in markers:
        for name in (marker.component, *marker.tags):
            candidates.setdefault(anomaly.Marker(name, marker.marker_id, marker.at), marker)
    found = anomaly.attribute(start, group, candidates)
    return candidates[found] if found is not None else None


class AnomalyRun:
    def __init__(
        self,
        reader: HourReader,
        store: AnomalyStore,
        markers: Markers,
        teams: Callable[[], Sequence[Team]],
        deliveries: DeliveryRows,
        sender: Sender,
        address_hash: Callable[[str], str],
        public_url: str,
        metric: RecordMetric = lambda name, value, unit: None,
        suppressed: Callable[[str], bool] = lambda _: False,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._reader = reader
        self._store = store
        self._markers = markers
        self._teams = teams
        self._mailer = LeadMailer(deliveries, sender, address_hash, metric, suppressed, sleep)
        self._dashboard = public_url.rstrip("/") + "/console/#/dashboard"
        self._metric = metric

    # --------------------------------------------------------------------------------------------- run
    def run(self, now: datetime) -> dict[str, Any]:
        """Judge the last finished hour for every team; a summary of what happened, for the log."""
        hour = last_finished_hour(now)
        summary: dict[str, Any] = {
            "hour": anomaly.hour_key(hour),
            "teams": 0,
            "already_judged": 0,
            "checked": 0,
            "skipped": 0,
            "breached": 0,
            "alerted": 0,
            "closed": 0,
            "sent": 0,
            "failed": 0,
            "raced": 0,
            "items_read": 0,
        }
        markers: list[StoredMarker] | None = None
        for team in self._teams():
            summary["teams"] += 1
            state = self._store.get(team.id)
            summary["items_read"] += 1
            if state.last_hour is not None and state.last_hour >= summary["hour"]:
                summary["already_judged"] += 1
                continue
            keys = anomaly.baseline_hours(hour, team.timezone)
            counters = self._reader.get(team.id, [summary["hour"], *keys])
            summary["items_read"] += int(getattr(counters, "items_read", len(counters)))
            current = counters.get(summary["hour"], {})
            alerts: list[tuple[Check, dict[str, Any]]] = []
            for group in _groups(team, current, state):
                baseline = [_counts(counters.get(key, {}), group) for key in keys]
                result = anomaly.check(group, hour, _counts(current, group), baseline)
                summary["checked" if result.status != "skipped" else "skipped"] += 1
                summary["breached"] += int(result.breach)
                key = group_key(group)
                step = anomaly.advance(_state(state.groups.get(key)), result)
                if step.alert:
                    if markers is None:
                        markers = self._markers.stored_between(
                            hour - anomaly.ATTRIBUTION_WINDOW, hour + anomaly.HOUR - timedelta(seconds=1)
                        )
                    entry = _opened(result, likely_marker(hour, group, markers))
                    state.groups[key] = entry
                    alerts.append((result, entry))
                elif step.closed:
                    closed = {**state.groups.pop(key), "clear_hours": 0, "open": False}
                    closed["closed"] = clock.iso(hour + anomaly.HOUR)
                    state.history = [closed, *state.history][:HISTORY]
                    summary["closed"] += 1
                elif step.state.open:
                    state.groups[key] = {**state.groups[key], "clear_hours": step.state.clear_hours}
            # Send before saving: a run that dies in between is retried, and the delivery rows keep the
            # retry from sending twice; saved first, a lost send could never be retried.
            for result, entry in alerts:
                sent, failed = self._alert(team, result, entry)
                summary["alerted"] += 1
                summary["sent"] += sent
                summary["failed"] += failed
                self._metric("AnomaliesAlerted", 1, "Count")
            state.last_hour = summary["hour"]
            if not self._store.save(state, clock.now()):
                summary["raced"] += 1  # another run judged this hour at the same time; its state stands
        return summary

    # ------------------------------------------------------------------------------------------- alert
    def _alert(self, team: Team, result: Check, entry: Mapping[str, Any]) -> tuple[int, int]:
        """Email the team's leads about one new anomaly: (sent, failed)."""
        sent = failed = 0
        for contact in team.level(1):
            if "email" not in contact.channels or not contact.email:
                continue
            outcome = self._email(team, contact, contact.email, result, entry)
            sent += outcome == "sent"
            failed += outcome == "failed"
        return sent, failed

    def _email(
        self, team: Team, contact: Contact, address: str, result: Check, entry: Mapping[str, Any]
    ) -> str:
        subject = f"ANOM#{team.id}"
        where = f"{anomaly.hour_key(result.hour)}#{group_key(result.group)}"
        outcome = self._mailer.send(
            contact,
            address,
            lambda address_hash: f"DLV#{subject}#{where}#email#{address_hash}",
            subject,
            KIND,
            clock.now(),
            lambda: self._render(team, contact, result, entry),
            {"kind": KIND},
        )
        return "failed" if outcome == "suppressed" else outcome

    def _render(
        self, team: Team, contact: Contact, result: Check, entry: Mapping[str, Any]
    ) -> RenderedAnomaly:
        marker = entry.get("marker") or {}
        return render_anomaly(
            AnomalyContext(
                team=team.name,
                dimension=result.group.dimension,
                value=result.group.value,
                hour=result.hour,
                timezone=team.zone_for(contact),
                rate=result.counts.rate,
                limit=float(result.limit or 0.0),
                centre=float(result.centre or 0.0),
                negatives=result.counts.negatives,
                volume=result.counts.volume,
                dashboard_url=self._dashboard,
                recipient_name=contact.name,
                language=contact.language,
                window_hours=int(anomaly.ATTRIBUTION_WINDOW / anomaly.HOUR),
                clear_hours=anomaly.CLEAR_HOURS,
                cause_component=marker.get("component"),
                cause_version=marker.get("version"),
                cause_at=datetime.fromisoformat(marker["at"]) if marker else None,
            )
        )

    # ------------------------------------------------------------------------------------------- views
    def open_anomalies(self, team_id: str) -> list[dict[str, Any]]:
        return open_anomalies(self._store, team_id)


def open_anomalies(store: AnomalyStore, team_id: str) -> list[dict[str, Any]]:
    """The team's open anomalies and its last closed ones, newest first (the dashboard's list)."""
    state = store.get(team_id)
    entries = [*state.groups.values(), *state.history]
    shown = [
        {
            "dimension": entry["dimension"],
            "value": entry["value"],
            "since": entry["since"],
            "open": bool(entry.get("open", True)),
            "rate": entry.get("rate"),
            "limit": entry.get("limit"),
            "marker": entry.get("marker"),
        }
        for entry in entries
    ]
    return sorted(shown, key=lambda entry: (entry["since"], entry["open"]), reverse=True)


def _opened(result: Check, marker: StoredMarker | None) -> dict[str, Any]:
    """The stored state of a group that just broke out: what the alert said, for the dashboard."""
    return {
        "dimension": result.group.dimension,
        "value": result.group.value,
        "since": clock.iso(result.hour),
        "clear_hours": 0,
        "open": True,
        "rate": round(result.counts.rate, 4),
        "limit": round(float(result.limit or 0.0), 4),
        "centre": round(float(result.centre or 0.0), 4),
        "negatives": result.counts.negatives,
        "volume": result.counts.volume,
        "marker": _marker(marker),
    }
