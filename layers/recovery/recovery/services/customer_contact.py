"""Messages to a customer about their case, with every guardrail in one place.

Public interface (the instant acknowledgement, follow-ups and a lead's own messages all send through it):

    messenger = CustomerMessenger(store, links_store, sender, address_hash, public_url, suppressed=...)
    outcome = messenger.send(
        case_id, customer, kind, channel, render, now,
        team=team,                  # contact hours (team.followup.hours) and the fallback time zone
        defer_sms_at_night=True,    # False: send an SMS whatever the hour (a lead's explicit message)
        key=None,                   # tells apart several messages of one kind on one case ("message")
        record=True,                # False: the caller writes the timeline event itself
    )

`send` is `prepare` then `deliver`. A caller with its own write to make first (a lead's message moves the
case's version) calls them apart, so the message is built whole before anything is written:

    prepared = messenger.prepare(case_id, customer, kind, channel, render, now, team=team)
    ...                                                # the caller's own write
    outcome = messenger.deliver(prepared, now, key=key)

A function builds it from its environment with `recovery.wiring.customers.build_messenger(settings)`.
Renderers: `recovery.notify.customer` (`render_customer_ack`, `render_lead_message`, and
`render_customer` for any template extending `customer/layout.html`, whose footer has the link).

- `customer` is the `Customer` record; `kind` is the outbox kind (`customer_ack`, `followup`, `message`).
- `channel` is "email", "sms" or None: None means email when the customer has an address, else SMS.
- `render(language, links)` returns a `CustomerMessage` (subject, text, html for email; sms for SMS)
  in `language` ("en", "de", "nb", "ja", "zh" or "tr", from the customer's locale). `links.channel` says
  which fields are used; `links.unsubscribe_url` is the customer's `/u/{code}` for an email (None for
  an SMS), to be shown in the footer (`recovery.notify.customer` renders it).
- The answer is a `SendOutcome`: `sent` (with the message id), `deferred` (with `until`: an SMS outside
  the customer's contact hours; the caller schedules it and sends again then), `skipped` (with `reason`:
  `opted_out`, `suppressed`, `no_address`, `already_sent`) or `failed` (after retries; `reason`
  `unsendable` when the message could not be built, e.g. a header with a line break, and nothing was
  claimed or sent).

Guardrails, in order:
1. A channel the customer opted out of (`Customer.opted_out`) is skipped; so is an erased customer.
2. An email address on the suppression list (bounces, complaints) is skipped.
3. An SMS outside the customer's contact hours, in the customer's time zone (`contact_zone`: their own,
   else their phone's, else their locale's country's, else the team's), is deferred to the next allowed
   moment.
   An email is never deferred: it waits in the inbox, not on a bedside table.
4. The message is built whole (the email's MIME bytes with every header, the SMS text) before anything
   is written: one that cannot be built fails here, with no row claimed.
5. A delivery row (`DLV#<case>#cust#<kind>[:<key>]#<channel>#<hmac(address)>`) is created conditionally before
   sending, so a retried event or invocation never sends twice. It never stays `sending`: whatever the
   sender raises, the row is finished `failed` with the reason (and the sweep fails a row a crashed
   invocation left `sending` past its lease: docs/decisions.md).
6. Transient send failures are retried with backoff.
7. Every email carries the unsubscribe link in its footer and the RFC 8058 headers `List-Unsubscribe`
   and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
8. With a reply domain (`REPLY_DOMAIN`), every email carries `Reply-To: reply+<code>@<reply domain>`,
   a reply code for the case (`recovery.domain.links`, reusable for `REPLY_LIFETIME`); every SMS
   remembers the number it went to for the case. So the customer's answer, by email or SMS, lands on
   the case (`recovery.services.inbound_replies`, docs/replies.md).

The case's timeline records what happened (`customer_acknowledged`, `customer_ack_deferred`,
`customer_ack_skipped`, `customer_ack_failed`; `customer_<kind>_sent` and so on for other kinds) with
the channel and the reason, never the address or the text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from recovery import clock
from recovery.domain import links
from recovery.domain.duty import OnDuty, Window, is_on_duty, next_on_duty
from recovery.domain.records import Customer
from recovery.domain.routing import ContactHours, Team
from recovery.domain.zones import customer_zone
from recovery.notify.customer import Channel, CustomerMessage, MessageLinks
from recovery.notify.render import language_of
from recovery.notify.senders import RawEmail, Sender, UnsendableMessage, as_send_failed, send_with_retry
from recovery.store.alerting import DeliveryRows
from recovery.store.customer_messages import CustomerEvents
from recovery.store.links import LinkStore
from recovery.store.replies import ReplyStore

Status = Literal["sent", "deferred", "skipped", "failed"]
UNSUBSCRIBE_LIFETIME = timedelta(days=365)
REPLY_LIFETIME = timedelta(days=180)  # a reply code's life: long enough to answer a follow-up
ONE_CLICK = "List-Unsubscribe=One-Click"
_FALLBACK_ZONE = "UTC"
UNSENDABLE = "unsendable"  # the message could not be built as written (a header with a line break)


Render = Callable[[str, MessageLinks], CustomerMessage]


@dataclass(frozen=True)
class SendOutcome:
    status: Status
    channel: Channel | None
    message_id: str | None = None
    until: datetime | None = None  # deferred: the next moment an SMS may go
    reason: str | None = None  # skipped or failed: why

    @property
    def summary(self) -> str:
        """`sent`, `deferred`, `skipped:<reason>` or `failed`: how `Case.customer_acked` reads."""
        return f"skipped:{self.reason}" if self.status == "skipped" else self.status


@dataclass(frozen=True)
class Prepared:
    """A message ready to go (`email` or `sms`, built whole), or the guardrails' `outcome` instead."""

    case_id: str
    kind: str
    channel: Channel | None
    outcome: SendOutcome | None = None  # skipped, deferred or failed (unsendable): nothing to send
    address: str | None = None
    address_hash: str | None = None
    email: RawEmail | None = None
    sms: str | None = None


def timeline_kind(kind: str, status: Status) -> str:
    """The case event a customer message writes: `customer_acknowledged`, `customer_ack_deferred`, ..."""
    if kind == "customer_ack" and status == "sent":
        return "customer_acknowledged"
    base = kind if kind.startswith("customer_") else f"customer_{kind}"
    return f"{base}_{status}"


def with_unsubscribe(text: str, html: str, url: str) -> tuple[str, str]:
    """The text and HTML with the unsubscribe link, added at the end if a template left it out."""
    from markupsafe import escape

    if url not in text:
        text = f"{text.rstrip()}\n\n{url}\n"
    if escape(url) not in html and url not in html:
        link = f'<p style="font-size:12px;"><a href="{escape(url)}">{escape(url)}</a></p>'
        html = html.replace("</body>", f"{link}</body>") if "</body>" in html else html + link
    return text, html


def customer_delivery_pk(case_id: str, kind: str, channel: str, address_hash: str, key: str | None) -> str:
    which = f"{kind}:{key}" if key else kind
    return f"DLV#{case_id}#cust#{which}#{channel}#{address_hash}"


def contact_zone(customer: Customer, team: Team | None, at: datetime | None = None) -> str:
    """The customer's own clock (`recovery.domain.zones.customer_zone`): their time zone, else their
    phone's, else their locale's country's, else the team's. `at`: the moment the zone must be right for
    (a country or a phone with several zones counts only when they agree then); now by default."""
    return customer_zone(
        customer.timezone, customer.phone, customer.locale, team_zone(team), at or clock.now()
    )


def team_zone(team: Team | None) -> str:
    """The team's zone; when the team sets none (UTC), that of its first level-1 contact with on-duty
    hours (the team serves its customers, so likely lives near them); else UTC."""
    if team is None:
        return _FALLBACK_ZONE
    if team.timezone != _FALLBACK_ZONE:
        return team.timezone
    for contact in team.level(1):
        if contact.on_duty is not None:
            return contact.on_duty.timezone
    return _FALLBACK_ZONE


def contact_schedule(hours: ContactHours, zone: str) -> OnDuty | None:
    """The contact hours as a weekly schedule in the customer's zone; None when any hour will do."""
    if hours.start == hours.end:
        return None
    return OnDuty(timezone=zone, windows=[Window(days=list(hours.days), start=hours.start, end=hours.end)])


def next_contact_moment(
    customer: Customer, team: Team | None, now: datetime, hours: ContactHours | None = None
) -> datetime:
    """`now` if the customer may be contacted now, else the next allowed moment (UTC)."""
    chosen = hours or (team.followup.hours if team is not None else ContactHours())
    schedule = contact_schedule(chosen, contact_zone(customer, team, now))
    if is_on_duty(schedule, now):
        return now
    return next_on_duty(schedule, now) or now + timedelta(days=1)


class CustomerMessenger:
    def __init__(
        self,
        store: DeliveryRows,
        links_store: LinkStore,
        sender: Sender,
        address_hash: Callable[[str], str],
        public_url: str,
        suppressed: Callable[[str], bool] = lambda _: False,
        sleep: Callable[[float], None] | None = None,
        events: CustomerEvents | None = None,
        reply_domain: str | None = None,
        reply_routes: ReplyStore | None = None,
    ) -> None:
        self._store = store
        self._reply_domain = (reply_domain or "").strip().lower() or None
        self._reply_routes = reply_routes
        self._events = events or CustomerEvents()
        self._links = links_store
        self._sender = sender
        self._hash = address_hash
        self._public_url = public_url.rstrip("/")
        self._suppressed = suppressed
        self._sleep = sleep

    def send(
        self,
        case_id: str,
        customer: Customer,
        kind: str,
        channel: Channel | None,
        render: Render,
        now: datetime,
        *,
        team: Team | None = None,
        defer_sms_at_night: bool = True,
        key: str | None = None,
        record: bool = True,
    ) -> SendOutcome:
        """Send one message to the customer about a case, or say why not (see the module doc)."""
        prepared = self.prepare(
            case_id, customer, kind, channel, render, now, team=team, defer_sms_at_night=defer_sms_at_night
        )
        return self.deliver(prepared, now, key=key, record=record)

    def prepare(
        self,
        case_id: str,
        customer: Customer,
        kind: str,
        channel: Channel | None,
        render: Render,
        now: datetime,
        *,
        team: Team | None = None,
        defer_sms_at_night: bool = True,
    ) -> Prepared:
        """The guardrails' answer, or the message built whole, exactly as it will be sent: the email as
        MIME bytes with its headers, the SMS as its text. Writes no delivery row and no timeline event
        (an email's unsubscribe link is issued: the footer shows it). A message that cannot be built (a
        header with a line break) is `failed` with reason `unsendable`, before anything is claimed."""
        chosen: Channel | None = channel or ("email" if customer.email else "sms" if customer.phone else None)

        def stop(status: Status, **why: Any) -> Prepared:
            return Prepared(case_id, kind, chosen, SendOutcome(status, chosen, **why))

        if chosen is None or customer.erased_at is not None:
            return stop("skipped", reason="no_address")
        address = customer.email if chosen == "email" else customer.phone
        if not address:
            return stop("skipped", reason="no_address")
        if chosen in (customer.opted_out or {}):
            return stop("skipped", reason="opted_out")
        address_hash = self._hash(address)
        if chosen == "email" and self._suppressed(address_hash):
            return stop("skipped", reason="suppressed")
        if chosen == "sms" and defer_sms_at_night:
            allowed = next_contact_moment(customer, team, now)
            if allowed > now:
                return stop("deferred", until=allowed)

        language = language_of(customer.locale)
        try:
            if chosen == "email":
                url = self.unsubscribe_url(customer)
                message = render(language, MessageLinks("email", url))
                text, html = with_unsubscribe(message.text, message.html, url)
                headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK}
                reply_to = self.reply_address(case_id, customer)
                if reply_to is not None:
                    headers["Reply-To"] = reply_to
                email = self._sender.compose_raw_email(address, message.subject, text, html, headers)
                return Prepared(
                    case_id, kind, chosen, address=address, address_hash=address_hash, email=email
                )
            sms = render(language, MessageLinks("sms")).sms
            sms.encode("utf-8")  # a lone surrogate cannot travel: refused here, not by the provider
            if self._reply_routes is not None:  # a text back finds this case (docs/replies.md)
                self._reply_routes.remember_sms(address_hash, case_id, customer.key, now)
            return Prepared(case_id, kind, chosen, address=address, address_hash=address_hash, sms=sms)
        except (UnsendableMessage, UnicodeError):
            return stop("failed", reason=UNSENDABLE)

    def deliver(
        self, prepared: Prepared, now: datetime, *, key: str | None = None, record: bool = True
    ) -> SendOutcome:
        """Send a prepared message once: its delivery row claimed, the bytes sent, the row finished (`sent`,
        or `failed` with the reason, whatever the sender raised), and the outcome on the timeline."""
        outcome = self._deliver(prepared, now, key)
        if record and not (outcome.status == "skipped" and outcome.reason == "already_sent"):
            self._record(prepared.case_id, prepared.kind, outcome, now, key)
        return outcome

    def unsubscribe_url(self, customer: Customer) -> str:
        """A fresh `/u/{code}` link for the customer: long-lived and reusable (one-click may repeat)."""
        key = customer.key
        code = self._links.issue(links.Purpose.UNSUBSCRIBE, key, key, UNSUBSCRIBE_LIFETIME, single_use=False)
        return f"{self._public_url}/u/{code}"

    def reply_address(self, case_id: str, customer: Customer) -> str | None:
        """`reply+<code>@<reply domain>` with a fresh reply code for the case; None without a domain."""
        if self._reply_domain is None:
            return None
        code = self._links.issue_reply(case_id, customer.key, REPLY_LIFETIME)
        return f"reply+{code}@{self._reply_domain}"

    # ------------------------------------------------------------------------------------------------
    def _deliver(self, prepared: Prepared, now: datetime, key: str | None) -> SendOutcome:
        if prepared.outcome is not None:
            return prepared.outcome
        chosen, address = prepared.channel, prepared.address
        assert chosen is not None and address is not None and prepared.address_hash is not None
        row = self._store.claim_delivery(
            customer_delivery_pk(prepared.case_id, prepared.kind, chosen, prepared.address_hash, key),
            prepared.case_id,
            0,
            chosen,
            "customer",
            prepared.kind,
            now,
        )
        if row is None:
            return SendOutcome("skipped", chosen, reason="already_sent")

        tags = {"kind": prepared.kind, "case_id": prepared.case_id}
        email, sms = prepared.email, prepared.sms
        try:
            if email is not None:
                message_id = send_with_retry(
                    lambda: self._sender.send_composed_email(email, tags), **self._retry()
                )
            else:
                assert sms is not None
                message_id = send_with_retry(
                    lambda: self._sender.send_sms(address, sms, tags), **self._retry()
                )
        except Exception as raised:  # whatever it was, the row must not stay `sending`
            error = as_send_failed(raised)
            state = "suppressed" if error.code == "OptedOut" else "failed"
            self._store.finish_delivery(row, state, clock.now(), error=str(error)[:500])
            if state == "suppressed":
                return SendOutcome("skipped", chosen, reason="opted_out")
            return SendOutcome("failed", chosen, reason=error.code or "send_failed")
        self._store.finish_delivery(row, "sent", clock.now(), message_id=message_id)
        return SendOutcome("sent", chosen, message_id=message_id)

    def _record(self, case_id: str, kind: str, outcome: SendOutcome, now: datetime, key: str | None) -> None:
        detail: dict[str, Any] = {"channel": outcome.channel}
        if outcome.reason:
            detail["reason"] = outcome.reason
        if outcome.until is not None:
            detail["until"] = clock.iso(outcome.until)
        self._events.record(
            case_id, timeline_kind(kind, outcome.status), now, detail, distinct=key or outcome.channel
        )

    def _retry(self) -> dict[str, Any]:
        return {"sleep": self._sleep} if self._sleep is not None else {}
