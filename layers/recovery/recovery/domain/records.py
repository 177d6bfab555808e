"""What the stores hand to the services: a case, its feedback and customer, its timeline, a message's
delivery row, a follow-up and a scheduled customer message, as stored, frozen.

`recovery.store` reads its items into these and takes them back to change what they name; the services
decide with them and never see a pynamodb item. Index keys stay in the store: what a record says about
scheduled work is only when it is due (`due_at`, ISO UTC) and, for a follow-up, for what (`due_kind`).
Attribute names are the stored ones, so a record reads like the item it came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Case:
    """A case (`CASE#<id>`); `version` is the one the lead's ETag names."""

    case_id: str
    feedback_pk: str  # the key of the feedback it was opened from (`Feedback.key`)
    feedback_id: str
    source: str
    status: str  # open, acknowledged, resolved
    priority: int
    customer_key: str
    opened_at: datetime
    occurred_at: datetime
    ack_due_at: datetime
    resolve_due_at: datetime
    alert_state: str  # pending until the first alert is sent, then sent
    version: int | None = None
    repeat_failure: bool = False
    team: str | None = None
    channel: str | None = None
    agent: str | None = None
    alerted_at: datetime | None = None
    level: int = 1  # the escalation level alerted last
    acked_at: datetime | None = None
    acked_by: str | None = None
    sla_breached: bool = False
    owner: str | None = None
    resolved_at: datetime | None = None
    resolution: Mapping[str, Any] | None = None
    compensations: tuple[Mapping[str, Any], ...] = ()
    customer_acked: str | None = None
    outcome: str | None = None
    rating_before: Mapping[str, Any] | None = None
    rating_after: Mapping[str, Any] | None = None
    rating_delta: float | None = None
    external_links: Mapping[str, Any] | None = None
    tags: tuple[str, ...] = ()
    followup_sent_at: datetime | None = None
    due_at: str | None = None  # when its scheduled work (an alert, an escalation) is due
    customer_value: Mapping[str, Any] | None = None  # {"amount": "1200.00", "currency": "EUR"}


@dataclass(frozen=True)
class CaseEvent:
    """One entry of a case's timeline."""

    case_id: str
    kind: str
    at: datetime
    actor: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Feedback:
    """One response as stored (`FB#<source>#<response id>`)."""

    key: str
    feedback_id: str
    source: str
    status: str  # held until it has a score, then scored
    occurred_at: datetime
    score_type: str | None = None
    verdict: str | None = None
    priority: int | None = None
    case_id: str | None = None
    channel: str | None = None
    agent: str | None = None
    team: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)  # score, comment, tags, metadata, ...


@dataclass(frozen=True)
class Customer:
    """A customer (`CUST#<key>`): contact, language, opt-outs and the follow-ups of the cap window."""

    key: str
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    locale: str | None = None
    timezone: str | None = None
    opted_out: Mapping[str, str] = field(default_factory=dict)  # channel -> since (ISO)
    followups_sent: tuple[str, ...] = ()  # ISO times, newest last
    erased_at: datetime | None = None
    updated_at: datetime | None = None
    version: int | None = None


@dataclass(frozen=True)
class Delivery:
    """One message to one recipient, claimed before it is sent: `key` is what makes it happen once."""

    key: str
    case_id: str
    level: int
    channel: str
    contact_id: str
    kind: str
    state: str  # sending, sent, failed, suppressed
    updated_at: datetime
    attempts: int = 0
    message_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class FollowUp:
    """The follow-up of one resolved case."""

    case_id: str
    customer_key: str
    state: str  # scheduled, sending, sent, answered, no_response, skipped, cancelled
    scheduled_for: datetime
    version: int | None = None
    team: str | None = None
    channel: str | None = None
    sent_at: datetime | None = None
    answered_at: datetime | None = None
    skip_reason: str | None = None
    score: Mapping[str, Any] | None = None  # the original score: the scale to ask again on
    answer: Mapping[str, Any] | None = None
    claimed_at: str | None = None  # while a run sends it: when that run took it
    attempts: int = 0
    due_kind: str | None = None  # followup (to send) or noresponse (the answer window), while due
    due_at: str | None = None


@dataclass(frozen=True)
class ScheduledMessage:
    """A customer message waiting for the customer's contact hours (an SMS at night)."""

    key: str
    case_id: str
    kind: str
    channel: str
    state: str  # scheduled, sent, skipped, failed
    send_at: datetime
