"""Email to a team's leads outside a case (the anomaly alert, the weekly digest), sent at most once.

Each message is a delivery row claimed before sending, keyed by what the message is about and the
address's keyed hash, so a retried or doubled run sends nothing twice. A suppressed address (it bounced
or complained before) gets nothing: SES would refuse it, and sending hurts the sender's reputation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Literal, Protocol

from recovery import clock
from recovery.domain.routing import Contact
from recovery.notify.senders import Sender, as_send_failed, send_with_retry
from recovery.observability import RecordMetric
from recovery.store.alerting import DeliveryRows

Outcome = Literal["sent", "done before", "suppressed", "failed"]


class Email(Protocol):
    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...


class LeadMailer:
    def __init__(
        self,
        deliveries: DeliveryRows,
        sender: Sender,
        address_hash: Callable[[str], str],
        metric: RecordMetric,
        suppressed: Callable[[str], bool] = lambda _: False,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self._deliveries = deliveries
        self._sender = sender
        self._hash = address_hash
        self._metric = metric
        self._suppressed = suppressed
        self._sleep = sleep

    def send(
        self,
        contact: Contact,
        address: str,
        row_key: Callable[[str], str],
        subject: str,
        kind: str,
        now: datetime,
        render: Callable[[], Email],
        tags: Mapping[str, str],
    ) -> Outcome:
        """Email `address` once: `row_key` gives the delivery row's key for the address's hash, and
        `render` is called only when the message will go out."""
        address_hash = self._hash(address)
        row = self._deliveries.claim_delivery(
            row_key(address_hash), subject, 1, "email", contact.id, kind, now
        )
        if row is None:
            return "done before"  # sent (or being sent) before: never twice
        if self._suppressed(address_hash):
            self._deliveries.finish_delivery(row, "suppressed", now)
            return "suppressed"
        try:  # the row is claimed: whatever rendering or sending raises, it ends `failed`, not `sending`
            rendered = render()
            send = partial(
                self._sender.send_email, address, rendered.subject, rendered.text, rendered.html, tags
            )
            message_id = send_with_retry(send, sleep=self._sleep) if self._sleep else send_with_retry(send)
        except Exception as raised:
            error = as_send_failed(raised)
            state = "suppressed" if error.code == "OptedOut" else "failed"
            self._deliveries.finish_delivery(row, state, clock.now(), error=str(error)[:500])
            self._metric("DeliveriesFailed", 1, "Count")
            return "failed"
        self._deliveries.finish_delivery(row, "sent", clock.now(), message_id=message_id)
        return "sent"
