"""Table changes as the stream delivers them, and what they mean: domain events and counter deltas.

Counters (v2, docs/counters.md): one item per team and UTC hour of the interaction, each of its
attributes a counter named `<metric>` for the whole team or `<metric>|<dimension>|<quoted value>` for
one group (`counter_name`). Feedback metrics come from scored `FB#` items; case metrics from `CASE#`
items (sk `CASE`), each a function of the case's current image. A change contributes its new image
minus its old one, so an updated response or a case moving on shifts the counters by the difference
only.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from urllib.parse import quote, unquote

from recovery.domain.metrics import bucket_of

EVENT_SOURCE = "recovery.loop"
Image = Mapping[str, Any]
Amount = int | Decimal
TeamHour = tuple[str, str]  # (team id or "unrouted", UTC hour "2026-11-22T10")
Deltas = dict[TeamHour, dict[str, Amount]]

UNROUTED = "unrouted"
NONE = "none"  # the group of a missing agent, channel or source
GROUPED = ("agent", "channel", "source")  # one group each, taken from the image's own attribute
DIMENSIONS = ("agent", "tag", "channel", "source", "cause", "comptype")
ANSWERED = ("recovered", "improved", "not_recovered")
OUTCOMES = (*ANSWERED, "no_response")
GIVEN = ("granted", "approved")  # compensation statuses that cost money
# The funnel after `cases`, as whole-team counters: a case counts at a stage only if it passed every
# stage before it (funnel_stages), so the funnel never widens.
FUNNEL_STAGES = (
    "funnel_alerted",
    "funnel_acked",
    "funnel_resolved",
    "funnel_followup_sent",
    "funnel_answered",
    "funnel_recovered",
)


@dataclass(frozen=True)
class Change:
    event_id: str
    name: Literal["INSERT", "MODIFY", "REMOVE"]
    pk: str
    old: Image | None
    new: Image | None

    @property
    def kind(self) -> str:
        return self.pk.split("#", 1)[0]


@dataclass(frozen=True)
class DomainEvent:
    detail_type: str
    detail: dict[str, Any] = field(default_factory=dict)


# --- counter names ----------------------------------------------------------------------------------


def counter_name(metric: str, dimension: str | None = None, value: str | None = None) -> str:
    """`metric` for the whole team, `metric|dimension|quoted value` for one group. The value is
    percent-quoted (`urllib.parse.quote(value, safe="")`), so a `|` in it can't split the name."""
    if dimension is None:
        return metric
    return f"{metric}|{dimension}|{quote(value if value is not None else NONE, safe='')}"


def parse_name(name: str) -> tuple[str, str | None, str | None]:
    """(metric, dimension, value unquoted) of a counter name; dimension and value None for the team."""
    metric, bar, rest = name.partition("|")
    if not bar:
        return name, None, None
    dimension, _, value = rest.partition("|")
    return metric, dimension, unquote(value)


# --- what one image adds ----------------------------------------------------------------------------

Slot = tuple[TeamHour, str]


def _hour(value: Any) -> str:
    return _moment(value).strftime("%Y-%m-%dT%H")


def _moment(value: Any) -> datetime:
    moment = (
        value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    return moment.astimezone(UTC)


def _json(value: Any) -> Any:
    """A JSON attribute as the stream delivers it (a string), or already decoded (tests)."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _tags(value: Any) -> list[str]:
    tags = _json(value) if isinstance(value, str) else value
    if not isinstance(tags, list | tuple | set):
        return []
    return sorted({str(tag) for tag in tags if tag not in (None, "")})


def _groups(image: Image, tags: Iterable[str]) -> list[tuple[str, str]]:
    groups = [(dimension, str(image.get(dimension) or NONE)) for dimension in GROUPED]
    return groups + [("tag", tag) for tag in tags]


def _spread(
    team_hour: TeamHour, amounts: Mapping[str, Amount], groups: Iterable[tuple[str, str]]
) -> dict[Slot, Amount]:
    """Each metric for the whole team and once per group."""
    slots: dict[Slot, Amount] = {}
    for metric, amount in amounts.items():
        if not amount:
            continue
        slots[(team_hour, counter_name(metric))] = amount
        for dimension, value in groups:
            slots[(team_hour, counter_name(metric, dimension, value))] = amount
    return slots


def _team_hour(image: Image) -> TeamHour:
    return str(image.get("team") or UNROUTED), _hour(image["occurred_at"])


def feedback_contribution(image: Image | None) -> dict[Slot, Amount]:
    """What one stored feedback adds. Held responses (no score yet) add nothing, and neither does a
    response that opened a case: its case counts it (`case_contribution`), under the team the case is
    routed to, so a response and its case never count for different teams."""
    if not image or image.get("status") != "scored" or image.get("case_id"):
        return {}
    amounts: dict[str, Amount] = {
        "volume": 1,
        "negatives": 1 if image.get("verdict") == "negative" else 0,
        "cases": 1 if image.get("case_id") else 0,
    }
    detail = _json(image.get("detail"))
    tags = _tags(detail.get("tags") if isinstance(detail, Mapping) else None)
    return _spread(_team_hour(image), amounts, _groups(image, tags))


def _bound(seconds: float) -> str:
    bound = bucket_of(seconds)
    return "inf" if math.isinf(bound) else str(int(bound))


def _seconds(image: Image, end: str, start: str = "opened_at") -> float | None:
    if not image.get(end) or not image.get(start):
        return None
    return (_moment(image[end]) - _moment(image[start])).total_seconds()


def score_value(score: Any) -> tuple[str, str] | None:
    """(type, value) of a stored rating for the score distributions; None when unreadable.
    Custom scores count by their normalised position rounded to one decimal ("0.3")."""
    score = _json(score)
    if not isinstance(score, Mapping) or not score.get("type") or score.get("value") is None:
        return None
    kind, value = str(score["type"]), score["value"]
    try:
        if kind == "thumbs":
            return kind, str(value)
        if kind == "custom":
            low, high = float(score["min"]), float(score["max"])
            position = (float(value) - low) / (high - low)
            if score.get("higher_is_better") is False:
                position = 1.0 - position
            rounded = Decimal(str(position)).quantize(Decimal("0.1"))
            return kind, str(rounded)
        return kind, str(int(value))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, InvalidOperation):
        return None


def _compensations(value: Any) -> Iterator[tuple[str, str, Decimal]]:
    """(currency, type, amount) of each compensation given."""
    entries = _json(value)
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or entry.get("status") not in GIVEN:
            continue
        try:
            amount = Decimal(str(entry.get("amount")))
        except InvalidOperation:
            continue
        if amount.is_finite() and entry.get("currency"):
            yield str(entry["currency"]).upper(), str(entry.get("type") or NONE), amount


def customer_value(value: Any) -> tuple[str, Decimal] | None:
    """(currency, amount) of a case's `customer_value` ({"amount": "1200.00", "currency": "EUR"}); None
    when absent or unreadable."""
    entry = _json(value)
    if not isinstance(entry, Mapping):
        return None
    currency = str(entry.get("currency") or "")
    try:
        amount = Decimal(str(entry.get("amount")))
    except InvalidOperation:
        return None
    if len(currency) != 3 or not currency.isalpha() or not amount.is_finite() or amount < 0:
        return None
    return currency.upper(), amount


def value_amounts(image: Image) -> dict[str, Amount]:
    """The customer's value a case puts at stake, per currency (docs/reports.md): `value_risk:<CUR>` for
    every case that carries a value, repeat failures included (each failure puts the value at stake
    again); `value_risk_repeat:<CUR>`, the part of it from repeat failures; `value_kept:<CUR>` once the
    outcome is recovered."""
    found = customer_value(image.get("customer_value"))
    if found is None:
        return {}
    currency, amount = found
    amounts: dict[str, Amount] = {f"value_risk:{currency}": amount}
    if image.get("repeat_failure"):
        amounts[f"value_risk_repeat:{currency}"] = amount
    if image.get("outcome") == "recovered":
        amounts[f"value_kept:{currency}"] = amount
    return amounts


def _acked_in_sla(image: Image) -> bool:
    """Acknowledged by the team's first deadline: before any escalation (an escalation moves the level
    up and the deadline on, so only a level-1 case's deadline is the team's SLA)."""
    due = image.get("ack_due_at")
    if image.get("sla_breached") or int(image.get("level") or 1) != 1 or not due:
        return False
    return _moment(image["acked_at"]) <= _moment(due)


def closed_in_target(image: Image, took: float) -> dict[str, Amount]:
    """A resolved case against the closing target recorded on it at resolve (`target_hours`): `closed`,
    and whether it closed within the target on the wall clock (`took`, opening to resolving, weekends
    included) and in the team's business hours (`resolve_business_s`). A case resolved before targets
    were recorded counts in none of them, so the shares are over the cases that have one."""
    hours = image.get("target_hours")
    if hours is None:
        return {}
    limit = float(hours) * 3600
    business = image.get("resolve_business_s")
    return {
        "closed": 1,
        "closed_in_target": 1 if took <= limit else 0,
        "closed_in_target_business": 1 if business is not None and float(business) <= limit else 0,
    }


def funnel_stages(image: Image) -> list[str]:
    """The funnel stages a case has passed through, in order (`FUNNEL_STAGES`): a stage counts only
    when every stage before it counts too, so each stage's cases are a subset of the previous one's."""
    reached = (
        bool(image.get("alerted_at")),
        bool(image.get("acked_at")),
        image.get("status") == "resolved",
        bool(image.get("followup_sent_at")),
        image.get("outcome") in ANSWERED,
        image.get("outcome") == "recovered",
    )
    stages: list[str] = []
    for stage, passed in zip(FUNNEL_STAGES, reached, strict=True):
        if not passed:
            break
        stages.append(stage)
    return stages


def case_contribution(image: Image | None) -> dict[Slot, Amount]:
    """What one case adds, all of it read from the case's current image (see the module notes).

    The case also counts the response that opened it (`volume`, `negatives`, `cases`: a case is only
    ever opened by a negative), under the case's team, which its first alert may set or change."""
    if not image or image.get("sk") != "CASE" or not image.get("occurred_at"):
        return {}
    amounts: dict[str, Amount] = {
        "volume": 1,
        "negatives": 1,
        "cases": 1,
        "opened": 1,
        "repeats": 1 if image.get("repeat_failure") else 0,
    }
    alerted = _seconds(image, "alerted_at")
    if alerted is not None:
        amounts |= {"alerted": 1, f"alert_s:{_bound(alerted)}": 1}
    acked = _seconds(image, "acked_at")
    if acked is not None:
        amounts |= {
            "acked": 1,
            f"ack_s:{_bound(acked)}": 1,
            "ack_in_sla": 1 if _acked_in_sla(image) else 0,
        }
    resolution = _json(image.get("resolution"))
    cause = resolution.get("root_cause") if isinstance(resolution, Mapping) else None
    resolved = image.get("status") == "resolved"
    if resolved:
        amounts["resolved"] = 1
        took = _seconds(image, "resolved_at")
        if took is not None:
            amounts[f"resolve_s:{_bound(took)}"] = 1
            due = image.get("resolve_due_at")
            amounts["resolve_in_sla"] = 1 if due and _moment(image["resolved_at"]) <= _moment(due) else 0
            amounts |= closed_in_target(image, took)
    if image.get("followup_sent_at"):
        amounts["followup_sent"] = 1
    outcome = image.get("outcome")
    if outcome in OUTCOMES:
        amounts[str(outcome)] = 1
    if outcome in ANSWERED:
        amounts["answered"] = 1
        for prefix, rating in (("before", "rating_before"), ("after", "rating_after")):
            scored = score_value(image.get(rating))
            if scored is not None:
                amounts[f"{prefix}:{scored[0]}:{scored[1]}"] = 1
                if outcome == "recovered":
                    amounts[f"r{prefix}:{scored[0]}:{scored[1]}"] = 1
    groups = _groups(image, _tags(image.get("tags")))
    if resolved and cause:
        groups.append(("cause", str(cause)))
    team_hour = _team_hour(image)
    slots = _spread(team_hour, amounts, groups)
    for stage in funnel_stages(image):  # whole-team counters only: the dashboard's funnel
        slots[(team_hour, counter_name(stage))] = 1
    for currency, kind, amount in _compensations(image.get("compensations")):
        given: dict[str, Amount] = {f"comp:{currency}": amount, "comp_n": 1}
        for slot, value in _spread(team_hour, given, [*groups, ("comptype", kind)]).items():
            slots[slot] = slots.get(slot, 0) + value
    for slot, value in _spread(team_hour, value_amounts(image), groups).items():
        slots[slot] = slots.get(slot, 0) + value
    return slots


def contribution(change: Change, image: Image | None) -> dict[Slot, Amount]:
    if change.kind == "FB":
        return feedback_contribution(image)
    if change.kind == "CASE":
        return case_contribution(image)
    return {}


def counter_deltas(changes: Iterable[Change]) -> Deltas:
    """The net counter movement of a batch of changes, per (team, hour), zeros dropped."""
    totals: dict[Slot, Amount] = defaultdict(int)
    for change in changes:
        # A REMOVE is the retention TTL expiring raw feedback (nothing else deletes it): what was
        # counted stays counted, so reports over past months do not shrink.
        if change.name == "REMOVE":
            continue
        for slot, amount in contribution(change, change.new).items():
            totals[slot] += amount
        for slot, amount in contribution(change, change.old).items():
            totals[slot] -= amount
    deltas: Deltas = defaultdict(dict)
    for (team_hour, name), amount in sorted(totals.items()):
        if amount:
            deltas[team_hour][name] = amount
    return dict(deltas)


def _feedback_detail(image: Image, event_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "feedback_id": image.get("feedback_id"),
        "source": image.get("source"),
        "verdict": image.get("verdict"),
        "priority": _label(image.get("priority")),
        "score_type": image.get("score_type"),
        "case_id": image.get("case_id"),
        "team": image.get("team"),
        "channel": image.get("channel"),
        "agent": image.get("agent"),
        "occurred_at": _text(image.get("occurred_at")),
    }


def _case_detail(image: Image, event_id: str) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "case_id": image.get("case_id"),
        "feedback_id": image.get("feedback_id"),
        "source": image.get("source"),
        "status": image.get("status"),
        "priority": _label(image.get("priority")),
        "repeat_failure": bool(image.get("repeat_failure")),
        "team": image.get("team"),
        "channel": image.get("channel"),
        "agent": image.get("agent"),
        "opened_at": _text(image.get("opened_at")),
        "ack_due_at": _text(image.get("ack_due_at")),
    }


def _label(priority: Any) -> str | None:
    return f"P{int(priority)}" if priority is not None else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


# A case's status reached by a change -> the event integrations subscribe to (a reopen stays
# CaseStatusChanged). The outcome becoming `recovered` is CaseRecovered.
STATUS_EVENTS = {"acknowledged": "CaseAcknowledged", "resolved": "CaseResolved"}
CASE_EVENT_TYPES = ("CaseOpened", "CaseAcknowledged", "CaseResolved", "CaseRecovered")

FeedbackSummary = tuple[str, dict[str, Any]]  # ("FeedbackReceived" | "FeedbackUpdated", summary)
FEEDBACK_PER_EVENT = 100  # ~300 bytes each: one event stays well inside EventBridge's 64 KB billing chunk


# Timeline events a case's owner is told of (docs/notices.md): the customer replied, can't be reached,
# did not answer the follow-up, or the case sat acknowledged with nothing done.
NOTICE_KINDS = ("customer_reply", "customer_unreachable", "followup_no_response", "ack_reminder")


def notice_events(change: Change) -> list[DomainEvent]:
    """One `CaseNotice` per timeline event of a notice kind, when it is written (an INSERT: a later
    change, an erasure's redaction say, tells nobody again). Keys and the kind only: the alert function
    reads what the notice says (a reply's text) from the table, so no personal data is on the bus."""
    new = change.new
    if change.name != "INSERT" or change.kind != "CASE" or new is None:
        return []
    sk, kind = str(new.get("sk") or ""), new.get("kind")
    if not sk.startswith("EVT#") or kind not in NOTICE_KINDS:
        return []
    detail = _json(new.get("detail"))
    team = new.get("team") or (detail.get("team") if isinstance(detail, Mapping) else None)
    notice = {
        "event_id": change.event_id,
        "case_id": str(new.get("case_id") or change.pk.removeprefix("CASE#")),
        "team": str(team) if team else None,
        "notice": kind,
        "event_sk": sk,
    }
    return [DomainEvent("CaseNotice", notice)]


def case_events(change: Change) -> list[DomainEvent]:
    """One event per case change: alerts and integrations act on each; a timeline event of a notice
    kind is a `CaseNotice` (notice_events)."""
    new, old = change.new, change.old
    if change.kind == "CASE" and new is not None and str(new.get("sk") or "").startswith("EVT#"):
        return notice_events(change)
    if change.kind != "CASE" or new is None or new.get("sk") != "CASE":
        return []
    detail = _case_detail(new, change.event_id)
    if old is None:
        return [DomainEvent("CaseOpened", detail)]
    events: list[DomainEvent] = []
    if old.get("status") != new.get("status"):
        moved = {**detail, "previous_status": old.get("status")}
        events.append(DomainEvent(STATUS_EVENTS.get(str(new.get("status")), "CaseStatusChanged"), moved))
    if new.get("outcome") == "recovered" and old.get("outcome") != "recovered":
        events.append(DomainEvent("CaseRecovered", {**detail, "outcome": "recovered"}))
    return events


def feedback_change(change: Change) -> FeedbackSummary | None:
    """("FeedbackReceived" | "FeedbackUpdated", summary) for a scored response, else None."""
    new, old = change.new, change.old
    if change.kind != "FB" or new is None or new.get("status") != "scored":
        return None
    detail = _feedback_detail(new, change.event_id)
    if old is None or old.get("status") != "scored":
        return "FeedbackReceived", detail
    if old.get("content_hash") != new.get("content_hash"):
        return "FeedbackUpdated", {**detail, "previous_verdict": old.get("verdict")}
    return None


def domain_events(changes: Iterable[Change]) -> list[DomainEvent]:
    """Events for the bus. No personal data: ids, classification and routing fields only."""
    return bus_events((case_events(change), feedback_change(change)) for change in changes)


def bus_events(meanings: Iterable[tuple[list[DomainEvent], FeedbackSummary | None]]) -> list[DomainEvent]:
    """The events of a batch from what each change means: its case events and its feedback summary.

    Case events go one per case. Feedback events are grouped per stream batch, up to 100 responses in
    one `{"feedback": [...]}` event, because EventBridge bills per event: one event per response would
    cost more than the rest of the intake path together (see docs/decisions.md).
    """
    events: list[DomainEvent] = []
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case, summary in meanings:
        events += case
        if summary is not None:
            grouped[summary[0]].append(summary[1])
    for detail_type, items in grouped.items():
        for start in range(0, len(items), FEEDBACK_PER_EVENT):
            events.append(DomainEvent(detail_type, {"feedback": items[start : start + FEEDBACK_PER_EVENT]}))
    return events
