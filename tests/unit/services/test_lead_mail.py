"""LeadMailer: one email per delivery row, nothing to a suppressed address, failures recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from recovery.domain.routing import Contact
from recovery.notify.senders import RecordingSender
from recovery.services.lead_mail import LeadMailer
from recovery.store.fakes import MemoryDeliveryRows

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
KARI = Contact(id="kari", name="Kari", email="kari@example.com", channels=["email"])


class Email(NamedTuple):
    subject: str
    text: str
    html: str


def mailer(sender: RecordingSender, deliveries: MemoryDeliveryRows, **options: Any) -> LeadMailer:
    return LeadMailer(
        deliveries,
        sender,
        lambda address: f"h-{address}",
        options.pop("metric", lambda name, value, unit: None),
        sleep=lambda _: None,
        **options,
    )


def send(lead_mailer: LeadMailer, rendered: list[str] | None = None) -> str:
    def render() -> Email:
        if rendered is not None:
            rendered.append("rendered")
        return Email("Subject", "text", "<p>html</p>")

    return lead_mailer.send(
        KARI, "kari@example.com", lambda h: f"DLV#x#{h}", "x", "digest", NOW, render, {"kind": "digest"}
    )


def test_a_repeated_send_goes_out_once() -> None:
    # GIVEN a mailer
    sender, deliveries = RecordingSender(), MemoryDeliveryRows()
    lead_mailer = mailer(sender, deliveries)
    # WHEN the same message is sent twice
    first, second = send(lead_mailer), send(lead_mailer)
    # THEN one email goes out, and its row says sent
    assert (first, second) == ("sent", "done before")
    assert [message.to for message in sender.sent] == ["kari@example.com"]
    assert deliveries.rows["DLV#x#h-kari@example.com"].state == "sent"
    assert sender.sent[0].tags == {"kind": "digest"}


def test_a_suppressed_address_gets_nothing_and_nothing_is_rendered() -> None:
    # GIVEN Kari's address bounced before
    sender, deliveries, rendered = RecordingSender(), MemoryDeliveryRows(), []
    lead_mailer = mailer(sender, deliveries, suppressed=lambda h: h == "h-kari@example.com")
    # WHEN the message is sent
    outcome = send(lead_mailer, rendered)
    # THEN nothing goes out, nothing was rendered, and the row says why
    assert outcome == "suppressed"
    assert sender.sent == [] and rendered == []
    assert deliveries.rows["DLV#x#h-kari@example.com"].state == "suppressed"


def test_a_send_that_keeps_failing_is_recorded_and_counted() -> None:
    # GIVEN SES rejects every attempt
    sender, deliveries, counted = RecordingSender(), MemoryDeliveryRows(), []
    sender.fail_next(5, transient=False)
    lead_mailer = mailer(sender, deliveries, metric=lambda name, value, unit: counted.append(name))
    # WHEN the message is sent
    outcome = send(lead_mailer)
    # THEN the row is failed with the error, and the failure counted
    row = deliveries.rows["DLV#x#h-kari@example.com"]
    assert outcome == "failed"
    assert row.state == "failed" and "MessageRejected" in (row.error or "")
    assert counted == ["DeliveriesFailed"]


def test_a_render_or_send_that_raises_leaves_the_row_failed_not_sending() -> None:
    # GIVEN a renderer with a defect
    sender, deliveries, counted = RecordingSender(), MemoryDeliveryRows(), []
    lead_mailer = mailer(sender, deliveries, metric=lambda name, value, unit: counted.append(name))

    def broken() -> Email:
        raise KeyError("week")

    # WHEN the message is sent
    outcome = lead_mailer.send(
        KARI, "kari@example.com", lambda h: f"DLV#x#{h}", "x", "digest", NOW, broken, {"kind": "digest"}
    )
    # THEN the claimed row is finished failed with what was raised, and the failure counted
    row = deliveries.rows["DLV#x#h-kari@example.com"]
    assert outcome == "failed" and (row.state, row.error) == ("failed", "SenderError: KeyError")
    assert sender.sent == [] and counted == ["DeliveriesFailed"]
