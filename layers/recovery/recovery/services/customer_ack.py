"""The instant acknowledgement: when a case opens, the customer hears "sorry, <lead> will be in touch by
<time>" in their own language, within seconds.

- `acknowledge(case_id, now)`: on `CaseOpened`. Routes the case to its team like the alert does, names
  the team's first on-duty level-1 lead (their first name) and promises contact by the acknowledge
  deadline plus one hour, rounded up to the quarter hour, in the customer's time zone
  (`contact_zone`: their own, else their phone's, else their locale's, else the team's). The promise is
  never for a time the team's leads are off duty (then: the next duty window's start plus the SLA and
  the hour), nor outside the customer's contact hours (then: the next start of those hours). Email when the
  customer has an address, else SMS; an SMS outside the customer's contact hours is scheduled
  (`SMSG#<case>#customer_ack`, in the sparse due index) instead of sent. The case records the outcome in
  `customer_acked`: sent, deferred or skipped:<why>.
- `send_due(now)`: every 5 minutes, from the due index only: the scheduled messages whose time has come.

All guardrails (opt-out, suppression, quiet hours, one message per case, retries, the timeline) are the
`CustomerMessenger`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from recovery import clock
from recovery.domain.duty import is_on_duty, promise_time
from recovery.domain.follow_up import contact_hours
from recovery.domain.identity import DUE_SHARDS
from recovery.domain.records import Case, Customer, ScheduledMessage
from recovery.domain.routing import Contact, Team, route, routing_subject
from recovery.notify.customer import render_customer_ack
from recovery.services.alerts import CachedConfig, FeedbackReads
from recovery.services.customer_contact import (
    Channel,
    CustomerMessage,
    CustomerMessenger,
    MessageLinks,
    Render,
    contact_zone,
    timeline_kind,
)
from recovery.store.alerting import AlertStore
from recovery.store.customer_messages import ScheduledMessageStore

KIND = "customer_ack"
PROMISE_MARGIN = timedelta(hours=1)  # the lead acknowledges by the deadline, then has an hour to call


@dataclass
class DueOutcome:
    sent: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)  # deferred again, skipped or failed
    items_read: int = 0


class CustomerAcks:
    def __init__(
        self,
        store: AlertStore,
        feedback: FeedbackReads,
        config: CachedConfig,
        messenger: CustomerMessenger,
        scheduled: ScheduledMessageStore,
    ) -> None:
        self._store = store
        self._feedback = feedback
        self._config = config
        self._messenger = messenger
        self._scheduled = scheduled

    def acknowledge(self, case_id: str, now: datetime) -> str:
        """Tell the customer of a new case; answers what `customer_acked` now says (or why nothing)."""
        case = self._store.get_case(case_id)
        if case is None:
            return "skipped:no_case"
        if case.customer_acked is not None:
            return case.customer_acked  # a redelivered event: told already (or decided not to)
        customer = self._feedback.get_customer(case.customer_key)
        team = self._team(case)
        if customer is None:
            return self._skip(case, now, "no_customer")
        if not team.customer_ack:
            return self._skip(case, now, "turned_off")

        promise = self._promise(case, team, customer)
        lead = on_duty_lead(team, promise) or on_duty_lead(team, now)
        outcome = self._messenger.send(
            case_id,
            customer,
            KIND,
            None,
            self._render(customer, team, lead, promise, now),
            now,
            team=team,
        )
        if outcome.status == "deferred" and outcome.until is not None and outcome.channel is not None:
            self._scheduled.schedule(case_id, KIND, outcome.channel, outcome.until, now)
        if outcome.status == "skipped" and outcome.reason == "already_sent":
            return self._mark(case, "sent")
        return self._mark(case, outcome.summary)

    def send_due(self, now: datetime) -> DueOutcome:
        """Scheduled acknowledgements whose time has come; reads only the due index."""
        result = DueOutcome()
        for shard in range(DUE_SHARDS):
            keys = self._scheduled.due(shard, clock.iso(now))
            result.items_read += len(keys)
            for pk in keys:
                item = self._scheduled.get(pk)
                if item is None or item.state != "scheduled":
                    continue
                outcome = self._send_scheduled(item, now)
                (result.sent if outcome == "sent" else result.other).append(item.case_id)
        return result

    # ------------------------------------------------------------------------------------------------
    def _send_scheduled(self, item: ScheduledMessage, now: datetime) -> str:
        case = self._store.get_case(item.case_id)
        customer = self._feedback.get_customer(case.customer_key) if case is not None else None
        if case is None or customer is None:
            self._scheduled.finish(item, "skipped", now)
            return "skipped"
        if case.status == "resolved":
            # Sorry-we'll-call-you after the matter is settled would confuse: drop it, and say so.
            self._scheduled.finish(item, "skipped", now)
            kind = timeline_kind(KIND, "skipped")
            self._store.record(
                case.case_id, kind, now, "system", channel=item.channel, reason="case_resolved"
            )
            self._mark(case, "skipped:resolved", again=True)
            return "skipped"
        team = self._team(case)
        lead = self._named_lead(case, team, now)
        # The first promise has likely passed overnight: promise an hour from now instead.
        promise = self._promise(case, team, customer, not_before=now + PROMISE_MARGIN)
        channel: Channel = "sms" if item.channel == "sms" else "email"
        outcome = self._messenger.send(
            case.case_id,
            customer,
            KIND,
            channel,
            self._render(customer, team, lead, promise, now),
            now,
            team=team,
        )
        if outcome.status == "deferred" and outcome.until is not None:
            self._scheduled.reschedule(item, outcome.until)  # the contact hours changed meanwhile
            return "deferred"
        if not self._scheduled.finish(
            item, outcome.status if outcome.status != "deferred" else "skipped", now
        ):
            return "raced"
        sent = outcome.status == "sent" or outcome.reason == "already_sent"
        self._mark(case, "sent" if sent else outcome.summary, again=True)
        return "sent" if sent else outcome.status

    def _render(
        self,
        customer: Customer,
        team: Team,
        lead: Contact | None,
        promise: datetime,
        now: datetime,
    ) -> Render:
        zone = contact_zone(customer, team, promise)
        name = customer.name
        lead_name = lead.name if lead is not None else None

        def render(language: str, links: MessageLinks) -> CustomerMessage:
            return render_customer_ack(language, links, name, lead_name, promise, zone, now)

        return render

    def _team(self, case: Case) -> Team:
        team, _ = route(
            self._config.get(), routing_subject(case, self._feedback.get_feedback(case.feedback_pk))
        )
        return team

    def _promise(
        self, case: Case, team: Team, customer: Customer, not_before: datetime | None = None
    ) -> datetime:
        """The acknowledgement deadline plus an hour, moved to when the team's leads are on duty (and have
        had that long since they came on) and the customer may be called (`promise_time`)."""
        # Until the alert goes out the stored deadline is intake's default; the alert sets the team's.
        deadline = case.ack_due_at if case.alert_state == "sent" else case.opened_at + team.ack_sla
        earliest = max(deadline + PROMISE_MARGIN, not_before or deadline)
        zone = contact_zone(customer, team, earliest)
        return promise_time(
            earliest,
            [contact.on_duty for contact in team.level(1)],
            contact_hours(team.followup.hours, zone),
            team.ack_sla + PROMISE_MARGIN,
        )

    def _named_lead(self, case: Case, team: Team, now: datetime) -> Contact | None:
        """Whoever has the case (acknowledged it or was assigned), else the on-duty lead."""
        for contact_id in (case.owner, case.acked_by):
            contact = team.contact(contact_id) if contact_id else None
            if contact is not None:
                return contact
        return on_duty_lead(team, now)

    def _skip(self, case: Case, now: datetime, reason: str) -> str:
        self._store.record(case.case_id, timeline_kind(KIND, "skipped"), now, "system", reason=reason)
        return self._mark(case, f"skipped:{reason}")

    def _mark(self, case: Case, summary: str, again: bool = False) -> str:
        self._store.mark_customer_acked(case, summary, again)
        return summary


def on_duty_lead(team: Team, now: datetime) -> Contact | None:
    """The first on-duty contact of the lowest level that has one: who the alert reaches first."""
    for level in sorted(team.levels):
        for contact in team.level(level):
            if is_on_duty(contact.on_duty, now):
                return contact
    return None
