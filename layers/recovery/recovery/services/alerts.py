"""Alerts: the right leads hear of a case within seconds, and someone acts within the team's SLA.

- `alert(case_id)`: on `CaseOpened` (and from the sweep, for a case whose alert never went out), route
  the case to a team and message the on-duty contacts of its level 1 by email and SMS.
- `sweep(now)`: every minute, from the sparse due index only: alerts never sent, and cases not
  acknowledged by their deadline, which escalate one level (after the last level: SLA breached); and
  any delivery row (an alert's, a customer message's, a digest's) left `sending` past its lease by an
  invocation that died mid-send, which is failed as `interrupted` (docs/decisions.md).
- `acknowledge(code, now)`: a lead's one tap; it stops all further escalation.
- Slack (docs/slack.md): a team with a `slack_channel` also gets the case posted there once, with
  one-tap buttons; each escalation is a reply in that message's thread, and `acknowledged(case_id)` (on
  `CaseAcknowledged`, however the case was acknowledged) updates the message in place.

Every message is a delivery row created conditionally before sending, so a redelivered event, a retried
invocation or a sweep racing the event never sends twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from recovery import clock
from recovery.domain import links
from recovery.domain.contacts import mask_email, mask_phone
from recovery.domain.duty import is_on_duty
from recovery.domain.identity import DUE_SHARDS
from recovery.domain.records import Case, Customer, Feedback
from recovery.domain.routing import Config, Contact, Team, route, routing_subject
from recovery.notify.render import AlertContext, render_alert
from recovery.notify.senders import Sender, as_send_failed, send_with_retry
from recovery.notify.slack import Posted, SlackPoster
from recovery.notify.slack_blocks import (
    SlackCase,
    SlackMessage,
    acknowledged_message,
    alert_message,
    escalation_message,
)
from recovery.observability import RecordMetric, logger
from recovery.services.customer_contact import timeline_kind
from recovery.store.alerting import INTERRUPTED, AlertStore, ConfigStore, delivery_pk
from recovery.store.links import LinkStore

if TYPE_CHECKING:
    from recovery.services.teams_alerts import TeamsAlerts

ALERT_GRACE = timedelta(seconds=30)  # a pending alert older than this was lost on the way: resend
LINK_LIFETIME = timedelta(days=7)
CONFIG_TTL = timedelta(seconds=60)
SLACK = "slack"  # a delivery row's channel, and its contact: the team's channel, not a person
SLACK_ROOT_LEVEL = 1  # the key level of a case's Slack message, whatever level its first alert reached


@dataclass
class AlertOutcome:
    case_id: str
    sent: int = 0
    failed: int = 0
    skipped: str | None = None  # why nothing was sent
    level: int = 1
    recipients: list[str] = field(default_factory=list)
    slack: str | None = None  # "posted", "failed", or None when nothing was posted
    teams: str | None = None  # the Teams card (docs/teams.md): "posted", "failed", or None


@dataclass(frozen=True)
class SweepOutcome:
    alerted: list[str]
    escalated: list[str]
    breached: list[str]
    items_read: int
    interrupted: list[str] = field(default_factory=list)  # delivery rows failed past their lease
    reminded: list[str] = field(default_factory=list)  # acknowledged cases idle past half their SLA


@dataclass(frozen=True)
class AckView:
    """What the acknowledge page shows of a case, for the contact the link was sent to: their language
    and clock (None and the team's zone when the contact is no longer in the team), the score and comment,
    and where the case is in the console."""

    case: Case
    score_text: str
    comment: str | None
    language: str | None
    timezone: str
    contact_name: str | None
    acked_by_name: str | None
    case_url: str


class FeedbackReads(Protocol):
    """What alerting reads of a case's feedback and customer (`AlertStore` and `FeedbackStore` alike)."""

    def get_feedback(self, pk: str) -> Feedback | None: ...

    def get_customer(self, customer_key: str) -> Customer | None: ...


class Reminders(Protocol):
    """The sweep's reminders (`recovery.services.owner_notices.Reminders`): due items of one shard."""

    def sweep_shard(self, shard: int, now: datetime) -> tuple[list[str], int]: ...


class CachedConfig:
    """Teams and routing, read at most once a minute per container."""

    def __init__(self, store: ConfigStore) -> None:
        self._store = store
        self._cached: tuple[datetime, Config] | None = None

    def get(self) -> Config:
        now = clock.now()
        if self._cached is None or now - self._cached[0] >= CONFIG_TTL:
            found = self._store.get()
            if found is None:
                raise LookupError("no alerting configuration stored (teams and routing)")
            self._cached = (now, found[0])
        return self._cached[1]


class Routing:
    """The team a case goes to, routed as its alert routes it, for readers that send nothing: the
    outbound CaseOpened event is made before the first alert has routed the case."""

    def __init__(self, store: AlertStore, config: CachedConfig) -> None:
        self._store = store
        self._config = config

    def team_of(self, case_id: str) -> str | None:
        case = self._store.get_case(case_id)
        if case is None:
            return None
        try:
            config = self._config.get()
        except LookupError:  # no teams and routing stored: only the case's own team is known
            return case.team
        feedback = self._store.get_feedback(case.feedback_pk)
        return route(config, routing_subject(case, feedback))[0].id


class Alerts:
    def __init__(
        self,
        store: AlertStore,
        feedback: FeedbackReads,
        config: CachedConfig,
        links_store: LinkStore,
        sender: Sender,
        address_hash: Callable[[str], str],
        public_url: str,
        metric: RecordMetric,
        suppressed: Callable[[str], bool] = lambda _: False,
        sleep: Callable[[float], None] | None = None,
        slack: SlackPoster | None = None,
        teams: TeamsAlerts | None = None,
        reminders: Reminders | None = None,
    ) -> None:
        self._store = store
        self._reminders = reminders
        self._slack = slack
        self._teams = teams
        self._feedback = feedback
        self._config = config
        self._links = links_store
        self._sender = sender
        self._hash = address_hash
        self._public_url = public_url.rstrip("/")
        self._metric = metric
        self._suppressed = suppressed
        self._sleep = sleep

    # ------------------------------------------------------------------------------------------- alert
    def alert(
        self,
        case_id: str,
        level: int = 1,
        kind: str = "alert",
        loaded: tuple[Case, Feedback | None] | None = None,
    ) -> AlertOutcome:
        """Alert the level's on-duty contacts. `loaded`: the case and its feedback, already read by the
        caller (an escalation), so they are not read twice."""
        now = clock.now()
        outcome = AlertOutcome(case_id, level=level)
        case = loaded[0] if loaded is not None else self._store.get_case(case_id)
        if case is None:
            outcome.skipped = "no such case"
            return outcome
        if case.status != "open":
            outcome.skipped = f"case is {case.status}"
            return outcome
        if kind == "alert" and case.alert_state == "sent":
            outcome.skipped = "already alerted"
            return outcome

        feedback = loaded[1] if loaded is not None else self._feedback.get_feedback(case.feedback_pk)
        customer = self._feedback.get_customer(case.customer_key)
        team, rule = route(self._config.get(), routing_subject(case, feedback))

        # The level's on-duty contacts reached in real time for the case's priority (their tier:
        # docs/alert-tiers.md); if there are none (nobody on duty, or all chose the digest), the next level's.
        priority = f"P{int(case.priority)}"
        contacts: list[Contact] = []
        while level <= team.top_level and not contacts:
            on_duty = [contact for contact in team.level(level) if is_on_duty(contact.on_duty, now)]
            contacts = [contact for contact in on_duty if self._realtime(team, contact, priority)]
            if not contacts:
                digest = [contact.id for contact in on_duty if contact.in_digest(priority)]
                extra = {"priority": priority, "digest": digest} if digest else {}
                self._store.record(
                    case_id,
                    "nobody_on_duty",
                    now,
                    "system",
                    distinct=f"{level}",
                    level=level,
                    team=team.id,
                    **extra,
                )
                level += 1
        if not contacts:
            outcome.skipped = "nobody on duty at any level"
            self._mark_breached(case, now, reason="nobody on duty")
            return outcome
        outcome.level = level

        deadline = now + team.ack_sla
        if kind == "alert":
            self._post_slack(case, feedback, customer, team, deadline, now, outcome)
            if self._teams is not None:
                outcome.teams = self._teams.post(case, feedback, customer, team, contacts, deadline, now)
        else:
            self._reply_slack(case, team, level, deadline, now, outcome)
        for contact in contacts:
            self._message(case, feedback, customer, team, contact, level, kind, deadline, now, outcome)
        if outcome.sent == 0 and outcome.failed > 0 and level < team.top_level:
            # Every message of this level failed after its retries: the next level must hear of it.
            self._store.record(case_id, "delivery_failed", now, "system", level=level)
            return self.alert(case_id, level=level + 1, kind="escalation")

        self._after_alert(case, team, level, kind, deadline, now, rule, outcome)
        return outcome

    def _message(
        self,
        case: Case,
        feedback: Feedback | None,
        customer: Customer | None,
        team: Team,
        contact: Contact,
        level: int,
        kind: str,
        deadline: datetime,
        now: datetime,
        outcome: AlertOutcome,
    ) -> None:
        code: str | None = None
        for channel in contact.realtime(f"P{int(case.priority)}"):
            if channel == SLACK:
                continue  # the team's Slack post reaches them (docs/alert-tiers.md)
            address = contact.email if channel == "email" else contact.phone
            if not address:
                continue
            address_hash = self._hash(address)
            row = self._store.claim_delivery(
                delivery_pk(case.case_id, level, channel, address_hash),
                case.case_id,
                level,
                channel,
                contact.id,
                kind,
                now,
            )
            if row is None:
                continue  # sent (or being sent) before: never twice
            if channel == "email" and self._suppressed(address_hash):
                # The address bounced or complained before: SES would refuse it, and it hurts the sender.
                self._store.finish_delivery(row, "suppressed", now)
                self._store.record(case.case_id, "delivery_suppressed", now, "system", contact=contact.id)
                outcome.failed += 1
                continue
            if code is None:
                code = self._links.issue(links.Purpose.ACK, case.case_id, contact.id, LINK_LIFETIME)
            tags = {"kind": kind, "case_id": case.case_id}
            try:  # the row is claimed: whatever rendering or sending raises, it ends `failed`, not `sending`
                rendered = render_alert(
                    self._context(case, feedback, customer, team, contact, level, kind, deadline, code)
                )
                send = (
                    partial(
                        self._sender.send_email, address, rendered.subject, rendered.text, rendered.html, tags
                    )
                    if channel == "email"
                    else partial(self._sender.send_sms, address, rendered.sms, tags)
                )
                message_id = send_with_retry(send, **self._retry())
            except Exception as raised:
                error = as_send_failed(raised)
                state = "suppressed" if error.code == "OptedOut" else "failed"
                self._store.finish_delivery(row, state, clock.now(), error=str(error)[:500])
                self._metric("DeliveriesFailed", 1, "Count")
                outcome.failed += 1
                continue
            self._store.finish_delivery(row, "sent", clock.now(), message_id=message_id)
            outcome.sent += 1
            outcome.recipients.append(f"{contact.id}:{channel}")

    def _realtime(self, team: Team, contact: Contact, priority: str) -> bool:
        """Whether a message reaches `contact` in real time for a case of `priority`: a tier's email or
        SMS, or its slack when the team's Slack post goes out."""
        channels = contact.realtime(priority)
        return any(channel != SLACK for channel in channels) or (
            SLACK in channels and self._slack_channel(team) is not None
        )

    # ------------------------------------------------------------------------------------------- slack
    def _slack_channel(self, team: Team) -> str | None:
        """The team's Slack channel when Slack is set up (its secret exists), else None."""
        if self._slack is None or team.slack_channel is None or not self._slack.enabled():
            return None
        return team.slack_channel

    def _slack_root(self, case_id: str, channel: str) -> Posted | None:
        """Where the case's Slack message is, once posted."""
        row = self._store.get_delivery(delivery_pk(case_id, SLACK_ROOT_LEVEL, SLACK, channel))
        if row is None or row.state != "sent" or not row.message_id:
            return None
        return Posted(channel, row.message_id)

    def _post_slack(
        self,
        case: Case,
        feedback: Feedback | None,
        customer: Customer | None,
        team: Team,
        deadline: datetime,
        now: datetime,
        outcome: AlertOutcome,
    ) -> None:
        """The case in the team's channel, once: a delivery row like any message; its `ts` is kept as the
        row's message id, where escalations and the acknowledged update find it."""
        channel = self._slack_channel(team)
        if channel is None:
            return
        key = delivery_pk(case.case_id, SLACK_ROOT_LEVEL, SLACK, channel)
        message = partial(alert_message, self._slack_case(case, feedback, customer, team, deadline))
        outcome.slack = self._slack_send(
            case.case_id, key, SLACK_ROOT_LEVEL, "alert", channel, message, None, now
        )

    def _reply_slack(
        self, case: Case, team: Team, level: int, deadline: datetime, now: datetime, outcome: AlertOutcome
    ) -> None:
        """An escalation as a reply in the case message's thread (none when the case was never posted)."""
        channel = self._slack_channel(team)
        if channel is None:
            return
        root = self._slack_root(case.case_id, channel)
        if root is None:
            return
        key = delivery_pk(case.case_id, level, SLACK, channel)
        message = partial(escalation_message, case.case_id, level, case.ack_due_at, deadline, team.timezone)
        outcome.slack = self._slack_send(
            case.case_id, key, level, "escalation", channel, message, root.ts, now
        )

    def _slack_send(
        self,
        case_id: str,
        key: str,
        level: int,
        kind: str,
        channel: str,
        message: Callable[[], SlackMessage],
        thread_ts: str | None,
        now: datetime,
    ) -> str | None:
        assert self._slack is not None
        row = self._store.claim_delivery(key, case_id, level, SLACK, SLACK, kind, now)
        if row is None:
            return None  # posted (or being posted) before: never twice
        try:  # the row is claimed: whatever rendering or posting raises, it ends `failed`, not `sending`
            posted = send_with_retry(
                partial(self._slack.post, channel, message(), thread_ts), **self._retry()
            )
        except Exception as raised:
            error = as_send_failed(raised)
            self._store.finish_delivery(row, "failed", clock.now(), error=str(error)[:500])
            self._metric("DeliveriesFailed", 1, "Count")
            return "failed"
        self._store.finish_delivery(row, "sent", clock.now(), message_id=posted.ts)
        return "posted"

    def notice_in_thread(
        self, case: Case, team: Team, event_key: str, message: Callable[[], SlackMessage], now: datetime
    ) -> str | None:
        """An owner notice (docs/notices.md) as a reply in the case's Slack thread, once per timeline event
        (`event_key`, a hash of its key): `posted`, `failed`, or None when the team has no Slack channel or
        the case was never posted."""
        channel = self._slack_channel(team)
        root = self._slack_root(case.case_id, channel) if channel is not None else None
        if channel is None or root is None:
            return None
        key = delivery_pk(case.case_id, SLACK_ROOT_LEVEL, f"{SLACK}-notice-{event_key}", channel)
        return self._slack_send(case.case_id, key, SLACK_ROOT_LEVEL, "notice", channel, message, root.ts, now)

    def acknowledged(self, case_id: str) -> str:
        """On `CaseAcknowledged`: the case's Slack message shows who acknowledged it and when, its buttons
        gone. Idempotent (a redelivered event updates it again to the same). What happened: `updated`,
        `failed`, or why nothing was done."""
        case = self._store.get_case(case_id)
        if case is None:
            return "no such case"
        if case.acked_at is None:
            return "not acknowledged"
        feedback = self._feedback.get_feedback(case.feedback_pk)
        team, _ = route(self._config.get(), routing_subject(case, feedback))
        channel = self._slack_channel(team)
        if channel is None:
            return "no slack channel"
        root = self._slack_root(case_id, channel)
        if root is None:
            return "not posted"
        assert self._slack is not None
        acked_by = team.contact(case.acked_by) if case.acked_by else None
        by = acked_by.name if acked_by is not None else (case.acked_by or "someone")
        customer = self._feedback.get_customer(case.customer_key)
        view = self._slack_case(case, feedback, customer, team, case.ack_due_at)
        try:
            message = acknowledged_message(view, by, case.acked_at)
            send_with_retry(partial(self._slack.update, root.channel, root.ts, message), **self._retry())
        except Exception as raised:
            error = as_send_failed(raised)
            logger.warning("the Slack message was not updated", extra={"error": str(error)[:500]})
            self._metric("DeliveriesFailed", 1, "Count")
            return "failed"
        return "updated"

    def _slack_case(
        self, case: Case, feedback: Feedback | None, customer: Customer | None, team: Team, deadline: datetime
    ) -> SlackCase:
        return SlackCase(**chat_facts(case, feedback, customer, team, deadline, self._public_url))

    def _retry(self) -> dict[str, Any]:
        return {"sleep": self._sleep} if self._sleep is not None else {}

    def _after_alert(
        self,
        case: Case,
        team: Team,
        level: int,
        kind: str,
        deadline: datetime,
        now: datetime,
        rule: str,
        outcome: AlertOutcome,
    ) -> None:
        # Only while still open: an acknowledgement racing in must not be undone.
        if not self._store.mark_alerted(case, team.id, level, deadline, now):
            outcome.skipped = "acknowledged meanwhile"
            return
        self._store.record(
            case.case_id,
            "escalated" if kind == "escalation" else "alerted",
            now,
            "system",
            level=level,
            team=team.id,
            rule=rule,
            recipients=outcome.recipients,
            failed=outcome.failed,
        )
        if kind == "alert":
            self._metric("TimeToAlert", (now - case.opened_at).total_seconds() * 1000, "Milliseconds")

    def _context(
        self,
        case: Case,
        feedback: Feedback | None,
        customer: Customer | None,
        team: Team,
        contact: Contact,
        level: int,
        kind: str,
        deadline: datetime,
        code: str,
    ) -> AlertContext:
        detail: Mapping[str, Any] = (feedback.detail if feedback else None) or {}
        masked = _masked(customer)
        return AlertContext(
            case_id=case.case_id,
            priority=f"P{int(case.priority)}",
            repeat_failure=bool(case.repeat_failure),
            kind=kind,
            level=level,
            score_text=score_text(detail.get("score")),
            comment=detail.get("comment"),
            customer_name=customer.name if customer else None,
            customer_contact_masked=masked,
            agent=case.agent,
            team=team.name,
            channel=case.channel,
            ack_deadline=deadline,
            ack_url=f"{self._public_url}/a/{code}",
            case_url=case_url(self._public_url, case.case_id),
            recipient_name=contact.name,
            language=contact.language,
            timezone=team.zone_for(contact),
            missed_deadline=case.ack_due_at if kind == "escalation" else None,
        )

    # ------------------------------------------------------------------------------------------- sweep
    def sweep(self, now: datetime) -> SweepOutcome:
        """Due work only: delivery rows left `sending` past their lease, pending alerts past the grace
        period, missed acknowledgement deadlines, and reminders of acknowledged cases left idle."""
        reminded: list[str] = []
        alerted: list[str] = []
        escalated: list[str] = []
        breached: list[str] = []
        interrupted: list[str] = []
        read = 0
        for shard in range(DUE_SHARDS):
            # First: an alert whose row was left `sending` can be claimed again by the resend below.
            stuck = self._store.stuck_deliveries(shard, clock.iso(now))
            read += len(stuck)
            interrupted += [row for pk in stuck if (row := self._interrupt(pk, now)) is not None]
            lost = self._store.due("alert", shard, clock.iso(now - ALERT_GRACE))
            read += len(lost)
            for case_id in lost:
                if self.alert(case_id).sent:
                    alerted.append(case_id)
            overdue = self._store.due("ack", shard, clock.iso(now))
            read += len(overdue)
            for case_id in overdue:
                result = self.escalate(case_id, now)
                (escalated if result == "escalated" else breached if result == "breached" else []).append(
                    case_id
                )
            if self._reminders is not None:
                done, seen = self._reminders.sweep_shard(shard, now)
                reminded += done
                read += seen
        return SweepOutcome(alerted, escalated, breached, read, interrupted, reminded)

    def _interrupt(self, pk: str, now: datetime) -> str | None:
        """Fail a row left `sending` past its lease (`SENDING_LEASE`): the invocation sending it died before
        it wrote the outcome, so whether the message went is unknown. Never resent from here: the flow that
        owns it sends again if it wants (the resend of an alert not marked sent claims the failed row anew;
        a lead sees the failure and writes again). On the case's timeline as its failures show: a customer
        message's `customer_<kind>_failed`, a lead's alert's `delivery_interrupted`. The row's key, or None
        when it finished meanwhile."""
        row = self._store.interrupt_delivery(pk, now)
        if row is None:
            return None
        self._metric("DeliveriesFailed", 1, "Count")
        if row.contact_id == "customer":
            detail: dict[str, Any] = {"channel": row.channel, "reason": INTERRUPTED}
            self._store.record_delivery(row, timeline_kind(row.kind, "failed"), now, detail)
        elif row.kind in ("alert", "escalation"):
            detail = {"kind": row.kind, "level": row.level, "channel": row.channel, "contact": row.contact_id}
            self._store.record_delivery(row, "delivery_interrupted", now, {**detail, "reason": INTERRUPTED})
        return row.key

    def escalate(self, case_id: str, now: datetime) -> str:
        case = self._store.get_case(case_id)
        if case is None or case.status != "open" or case.due_at is None or case.due_at > clock.iso(now):
            return "nothing due"
        feedback = self._feedback.get_feedback(case.feedback_pk)
        team, _ = route(self._config.get(), routing_subject(case, feedback))
        level = int(case.level or 1) + 1
        if level > team.top_level:
            self._mark_breached(case, now, reason="not acknowledged at any level")
            return "breached"
        result = self.alert(case_id, level=level, kind="escalation", loaded=(case, feedback))
        return "escalated" if result.sent else "failed"

    def _mark_breached(self, case: Case, now: datetime, reason: str) -> None:
        if self._store.mark_breached(case):
            self._store.record(
                case.case_id, "sla_breached", now, "system", reason=reason, level=int(case.level or 1)
            )
            self._metric("SlaBreached", 1, "Count")

    # ------------------------------------------------------------------------------------- acknowledge
    def inspect(self, code: str, now: datetime) -> tuple[links.Verdict, Case | None]:
        """What a link shows before anything changes (a GET: mail scanners prefetch links)."""
        grant = self._links.resolve(code)
        verdict = links.check(grant, links.Purpose.ACK, now)
        case = self._store.get_case(grant.subject) if grant is not None else None
        return verdict, case

    def view(self, code: str, case: Case) -> AckView:
        """The page's view of `case` for the contact `code` was sent to (reads the link, the feedback
        and the cached configuration; writes nothing)."""
        grant = self._links.resolve(code)
        feedback = self._feedback.get_feedback(case.feedback_pk)
        detail: Mapping[str, Any] = (feedback.detail if feedback else None) or {}
        try:
            team: Team | None = route(self._config.get(), routing_subject(case, feedback))[0]
        except LookupError:
            team = None  # no configuration stored: the page still shows the case, in English and UTC
        contact = team.contact(grant.audience) if team is not None and grant is not None else None
        acked_by = team.contact(case.acked_by) if team is not None and case.acked_by else None
        zone = team.zone_for(contact) if team is not None and contact is not None else None
        return AckView(
            case=case,
            score_text=score_text(detail.get("score")),
            comment=detail.get("comment"),
            language=contact.language if contact is not None else None,
            timezone=zone or (team.timezone if team is not None else "UTC"),
            contact_name=contact.name if contact is not None else None,
            acked_by_name=acked_by.name if acked_by is not None else case.acked_by,
            case_url=case_url(self._public_url, case.case_id),
        )

    def acknowledge(self, code: str, now: datetime) -> tuple[links.Verdict, Case | None]:
        verdict, case = self.inspect(code, now)
        if verdict is not links.Verdict.OK or case is None:
            return verdict, case
        grant = self._links.resolve(code)
        assert grant is not None
        if not self._links.use(code, grant.audience, now):
            return links.Verdict.USED, case
        if self._store.acknowledge(case, grant.audience, now):
            self._store.record(case.case_id, "acknowledged", now, grant.audience, via="link")
            self._metric("TimeToAcknowledge", (now - case.opened_at).total_seconds() * 1000, "Milliseconds")
        return links.Verdict.OK, self._store.get_case(case.case_id)


def chat_facts(
    case: Case,
    feedback: Feedback | None,
    customer: Customer | None,
    team: Team,
    deadline: datetime,
    public_url: str,
) -> dict[str, Any]:
    """What a team's chat message (Slack, Teams) shows of a case: the same facts in both."""
    detail: Mapping[str, Any] = (feedback.detail if feedback else None) or {}
    return {
        "case_id": case.case_id,
        "priority": f"P{int(case.priority)}",
        "score_text": score_text(detail.get("score")),
        "comment": detail.get("comment"),
        "customer_masked": _masked(customer),
        "agent": case.agent,
        "channel": case.channel,
        "team": team.name,
        "ack_deadline": deadline,
        "timezone": team.timezone,
        "repeat_failure": bool(case.repeat_failure),
        "case_url": case_url(public_url, case.case_id),
    }


def _masked(customer: Customer | None) -> str | None:
    """The customer's email, else phone, masked for a lead's eyes."""
    if customer is None:
        return None
    if customer.email:
        return mask_email(customer.email)
    return mask_phone(customer.phone) if customer.phone else None


def case_url(public_url: str, case_id: str) -> str:
    """The case in the lead console (its hash route, functions/console/static/nav.js)."""
    return f"{public_url.rstrip('/')}/console/#/cases/{case_id}"


def score_text(score: Mapping[str, Any] | None) -> str:
    """How a score reads in a message: "NPS 3/10", "CSAT 2/5", "thumbs down"."""
    if not score:
        return "no score"
    kind, value = score.get("type"), score.get("value")
    scales = {"nps": ("NPS", 10), "csat": ("CSAT", 5), "stars": ("Stars", 5), "ces": ("CES", 7)}
    if kind in scales:
        label, top = scales[kind]
        return f"{label} {value}/{top}"
    if kind == "thumbs":
        return "thumbs down" if value == "down" else "thumbs up"
    return f"{value} ({score.get('min')}–{score.get('max')})"
