"""Cases.message without AWS: the message is built whole (MIME bytes and headers) before the case's
version moves or a delivery row is written, and a message that cannot be built writes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recovery.domain import cases as rules
from recovery.domain.records import Case, Customer, Delivery
from recovery.notify.customer import CustomerMessage
from recovery.notify.senders import RawEmail, RecordingSender
from recovery.services.cases import Cases
from recovery.services.customer_contact import CustomerMessenger
from recovery.store.fakes import MemoryDeliveryRows

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
KARI = rules.Lead(
    user="kari", email="kari@example.com", teams=frozenset({"support"}), admin=False, actor="kari"
)
CASE = Case(
    case_id="cs_0123456789abcdef01234567",
    feedback_pk="FB#web#r1",
    feedback_id="fb_1",
    source="web",
    status="acknowledged",
    priority=2,
    customer_key="ck",
    opened_at=NOW,
    occurred_at=NOW,
    ack_due_at=NOW + timedelta(minutes=15),
    resolve_due_at=NOW + timedelta(days=1),
    alert_state="sent",
    version=3,
    team="support",
)
ADA = Customer("ck", name="Ada", email="ada@example.com", phone="+4791234567", locale="en", updated_at=NOW)


class Store:
    """The case store, as much as `Cases.message` reads and writes of it, logging its writes."""

    def __init__(self, log: list[str], customer: Customer) -> None:
        self.log, self.case, self.customer_record = log, CASE, customer

    def get(self, case_id: str) -> Case | None:
        return self.case if case_id == self.case.case_id else None

    def customer(self, key: str) -> Customer | None:
        return self.customer_record

    def note(self, case: Case, version: int, kind: str, actor: str, now: datetime, detail: Any) -> Case:
        self.log.append(f"note:{kind}")
        self.case = replace(case, version=version + 1)
        return self.case


class Rows(MemoryDeliveryRows):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def claim_delivery(self, pk: str, *args: Any) -> Delivery | None:
        self.log.append("claim")
        return super().claim_delivery(pk, *args)

    def finish_delivery(self, row: Delivery, state: str, now: datetime, **fields: Any) -> None:
        self.log.append(f"finish:{state}")
        super().finish_delivery(row, state, now, **fields)


class Sender(RecordingSender):
    log: list[str]

    def compose_raw_email(self, *args: Any) -> RawEmail:
        self.log.append("compose")
        return super().compose_raw_email(*args)

    def send_composed_email(self, email: RawEmail, tags: Any) -> str:
        self.log.append("send")
        return super().send_composed_email(email, tags)

    def send_sms(self, to: str, text: str, tags: Any) -> str:
        self.log.append("send")
        return super().send_sms(to, text, tags)


class Links:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def issue(self, *args: Any, **kwargs: Any) -> str:
        self.log.append("link")
        return "AbCdEfGhIjKl"


class Events:
    def __init__(self, log: list[str]) -> None:
        self.log = log

    def record(self, case_id: str, kind: str, at: datetime, detail: Any, distinct: str | None = None) -> None:
        self.log.append(f"event:{kind}")


class NoConfig:
    def get(self) -> Any:
        raise LookupError("no configuration in this test")


def service(log: list[str], customer: Customer = ADA) -> tuple[Cases, Store, Rows, Sender]:
    store, rows, sender = Store(log, customer), Rows(log), Sender()
    sender.log = log
    messenger = CustomerMessenger(
        rows,
        Links(log),  # type: ignore[arg-type]
        sender,
        lambda address: f"h-{address}",
        "https://recovery.example.com",
        sleep=lambda _: None,
        events=Events(log),  # type: ignore[arg-type]
    )
    cases = Cases(
        store,  # type: ignore[arg-type]
        NoConfig(),  # type: ignore[arg-type]
        Links(log),  # type: ignore[arg-type]
        sender,
        "https://recovery.example.com",
        lambda name, value, unit: None,
        messenger=messenger,
        sleep=lambda _: None,
    )
    return cases, store, rows, sender


def request(channel: str = "email", subject: str = "Your refund", text: str = "It is on its way.") -> Any:
    return rules.MessageRequest(channel=channel, subject=subject, text=text)  # type: ignore[arg-type]


def test_an_email_is_built_whole_before_the_case_moves_or_a_row_is_written() -> None:
    log: list[str] = []
    cases, store, rows, sender = service(log)
    # WHEN Kari writes to the customer by email
    answer = cases.message(KARI, CASE.case_id, 3, request())
    # THEN the email (link in its footer, headers, MIME bytes) was composed first, then the case noted,
    # then the row claimed, the composed bytes sent and the row finished
    assert answer == {"status": "sent", "channel": "email", "reason": None}
    assert log == [
        "link",
        "compose",
        "note:customer_message",
        "claim",
        "send",
        "finish:sent",
        "event:customer_message_sent",
    ]
    assert [row.state for row in rows.rows.values()] == ["sent"] and store.case.version == 4
    assert sender.sent[0].raw is not None and b"Subject: Your refund" in sender.sent[0].raw
    # and the row is keyed by the version the note gave the case
    assert list(rows.rows) == [f"DLV#{CASE.case_id}#cust#message:4#email#h-ada@example.com"]


def test_an_sms_is_rendered_before_the_case_moves() -> None:
    log: list[str] = []
    cases, _, _, sender = service(log)
    cases.message(KARI, CASE.case_id, 3, request("sms"))
    assert log == ["note:customer_message", "claim", "send", "finish:sent", "event:customer_message_sent"]
    assert [m.text for m in sender.sent] == ["It is on its way."]


def test_a_message_whose_headers_cannot_be_built_writes_nothing() -> None:
    # GIVEN a customer whose stored address would break the To header
    log: list[str] = []
    cases, store, rows, sender = service(log, replace(ADA, email="ada@example.com\r\nBcc: x@example.org"))
    # WHEN Kari writes to them by email
    with pytest.raises(rules.InvalidTransition, match="cannot be sent by email as written"):
        cases.message(KARI, CASE.case_id, 3, request())
    # THEN the case did not move, no row was claimed, nothing was sent and no event was written
    assert store.case.version == 3 and rows.rows == {} and sender.sent == []
    assert [entry for entry in log if not entry.startswith(("link", "compose"))] == []


def test_a_subject_the_request_model_would_refuse_is_refused_by_the_builder_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a request made without its model's checks, with a line break in the subject, and a renderer
    # that keeps it as it is (whatever a renderer does, the MIME builder has the last word)
    log: list[str] = []
    cases, store, rows, sender = service(log)
    smuggled = rules.MessageRequest.model_construct(
        channel="email", subject="Hi\r\nBcc: x@example.org", text="t"
    )

    def keeps_the_subject(language: str, name: Any, lead: Any, subject: str, text: str, links: Any) -> Any:
        return CustomerMessage(subject=subject, text=text, html=f"<p>{text}</p>")

    monkeypatch.setattr("recovery.services.cases.render_lead_message", keeps_the_subject)
    # WHEN Kari sends it
    with pytest.raises(rules.InvalidTransition):
        cases.message(KARI, CASE.case_id, 3, smuggled)
    # THEN it was refused when composed, and nothing was written
    assert log == ["link", "compose"]
    assert store.case.version == 3 and rows.rows == {} and sender.sent == []


def test_a_sender_that_raises_finishes_the_row_failed_and_answers_failed() -> None:
    log: list[str] = []
    cases, _, rows, sender = service(log)

    def broken(email: RawEmail, tags: Any) -> str:
        log.append("send")
        raise RuntimeError("bug")

    sender.send_composed_email = broken  # type: ignore[method-assign]
    answer = cases.message(KARI, CASE.case_id, 3, request())
    assert answer == {"status": "failed", "channel": "email", "reason": "SenderError"}
    assert log[-3:] == ["send", "finish:failed", "event:customer_message_failed"]
    [row] = rows.rows.values()
    assert (row.state, row.error) == ("failed", "SenderError: RuntimeError")


@pytest.mark.parametrize(
    "subject", ["a\rb", "a\nb", "a\x00b", "a\x1bb", "a\x7fb", "a\x85b", "a\u2028b", "a\ud800b"]
)
def test_the_request_refuses_a_subject_with_control_characters(subject: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        rules.MessageRequest.model_validate({"channel": "email", "subject": subject, "text": "t"})
    assert [error["loc"] for error in refused.value.errors()] == [("subject",)]


def test_the_request_keeps_lines_and_tabs_in_the_text_but_no_other_controls() -> None:
    from pydantic import ValidationError

    kept = rules.MessageRequest.model_validate({"channel": "sms", "text": "Line one\r\n\tLine two\u2028"})
    assert kept.text == "Line one\r\n\tLine two"
    with pytest.raises(ValidationError):
        rules.MessageRequest.model_validate({"channel": "sms", "text": "bell\x07"})
