"""Table changes as the stream delivers them, and what they mean: domain events and counter deltas.

Counters: volume, negatives and cases per (dimension, value, UTC hour of the interaction), for the
dimensions team, channel, source and "all". A change contributes its new image minus its old one, so
an updated response moves the counters by the difference only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

DIMENSIONS = ("team", "channel", "source")
METRICS = ("volume", "negatives", "cases")
EVENT_SOURCE = "recovery.loop"
Image = Mapping[str, Any]


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


@dataclass(frozen=True, order=True)
class CounterKey:
    dimension: str
    value: str
    hour: str  # "2026-11-22T10", UTC


@dataclass(frozen=True)
class DomainEvent:
    detail_type: str
    detail: dict[str, Any] = field(default_factory=dict)


def _hour(value: Any) -> str:
    moment = (
        value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H")


def contribution(image: Image | None) -> dict[tuple[CounterKey, str], int]:
    """What one stored feedback adds to the counters. Held responses (no score yet) add nothing."""
    if not image or image.get("status") != "scored":
        return {}
    hour = _hour(image["occurred_at"])
    amounts = {
        "volume": 1,
        "negatives": 1 if image.get("verdict") == "negative" else 0,
        "cases": 1 if image.get("case_id") else 0,
    }
    keys = [CounterKey("all", "all", hour)]
    keys += [CounterKey(dimension, str(image.get(dimension) or "none"), hour) for dimension in DIMENSIONS]
    return {(key, metric): amount for key in keys for metric, amount in amounts.items() if amount}


def counter_deltas(changes: Iterable[Change]) -> dict[CounterKey, dict[str, int]]:
    """The net counter movement of a batch of changes, zeros dropped."""
    totals: dict[tuple[CounterKey, str], int] = defaultdict(int)
    for change in changes:
        # A REMOVE is the retention TTL expiring raw feedback (nothing else deletes it): what was
        # counted stays counted, so reports over past months do not shrink.
        if change.kind != "FB" or change.name == "REMOVE":
            continue
        for slot, amount in contribution(change.new).items():
            totals[slot] += amount
        for slot, amount in contribution(change.old).items():
            totals[slot] -= amount
    deltas: dict[CounterKey, dict[str, int]] = defaultdict(dict)
    for (key, metric), amount in sorted(totals.items()):
        if amount:
            deltas[key][metric] = amount
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

FEEDBACK_PER_EVENT = 100  # ~300 bytes each: one event stays well inside EventBridge's 64 KB billing chunk


def case_events(change: Change) -> list[DomainEvent]:
    """One event per case change: alerts and integrations act on each."""
    new, old = change.new, change.old
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


def feedback_change(change: Change) -> tuple[str, dict[str, Any]] | None:
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
    """Events for the bus. No personal data: ids, classification and routing fields only.

    Case events go one per case. Feedback events are grouped per stream batch, up to 100 responses in
    one `{"feedback": [...]}` event, because EventBridge bills per event: one event per response would
    cost more than the rest of the intake path together (see docs/decisions.md).
    """
    events: list[DomainEvent] = []
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for change in changes:
        events += case_events(change)
        summary = feedback_change(change)
        if summary is not None:
            grouped[summary[0]].append(summary[1])
    for detail_type, items in grouped.items():
        for start in range(0, len(items), FEEDBACK_PER_EVENT):
            events.append(DomainEvent(detail_type, {"feedback": items[start : start + FEEDBACK_PER_EVENT]}))
    return events
