"""Owner notices (docs/notices.md): when a case needs its owner, they hear of it by email.

- `notify(case_id, event_sk, now)`: on `CaseNotice` (the stream's reading of a timeline event of a notice
  kind: a customer reply, a customer found unreachable, a follow-up with no answer, an acknowledgement
  reminder), email the case's owner, or with no owner the team's level-1 leads on duty now (all of them
  when none is), in their language and on their clock (`recovery.domain.notices.notice_recipients`).
  What the email says is read from the table (the reply's text, the customer's channels, masked), never
  from the bus. Each email is a delivery row keyed by the case, the timeline event and the address's
  keyed hash, claimed before sending (`LeadMailer`): a redelivered event sends nothing twice.
- Slack: when the team has a Slack channel and the case was posted there, the notice is also a reply in
  the case's thread (English, the channel's language; never the customer's words), once per event.
- `Reminders.sweep_shard(shard, now)`: part of the one-minute sweep (`Alerts.sweep`): acknowledged cases
  whose reminder is due (the sparse due index, `DUE#remind#<shard>`, set on acknowledgement and removed by
  any action, message or resolve) get their `ack_reminder` event, once; the notice follows through the
  stream like any other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from recovery import clock
from recovery.domain.changes import NOTICE_KINDS
from recovery.domain.contacts import mask_email, mask_phone
from recovery.domain.notices import REMINDER_DUE_KIND, notice_recipients
from recovery.domain.records import Case, CaseEvent, Customer
from recovery.domain.routing import Contact, Team, route, routing_subject
from recovery.notify.notice import NoticeContext, ReachBy, RenderedNotice, hours_since, render_notice
from recovery.notify.senders import Sender
from recovery.notify.slack_blocks import SlackMessage, notice_message
from recovery.observability import RecordMetric
from recovery.services.alerts import CachedConfig, case_url
from recovery.services.lead_mail import LeadMailer
from recovery.store.alerting import delivery_pk
from recovery.store.notices import NoticeStore

KIND = "notice"  # the outbox kind


@dataclass
class NoticeOutcome:
    case_id: str
    notice: str | None = None
    sent: int = 0
    skipped: str | None = None  # why nothing was sent
    results: dict[str, str] = field(default_factory=dict)  # contact id -> sent, done before, ...
    slack: str | None = None  # the thread reply: posted, failed, or None when there was none


class SlackThread(Protocol):
    """The case's Slack thread (`recovery.services.alerts.Alerts.notice_in_thread`)."""

    def notice_in_thread(
        self, case: Case, team: Team, event_key: str, message: Callable[[], SlackMessage], now: datetime
    ) -> str | None: ...


def event_key(event_sk: str) -> str:
    """A timeline event's key, short and fixed in length, for the delivery rows' keys."""
    return hashlib.sha256(event_sk.encode()).hexdigest()[:16]


def notice_delivery_pk(case_id: str, event_sk: str, address_hash: str) -> str:
    """One row per case, timeline event and address: `DLV#<case>#1#notice-<event_key>#<address hash>`."""
    return delivery_pk(case_id, 1, f"{KIND}-{event_key(event_sk)}", address_hash)


def reach(
    customer: Customer | None, suppressed: Callable[[str], bool], address_hash: Callable[[str], str]
) -> tuple[ReachBy, ...]:
    """The customer's channels, masked, each with whether a message can still reach them."""
    if customer is None or customer.erased_at is not None:
        return ()
    ways: list[ReachBy] = []
    if customer.email:
        blocked = "email" in customer.opted_out or suppressed(address_hash(customer.email.lower()))
        ways.append(ReachBy("email", mask_email(customer.email), not blocked))
    if customer.phone:
        ways.append(ReachBy("sms", mask_phone(customer.phone), "sms" not in customer.opted_out))
    return tuple(ways)


class OwnerNotices:
    def __init__(
        self,
        store: NoticeStore,
        config: CachedConfig,
        sender: Sender,
        address_hash: Callable[[str], str],
        public_url: str,
        metric: RecordMetric,
        suppressed: Callable[[str], bool] = lambda _: False,
        sleep: Callable[[float], None] | None = None,
        slack: SlackThread | None = None,
    ) -> None:
        self._store = store
        self._slack = slack
        self._config = config
        self._hash = address_hash
        self._suppressed = suppressed
        self._mailer = LeadMailer(store, sender, address_hash, metric, suppressed, sleep)
        self._public_url = public_url.rstrip("/")
        self._metric = metric

    def notify(self, case_id: str, event_sk: str, now: datetime) -> NoticeOutcome:
        """Tell whoever the notice is for (see the module notes); idempotent per recipient."""
        outcome = NoticeOutcome(case_id)
        case = self._store.get_case(case_id)
        event = self._store.get_event(case_id, event_sk)
        if case is None or event is None:
            outcome.skipped = "no such case" if case is None else "no such event"
            return outcome
        outcome.notice = event.kind
        if event.kind not in NOTICE_KINDS:
            outcome.skipped = f"not a notice: {event.kind}"
            return outcome
        team = self._team(case)
        recipients = notice_recipients(team, case.owner, now)
        if not recipients:
            outcome.skipped = "nobody to tell"
            return outcome
        customer = self._store.get_customer(case.customer_key)
        for contact in recipients:
            assert contact.email is not None  # notice_recipients picks contacts with an address
            result = self._mailer.send(
                contact,
                contact.email,
                lambda address_hash: notice_delivery_pk(case_id, event_sk, address_hash),
                case_id,
                KIND,
                now,
                partial(self._render, case, event, customer, team, contact, now),
                {"kind": KIND, "case_id": case_id},
            )
            outcome.results[contact.id] = result
            outcome.sent += result == "sent"
        if outcome.sent:
            self._metric("NoticesSent", outcome.sent, "Count")
        if self._slack is not None:
            message = partial(self._slack_message, case, event, team, now)
            outcome.slack = self._slack.notice_in_thread(case, team, event_key(event_sk), message, now)
        return outcome

    def _slack_message(self, case: Case, event: CaseEvent, team: Team, now: datetime) -> SlackMessage:
        detail: Mapping[str, Any] = event.detail or {}
        return notice_message(
            case.case_id,
            event.kind,
            case_url(self._public_url, case.case_id),
            channel=str(detail["channel"]) if detail.get("channel") else None,
            reason=str(detail["reason"]) if detail.get("reason") else None,
            hours=hours_since(case.acked_at, now),
            deadline=case.resolve_due_at,
            timezone=team.timezone,
        )

    def _team(self, case: Case) -> Team:
        config = self._config.get()
        known = {team.id: team for team in config.teams}
        if case.team in known:
            return known[case.team]
        return route(config, routing_subject(case, self._store.get_feedback(case.feedback_pk)))[0]

    def _render(
        self,
        case: Case,
        event: CaseEvent,
        customer: Customer | None,
        team: Team,
        contact: Contact,
        now: datetime,
    ) -> RenderedNotice:
        return render_notice(self._context(case, event, customer, team, contact, now))

    def _context(
        self,
        case: Case,
        event: CaseEvent,
        customer: Customer | None,
        team: Team,
        contact: Contact,
        now: datetime,
    ) -> NoticeContext:
        detail: Mapping[str, Any] = event.detail or {}
        masked = reach(customer, self._suppressed, self._hash)
        if event.kind == "customer_unreachable":  # what the event says counts, whatever else is known
            masked = tuple(
                replace(way, reachable=False) if way.channel == detail.get("channel") else way
                for way in masked
            )
        when: datetime | None = None
        if event.kind == "ack_reminder":
            when = case.acked_at
        elif event.kind == "followup_no_response" and detail.get("sent_at"):
            when = datetime.fromisoformat(str(detail["sent_at"]))
        return NoticeContext(
            kind=event.kind,
            case_id=case.case_id,
            priority=f"P{int(case.priority)}",
            team=team.name,
            recipient_name=contact.name,
            language=contact.language,
            timezone=team.zone_for(contact),
            case_url=case_url(self._public_url, case.case_id),
            now=now,
            customer_masked=masked[0].masked if masked else None,
            channel=str(detail["channel"]) if detail.get("channel") else None,
            text=str(detail["text"]) if event.kind == "customer_reply" and detail.get("text") else None,
            truncated=bool(detail.get("truncated")),
            reason=str(detail["reason"]) if detail.get("reason") else None,
            when=when,
            resolve_due_at=case.resolve_due_at if case.status != "resolved" else None,
            reach=masked,
        )


class Reminders:
    """The sweep's part for reminders: due items only, one transaction each (see the module notes)."""

    def __init__(self, store: NoticeStore, metric: RecordMetric) -> None:
        self._store = store
        self._metric = metric

    def sweep_shard(self, shard: int, now: datetime) -> tuple[list[str], int]:
        """Remind the cases of one shard whose reminder is due: (the cases reminded, items read)."""
        due = self._store.due(REMINDER_DUE_KIND, shard, clock.iso(now))
        reminded = [case_id for case_id in due if self.remind(case_id, now)]
        if reminded:
            self._metric("RemindersWritten", len(reminded), "Count")
        return reminded, len(due)

    def remind(self, case_id: str, now: datetime) -> bool:
        case = self._store.get_case(case_id)
        if (
            case is None
            or case.status != "acknowledged"
            or case.due_at is None
            or case.due_at > clock.iso(now)
        ):
            return False
        detail = {
            "acked_at": clock.iso(case.acked_at) if case.acked_at else None,
            "resolve_due_at": clock.iso(case.resolve_due_at),
        }
        if case.team:
            detail["team"] = case.team
        return self._store.remind(case, now, detail)
