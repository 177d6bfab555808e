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
  `opted_out`, `suppressed`, `no_address`, `already_sent`) or `failed` (after retries).

Guardrails, in order:
1. A channel the customer opted out of (`Customer.opted_out`) is skipped; so is an erased customer.
2. An email address on the suppression list (bounces, complaints) is skipped.
3. An SMS outside the customer's contact hours, in the customer's time zone (else the time zone of the
   team's first level-1 contact with on-duty hours, else UTC), is deferred to the next allowed moment.
   An email is never deferred: it waits in the inbox, not on a bedside table.
4. A delivery row (`DLV#<case>#cust#<kind>[:<key>]#<channel>#<hmac(address)>`) is created conditionally before
   sending, so a retried event or invocation never sends twice.
5. Transient send failures are retried with backoff.
6. Every email carries the unsubscribe link in its footer and the RFC 8058 headers `List-Unsubscribe`
   and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.

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
from recovery.notify.customer import Channel, CustomerMessage, MessageLinks
from recovery.notify.render import language_of
from recovery.notify.senders import Sender, SendFailed, send_with_retry
from recovery.store.alerting import DeliveryRows
from recovery.store.customer_messages import CustomerEvents
from recovery.store.links import LinkStore

Status = Literal["sent", "deferred", "skipped", "failed"]
UNSUBSCRIBE_LIFETIME = timedelta(days=365)
ONE_CLICK = "List-Unsubscribe=One-Click"
_FALLBACK_ZONE = "UTC"


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


def contact_zone(customer: Customer, team: Team | None) -> str:
    """The customer's own time zone; else the zone of the team's first level-1 contact with on-duty
    hours (the team serves them, so likely lives near them); else UTC."""
    if customer.timezone and _valid_zone(customer.timezone):
        return str(customer.timezone)
    if team is not None:
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
    schedule = contact_schedule(chosen, contact_zone(customer, team))
    if is_on_duty(schedule, now):
        return now
    return next_on_duty(schedule, now) or now + timedelta(days=1)


def _valid_zone(name: str) -> bool:
    try:
        OnDuty(timezone=name, windows=[Window(days=["mon"], start="00:00", end="24:00")])
    except ValueError:
        return False
    return True


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
    ) -> None:
        self._store = store
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
        outcome = self._send(case_id, customer, kind, channel, render, now, team, defer_sms_at_night, key)
        if record and not (outcome.status == "skipped" and outcome.reason == "already_sent"):
            self._record(case_id, kind, outcome, now, key)
        return outcome

    def unsubscribe_url(self, customer: Customer) -> str:
        """A fresh `/u/{code}` link for the customer: long-lived and reusable (one-click may repeat)."""
        key = customer.key
        code = self._links.issue(links.Purpose.UNSUBSCRIBE, key, key, UNSUBSCRIBE_LIFETIME, single_use=False)
        return f"{self._public_url}/u/{code}"

    # ------------------------------------------------------------------------------------------------
    def _send(
        self,
        case_id: str,
        customer: Customer,
        kind: str,
        channel: Channel | None,
        render: Render,
        now: datetime,
        team: Team | None,
        defer_sms_at_night: bool,
        key: str | None,
    ) -> SendOutcome:
        chosen: Channel | None = channel or ("email" if customer.email else "sms" if customer.phone else None)
        if chosen is None or customer.erased_at is not None:
            return SendOutcome("skipped", chosen, reason="no_address")
        address = customer.email if chosen == "email" else customer.phone
        if not address:
            return SendOutcome("skipped", chosen, reason="no_address")
        if chosen in (customer.opted_out or {}):
            return SendOutcome("skipped", chosen, reason="opted_out")
        address_hash = self._hash(address)
        if chosen == "email" and self._suppressed(address_hash):
            return SendOutcome("skipped", chosen, reason="suppressed")
        if chosen == "sms" and defer_sms_at_night:
            allowed = next_contact_moment(customer, team, now)
            if allowed > now:
                return SendOutcome("deferred", chosen, until=allowed)

        row = self._store.claim_delivery(
            customer_delivery_pk(case_id, kind, chosen, address_hash, key),
            case_id,
            0,
            chosen,
            "customer",
            kind,
            now,
        )
        if row is None:
            return SendOutcome("skipped", chosen, reason="already_sent")

        language = language_of(customer.locale)
        tags = {"kind": kind, "case_id": case_id}
        try:
            if chosen == "email":
                url = self.unsubscribe_url(customer)
                message = render(language, MessageLinks("email", url))
                text, html = with_unsubscribe(message.text, message.html, url)
                headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK}
                message_id = send_with_retry(
                    lambda: self._sender.send_raw_email(address, message.subject, text, html, tags, headers),
                    **self._retry(),
                )
            else:
                sms = render(language, MessageLinks("sms")).sms
                message_id = send_with_retry(
                    lambda: self._sender.send_sms(address, sms, tags), **self._retry()
                )
        except SendFailed as error:
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
