"""Working a case: the queue, the case page, and every change a lead makes, each on the timeline.

A change names the version the lead saw (`If-Match`): if the case moved on since, nothing is written
(`StaleCase`, 412). An operation the case's status does not allow is refused (`InvalidTransition`, 409).
A compensation above the team's limit waits for a level-2 contact, who decides through a signed link.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from recovery import clock
from recovery.domain import cases as rules
from recovery.domain import links
from recovery.domain.cases import Lead
from recovery.domain.contacts import mask_email, mask_phone
from recovery.domain.duty import business_seconds
from recovery.domain.records import Case, CaseEvent, Customer, Feedback, FollowUp
from recovery.domain.routing import ClosingTarget, Config, Contact, Team
from recovery.notify.approval import render_approval
from recovery.notify.customer import render_lead_message
from recovery.notify.senders import Sender, as_send_failed, send_with_retry
from recovery.observability import RecordMetric
from recovery.services.alerts import CachedConfig
from recovery.services.customer_contact import UNSENDABLE, CustomerMessage, CustomerMessenger, MessageLinks
from recovery.services.follow_up import plan_follow_up
from recovery.store.cases import CaseStore, StaleCase
from recovery.store.links import LinkStore

APPROVAL_LIFETIME = timedelta(hours=72)


class NotFound(Exception):
    """No such case, or not one this lead may see (HTTP 404: the two look the same)."""


class Forbidden(Exception):
    """The lead may not do this (HTTP 403)."""


@dataclass
class CaseView:
    """A case with everything the case page shows."""

    case: Case
    feedback: Feedback | None
    customer: Customer | None
    timeline: list[CaseEvent]
    earlier_feedback: list[Feedback]
    earlier_cases: list[Case]
    followup: FollowUp | None
    team: Team | None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class QueueRow:
    """One case of the queue with who and what: the customer's name (or, with no name, their email or
    phone masked), the score as the feedback has it, and the comment. None where nothing is held (an
    erased customer, a response without a comment)."""

    case: Case
    name: str | None
    contact: str | None
    score: Mapping[str, Any] | None
    comment: str | None


@dataclass(frozen=True)
class QueuePage:
    team: str
    rows: list[QueueRow]
    next_cursor: str | None


def _row(case: Case, feedback: Feedback | None, customer: Customer | None) -> QueueRow:
    detail = feedback.detail if feedback is not None else {}
    score = detail.get("score")
    comment = detail.get("comment")
    name = customer.name if customer is not None else None
    contact = None
    if customer is not None and not name:
        if customer.email:
            contact = mask_email(customer.email)
        elif customer.phone:
            contact = mask_phone(customer.phone)
    return QueueRow(
        case,
        name or None,
        contact,
        dict(score) if isinstance(score, Mapping) else None,
        comment if isinstance(comment, str) and comment.strip() else None,
    )


def reopen_case(
    store: CaseStore,
    case: Case,
    actor: str,
    now: datetime,
    detail: dict[str, Any],
    writes: Sequence[Any] = (),
) -> Case:
    """Reopen a resolved case at the version read (StaleCase if it moved on), by a lead or by the
    system (a customer's reply). `writes`: more items the same transaction writes (the reply itself)."""
    rules.check_transition("reopen", case.status)
    # A follow-up not sent yet would ask about a resolution that no longer stands: cancelled with it.
    follow_up = store.followup(case.case_id)
    return store.reopen(case, int(case.version or 0), actor, now, detail, follow_up, puts=writes)


def closing_time(team: Team | None, opened_at: datetime, resolved_at: datetime) -> tuple[int, int]:
    """What a case resolved now keeps for the on-time share (docs/reports.md): the team's closing target
    in hours, and the whole seconds of the team's business hours from opening to resolving. A team no
    longer configured has the default target and, with no hours known, the wall clock."""
    if team is None:
        return ClosingTarget().hours, int((resolved_at - opened_at).total_seconds())
    business = business_seconds(team.business_hours(), opened_at, resolved_at)
    return team.closing_target.hours, int(business)


class Cases:
    def __init__(
        self,
        store: CaseStore,
        config: CachedConfig,
        links_store: LinkStore,
        sender: Sender,
        public_url: str,
        metric: RecordMetric,
        messenger: CustomerMessenger | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._store = store
        self._config = config
        self._links = links_store
        self._sender = sender
        self._public_url = public_url.rstrip("/")
        self._metric = metric
        self._messenger = messenger
        self._sleep = sleep

    # -------------------------------------------------------------------------------------- reading
    def config(self) -> Config | None:
        try:
            return self._config.get()
        except LookupError:
            return None

    def lead(self, claims: dict[str, Any] | None) -> Lead:
        return rules.lead_from_claims(claims, self.config())

    def team_of(self, team_id: str | None) -> Team | None:
        config = self.config()
        if config is None or team_id is None:
            return None
        return next((team for team in config.teams if team.id == team_id), None)

    def visible_teams(self, lead: Lead) -> list[str]:
        config = self.config()
        known = [team.id for team in config.teams] if config else []
        return known if lead.admin else sorted(team for team in lead.teams if team in known or not known)

    def queue(
        self, lead: Lead, team: str | None, status: str, priority: int | None, limit: int, cursor: str | None
    ) -> QueuePage:
        teams = self.visible_teams(lead)
        if team is None:
            if len(teams) != 1:
                raise Forbidden(
                    "name a team with ?team=: you see " + (", ".join(teams) if teams else "no team")
                )
            team = teams[0]
        if not lead.may_see(team):
            raise Forbidden(f"you are not a lead of team {team!r}")
        page = self._store.queue(team, status, priority, limit, cursor)
        feedback, customers = self._store.people(page.items)
        rows = [
            _row(case, feedback.get(case.feedback_pk), customers.get(case.customer_key))
            for case in page.items
        ]
        return QueuePage(team, rows, page.next_cursor)

    def get(self, lead: Lead, case_id: str) -> CaseView:
        case = self._visible(lead, case_id)
        feedback = self._store.feedback(case.feedback_pk)
        customer = self._store.customer(case.customer_key)
        earlier_feedback, earlier_cases = self._store.history(case.customer_key)
        return CaseView(
            case=case,
            feedback=feedback,
            customer=customer,
            timeline=self._store.timeline(case.case_id),
            earlier_feedback=[item for item in earlier_feedback if item.key != case.feedback_pk],
            earlier_cases=[item for item in earlier_cases if item.case_id != case.case_id],
            followup=self._store.followup(case.case_id),
            team=self.team_of(case.team),
        )

    def _visible(self, lead: Lead, case_id: str) -> Case:
        case = self._store.get(case_id) if case_id.startswith("cs_") and len(case_id) <= 40 else None
        if case is None or not lead.may_see(case.team):
            raise NotFound(f"no case {case_id!r}")
        return case

    def _prepare(self, lead: Lead, case_id: str, version: int, operation: rules.Operation) -> Case:
        case = self._visible(lead, case_id)
        if int(case.version or 0) != version:
            raise StaleCase(f"the case is at version {int(case.version or 0)}, not {version}; read it again")
        rules.check_transition(operation, case.status)
        return case

    # -------------------------------------------------------------------------------------- changes
    def acknowledge(self, lead: Lead, case_id: str, version: int, via: str = "console") -> Case:
        now = clock.now()
        case = self._prepare(lead, case_id, version, "ack")
        updated = self._store.acknowledge(case, version, lead.actor, now, {"via": via})
        self._metric("TimeToAcknowledge", (now - case.opened_at).total_seconds() * 1000, "Milliseconds")
        return updated

    def act(self, lead: Lead, case_id: str, version: int, request: rules.ActionRequest) -> Case:
        now = clock.now()
        case = self._prepare(lead, case_id, version, "actions")
        action = request.action
        if isinstance(action, rules.CompensationAction):
            return self._compensate(lead, case, version, action, now)
        detail: dict[str, Any] = {"text": action.text} if action.text else {}
        if isinstance(action, rules.ContactedAction):
            detail["channel"] = action.channel
        # The case itself does not change, but its version does: a lead's view of it is now stale.
        return self._store.note(case, version, action.type, lead.actor, now, detail)

    def _compensate(
        self, lead: Lead, case: Case, version: int, action: rules.CompensationAction, now: datetime
    ) -> Case:
        team = self.team_of(case.team)
        offer = action.compensation
        granted = rules.within_limit(team, offer)
        entry = {
            "id": "cp_" + secrets.token_hex(6),
            "type": offer.type,
            "amount": f"{offer.amount:.2f}",
            "currency": offer.currency,
            "status": "granted" if granted else "pending",
            "by": lead.actor,
            "at": clock.iso(now),
        }
        compensations = [*list(case.compensations or []), entry]
        detail = {key: entry[key] for key in ("id", "type", "amount", "currency", "status")}
        if action.text:
            detail["text"] = action.text
        kind = "compensation_granted" if granted else "compensation_requested"
        updated = self._store.add_compensation(case, version, compensations, kind, lead.actor, now, detail)
        if not granted:
            self._request_approval(updated, team, entry, lead, now)
        return updated

    def _request_approval(
        self, case: Case, team: Team | None, entry: dict[str, Any], lead: Lead, now: datetime
    ) -> None:
        """Ask the level-2 contacts to approve or decline: each gets their own single-use link."""
        contacts = rules.approvers(team) if team else []
        requester = team.contact(lead.actor) if team else None
        sent: list[str] = []
        for contact in contacts:
            if not (contact.email and "email" in contact.channels) and not contact.phone:
                continue
            code = self._links.issue(
                links.Purpose.APPROVAL, f"{case.case_id}#{entry['id']}", contact.id, APPROVAL_LIFETIME
            )
            tags = {"kind": "approval", "case_id": case.case_id}
            # The compensation is stored already: whatever rendering or sending raises, the request is
            # still recorded below (with the contacts it reached), never left half-done.
            try:
                message = render_approval(
                    contact.language,
                    contact.name,
                    requester.name if requester else lead.actor,
                    case.case_id,
                    int(case.priority),
                    entry["type"],
                    entry["amount"],
                    entry["currency"],
                    f"{self._public_url}/c/{code}",
                    int(APPROVAL_LIFETIME.total_seconds() // 3600),
                )
                if contact.email and "email" in contact.channels:
                    send = partial(
                        self._sender.send_email,
                        contact.email,
                        message.subject,
                        message.text,
                        message.html,
                        tags,
                    )
                else:
                    assert contact.phone is not None
                    send = partial(self._sender.send_sms, contact.phone, message.sms, tags)
                retry: dict[str, Any] = {"sleep": self._sleep} if self._sleep else {}
                send_with_retry(send, **retry)
                sent.append(contact.id)
            except Exception as raised:
                as_send_failed(raised)  # logs what was not a send failure
                self._metric("DeliveriesFailed", 1, "Count")
        self._store.record(
            case.case_id, "approval_requested", now, "system", compensation=entry["id"], to=sent
        )

    def assign(self, lead: Lead, case_id: str, version: int, request: rules.AssignRequest) -> Case:
        now = clock.now()
        case = self._prepare(lead, case_id, version, "assign")
        team = self.team_of(case.team)
        if team is None or team.contact(request.to) is None:
            raise rules.InvalidTransition(f"{request.to!r} is not a contact of team {case.team!r}")
        detail = {"to": request.to, "from": case.owner}
        return self._store.assign(case, version, request.to, lead.actor, now, detail)

    def resolve(self, lead: Lead, case_id: str, version: int, request: rules.ResolveRequest) -> Case:
        now = clock.now()
        case = self._prepare(lead, case_id, version, "resolve")
        if any(entry.get("status") == "pending" for entry in case.compensations or []):
            raise rules.InvalidTransition(
                "a compensation is waiting for approval; resolve after the decision"
            )
        resolution = {"root_cause": request.root_cause, "summary": request.summary, "by": lead.actor}
        feedback = self._store.feedback(case.feedback_pk)
        score = dict((feedback.detail or {}).get("score") or {}) if feedback else {}
        customer = self._store.customer(case.customer_key)
        planned = plan_follow_up(case, customer, self.team_of(case.team), score, now)
        existing = self._store.followup(case.case_id) if planned is not None else None
        detail = {"root_cause": request.root_cause, "summary": request.summary}
        closing = closing_time(self.team_of(case.team), case.opened_at, now)
        updated = self._store.resolve(
            case, version, resolution, lead.actor, now, detail, planned, existing, closing
        )
        self._metric("TimeToResolve", (now - case.opened_at).total_seconds() * 1000, "Milliseconds")
        return updated

    def reopen(self, lead: Lead, case_id: str, version: int, request: rules.ReopenRequest) -> Case:
        now = clock.now()
        case = self._prepare(lead, case_id, version, "reopen")
        return reopen_case(self._store, case, lead.actor, now, {"reason": request.reason})

    def message(
        self, lead: Lead, case_id: str, version: int, request: rules.MessageRequest
    ) -> dict[str, Any]:
        """Write to the customer from the case.

        The message is built whole first (the email's MIME bytes with every header, or the SMS text), so
        one that cannot be sent is refused before anything is written. Then it is on the timeline (and
        the case's version moves) before it is sent, so a retried request with the same ETag gets 412,
        never a second copy. Then its delivery row is claimed and the message sent; the row ends `sent`
        or `failed`, and the outcome is on the timeline either way."""
        now = clock.now()
        case = self._prepare(lead, case_id, version, "messages")
        if self._messenger is None:
            raise rules.InvalidTransition("messages to customers are not configured")
        customer = self._store.customer(case.customer_key)
        if customer is None or customer.erased_at is not None:
            raise rules.InvalidTransition("the case has no customer to write to")
        if request.channel == "email" and not customer.email:
            raise rules.InvalidTransition("the customer has no email address; write by SMS")
        if request.channel == "sms" and not customer.phone:
            raise rules.InvalidTransition("the customer has no phone number; write by email")
        team = self.team_of(case.team)
        contact = team.contact(lead.actor) if team else None
        lead_name = contact.name if contact else None

        def render(language: str, message_links: MessageLinks) -> CustomerMessage:
            return render_lead_message(
                language, customer.name, lead_name, request.subject, request.text, message_links
            )

        prepared = self._messenger.prepare(
            case.case_id,
            customer,
            "message",
            request.channel,
            render,
            now,
            team=team,
            defer_sms_at_night=False,  # a lead writing now means now
        )
        if prepared.outcome is not None and prepared.outcome.reason == UNSENDABLE:
            raise rules.InvalidTransition(
                f"the message cannot be sent by {request.channel} as written; nothing was sent"
            )
        detail = {"channel": request.channel, "subject": request.subject, "text": request.text}
        updated = self._store.note(case, version, "customer_message", lead.actor, now, detail)
        outcome = self._messenger.deliver(prepared, now, key=str(int(updated.version or 0)))
        return {"status": outcome.status, "channel": outcome.channel, "reason": outcome.reason}

    # ------------------------------------------------------------------------------------ approvals
    def inspect_approval(
        self, code: str, now: datetime
    ) -> tuple[links.Verdict, Case | None, dict[str, Any] | None, Contact | None]:
        """What an approval link points at: its verdict, the case, the compensation, and the contact it
        was sent to (None when unknown, e.g. no longer in the team), whose language the page speaks."""
        grant = self._links.resolve(code)
        verdict = links.check(grant, links.Purpose.APPROVAL, now)
        if grant is None or verdict is links.Verdict.UNKNOWN or verdict is links.Verdict.WRONG_PURPOSE:
            return verdict, None, None, None
        case_id, _, compensation_id = grant.subject.partition("#")
        case = self._store.get(case_id)
        entry = (
            next((dict(c) for c in case.compensations if c.get("id") == compensation_id), None)
            if case
            else None
        )
        team = self.team_of(case.team) if case else None
        return verdict, case, entry, team.contact(grant.audience) if team else None

    def decide(
        self, code: str, approve: bool, now: datetime
    ) -> tuple[links.Verdict, Case | None, dict[str, Any] | None, Contact | None]:
        """Approve or decline through a link; the same four values as `inspect_approval`."""
        verdict, case, entry, approver = self.inspect_approval(code, now)
        if verdict is not links.Verdict.OK or case is None or entry is None:
            return verdict, case, entry, approver
        if entry.get("status") != "pending":
            return links.Verdict.USED, case, entry, approver  # another approver decided first
        grant = self._links.resolve(code)
        assert grant is not None
        if not self._links.use(code, grant.audience, now):
            return links.Verdict.USED, case, entry, approver
        status = "approved" if approve else "declined"
        for _ in range(3):  # the case may change meanwhile (a note, an escalation): read, decide, retry
            compensations = [dict(item) for item in case.compensations or []]
            target = next(item for item in compensations if item.get("id") == entry["id"])
            if target.get("status") != "pending":
                return links.Verdict.USED, case, target, approver
            target.update(status=status, decided_by=grant.audience, decided_at=clock.iso(now))
            detail = {key: entry[key] for key in ("id", "type", "amount", "currency")}
            try:
                decided = self._store.decide_compensation(
                    case, compensations, f"compensation_{status}", grant.audience, now, detail
                )
            except StaleCase:
                refreshed = self._store.get(case.case_id)
                if refreshed is None:
                    break
                case = refreshed
                continue
            return links.Verdict.OK, decided, target, approver
        raise StaleCase("the case kept changing; try again")
