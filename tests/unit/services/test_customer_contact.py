"""Customer messages without AWS: wording in six languages, promised times, contact hours, SMS length,
the raw email with its one-click headers, and how the local outbox reads it."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.capture import _describe
from recovery.domain import sms
from recovery.domain.records import Customer
from recovery.domain.routing import ContactHours, Team
from recovery.notify.customer import (
    customer_strings,
    render_customer_ack,
    render_lead_message,
    round_up_quarter,
    when_text,
)
from recovery.notify.render import LANGUAGES
from recovery.notify.senders import AwsSender, RecordingSender, mime_message
from recovery.services.customer_contact import (
    CustomerMessage,
    MessageLinks,
    contact_zone,
    next_contact_moment,
    timeline_kind,
    with_unsubscribe,
)

NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # Monday: 19:00 in Oslo, 03:00 Tuesday in Tokyo
URL = "https://recovery.example.com/u/AbCdEfGhIjKlMnOp"
EMAIL = MessageLinks("email", URL)


def customer(**fields: Any) -> Customer:
    return Customer("k1", updated_at=NOW, **fields)


def team(**changes: Any) -> Team:
    document: dict[str, Any] = {
        "id": "support",
        "name": "Support",
        "levels": {1: [{"id": "kari", "name": "Kari", "email": "kari@example.com", "channels": ["email"]}]},
        **changes,
    }
    return Team.model_validate(document)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 23, 11, 15, tzinfo=UTC), "11:15"),
        (datetime(2026, 11, 23, 11, 15, 59, tzinfo=UTC), "11:15"),
        (datetime(2026, 11, 23, 11, 16, tzinfo=UTC), "11:30"),
        (datetime(2026, 11, 23, 23, 50, tzinfo=UTC), "00:00"),
    ],
)
def test_promised_times_round_up_to_the_quarter_hour(moment: datetime, expected: str) -> None:
    assert f"{round_up_quarter(moment):%H:%M}" == expected


def test_the_promise_reads_today_tomorrow_or_a_date_in_the_customers_zone() -> None:
    assert (
        when_text(datetime(2026, 11, 23, 19, 15, tzinfo=UTC), "Europe/Oslo", "en", NOW) == "20:15 today (CET)"
    )
    tomorrow = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert when_text(tomorrow, "Europe/Berlin", "de", NOW) == "morgen, 09:00 Uhr (CET)"
    later = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    assert when_text(later, "Asia/Tokyo", "ja", NOW) == "11月26日（木）10:00（JST）"
    assert when_text(later, "Not/AZone", "en", NOW) == "01:00 on Thursday 26 November (UTC)"


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_acknowledgement_names_the_lead_and_fits_two_sms_segments(
    language: str,
) -> None:
    # GIVEN a long customer name and a lead with a long first name
    message = render_customer_ack(
        language, EMAIL, "Maximiliane " * 8, "Bartholomew-Alexander Smith", NOW, "Europe/Istanbul", NOW
    )
    # THEN every part names the lead; the SMS stays within two segments in the language's encoding
    assert "Bartholomew-Alexander" in message.text and "Bartholomew-Alexander" in message.sms
    assert "Smith" not in message.text
    assert sms.segments(message.sms, sms.encoding_for(language, message.sms)) <= 2
    assert URL in message.text and f'href="{URL}"' in message.html
    assert message.subject == customer_strings(language)["ack_subject"]


def test_every_language_has_every_key_of_english() -> None:
    english = set(customer_strings("en"))
    import json

    from recovery.notify.render import TEMPLATES

    for language in LANGUAGES:
        path = TEMPLATES / "customer" / "i18n" / f"{language}.json"
        own = set(json.loads(path.read_text("utf-8")))
        assert own == english, language


def test_an_unsupported_locale_falls_back_to_english_and_nn_reads_bokmal() -> None:
    from recovery.notify.render import language_of

    assert language_of("fr-FR") == "en" and language_of("nn-NO") == "nb" and language_of("zh-Hant-TW") == "zh"


def test_the_customers_name_and_a_leads_text_never_become_markup() -> None:
    message = render_lead_message(
        "en", "<b>Ada</b>", "Kari", "Re: <refund>", "<script>x()</script>\nThanks", EMAIL
    )
    assert "<script>" not in message.html and "&lt;script&gt;" in message.html
    assert "<b>Ada</b>" not in message.html
    assert message.text.startswith("Dear <b>Ada</b>,") and "<script>x()</script>" in message.text
    assert message.sms == "<script>x()</script>\nThanks\n– Kari"


def test_an_email_without_the_link_gets_it_added() -> None:
    text, html = with_unsubscribe("Hello", "<html><body><p>Hello</p></body></html>", URL)
    assert text.endswith(f"{URL}\n") and html.endswith(f'<a href="{URL}">{URL}</a></p></body></html>')
    same = with_unsubscribe(f"Hello {URL}", f'<a href="{URL}">x</a>', URL)
    assert same == (f"Hello {URL}", f'<a href="{URL}">x</a>')


def test_contact_hours_use_the_customers_zone_else_the_leads_else_utc() -> None:
    lead_zone = team(
        levels={
            1: [
                {"id": "a", "name": "A", "email": "a@example.com", "channels": ["email"]},
                {
                    "id": "b",
                    "channels": ["email"],
                    "name": "B",
                    "email": "b@example.com",
                    "on_duty": {
                        "timezone": "Asia/Tokyo",
                        "windows": [{"days": ["mon"], "start": "09:00", "end": "17:00"}],
                    },
                },
            ]
        }
    )
    assert contact_zone(customer(timezone="Europe/Oslo"), lead_zone) == "Europe/Oslo"
    assert contact_zone(customer(timezone="Mars/Olympus"), lead_zone) == "Asia/Tokyo"
    assert contact_zone(customer(), team()) == "UTC"
    # 03:00 in Tokyo: the next allowed moment is 09:00 there, by the team's hours
    assert next_contact_moment(customer(), lead_zone, NOW) == datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    # 19:00 in Oslo is inside 09:00-20:00: now
    assert next_contact_moment(customer(timezone="Europe/Oslo"), team(), NOW) == NOW


def test_contact_hours_respect_the_days_listed() -> None:
    weekdays = team(
        followup={"hours": {"start": "10:00", "end": "16:00", "days": ["mon", "tue", "wed", "thu", "fri"]}}
    )
    saturday_noon = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert next_contact_moment(customer(timezone="UTC"), weekdays, saturday_noon) == datetime(
        2026, 11, 30, 10, 0, tzinfo=UTC
    )
    assert next_contact_moment(customer(), None, NOW, ContactHours(start="00:00", end="00:00")) == NOW


def test_timeline_kinds_follow_the_case_contract() -> None:
    assert timeline_kind("customer_ack", "sent") == "customer_acknowledged"
    assert timeline_kind("customer_ack", "deferred") == "customer_ack_deferred"
    assert timeline_kind("customer_ack", "skipped") == "customer_ack_skipped"
    assert timeline_kind("followup", "sent") == "customer_followup_sent"


def test_a_raw_email_carries_the_one_click_headers_and_the_outbox_reads_it() -> None:
    # GIVEN the MIME message the AWS sender builds, with non-ASCII text
    data = mime_message(
        "care@example.com",
        "ada@example.com",
        "ご不便をおかけし、申し訳ございません",
        f"佐藤 様\n\n{URL}\n",
        f'<p>佐藤 様</p><a href="{URL}">x</a>',
        {"List-Unsubscribe": f"<{URL}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == f"<{URL}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # WHEN the embedded runtime's capture describes the SendRawEmail call
    described = _describe(
        "ses.SendRawEmail",
        {
            "RawMessage": {"Data": data},
            "Destinations": ["ada@example.com"],
            "Tags": [{"Name": "kind", "Value": "customer_ack"}, {"Name": "case_id", "Value": "cs_1"}],
        },
    )
    # THEN the outbox gets the kind, case, subject and bodies as written (LF line ends)
    assert described is not None
    assert (described["kind"], described["case_id"], described["to"]) == (
        "customer_ack",
        "cs_1",
        "ada@example.com",
    )
    assert described["subject"] == "ご不便をおかけし、申し訳ございません"
    assert described["text"] == f"佐藤 様\n\n{URL}\n"
    assert URL in described["html_body"]


def test_the_aws_sender_uses_send_raw_email_with_tags() -> None:
    with mock_aws():
        ses = boto3.client("ses", region_name="us-east-1")
        ses.verify_email_identity(EmailAddress="care@example.com")
        calls: list[dict[str, Any]] = []
        ses.meta.events.register(
            "before-parameter-build.ses.SendRawEmail", lambda params, **_: calls.append(params)
        )
        sender = AwsSender(ses, boto3.client("sns", region_name="us-east-1"), "care@example.com")
        message_id = sender.send_raw_email(
            "ada@example.com",
            "Hi",
            "text",
            "<p>html</p>",
            {"kind": "customer_ack", "case_id": "cs_1"},
            {"X-A": "1"},
        )
    assert message_id and calls[0]["Destinations"] == ["ada@example.com"]
    assert {"Name": "kind", "Value": "customer_ack"} in calls[0]["Tags"]
    assert b"X-A: 1" in calls[0]["RawMessage"]["Data"]


def test_an_sms_only_message_uses_only_the_sms_field() -> None:
    assert CustomerMessage(sms="hi").subject == "" and MessageLinks("sms").unsubscribe_url is None


# ------------------------------------------------------------------ built whole, then sent once, never half
class _Links:
    def issue(self, *args: Any, **kwargs: Any) -> str:
        return "AbCdEfGhIjKlMnOp"


class _Events:
    def __init__(self) -> None:
        self.recorded: list[tuple[str, dict[str, Any]]] = []

    def record(self, case_id: str, kind: str, at: datetime, detail: Any, distinct: str | None = None) -> None:
        self.recorded.append((kind, dict(detail)))


def _messenger(sender: Any) -> tuple[Any, Any, _Events]:
    from recovery.services.customer_contact import CustomerMessenger
    from recovery.store.fakes import MemoryDeliveryRows

    rows, events = MemoryDeliveryRows(), _Events()
    messenger = CustomerMessenger(
        rows,
        _Links(),  # type: ignore[arg-type]
        sender,
        lambda address: f"h-{address}",
        "https://recovery.example.com",
        sleep=lambda _: None,
        events=events,  # type: ignore[arg-type]
    )
    return messenger, rows, events


def _lead_message(subject: str) -> Any:
    def render(language: str, links: MessageLinks) -> CustomerMessage:
        return CustomerMessage(
            subject=subject, text="We refunded you.", html="<p>We refunded you.</p>", sms="x"
        )

    return render


ADA = customer(name="Ada", email="ada@example.com", locale="en")


def test_prepare_builds_the_email_whole_and_writes_nothing() -> None:

    # GIVEN the messenger
    sender = RecordingSender()
    messenger, rows, events = _messenger(sender)
    # WHEN a message is prepared
    prepared = messenger.prepare("cs_1", ADA, "message", "email", _lead_message("Refund"), NOW)
    # THEN its MIME bytes exist, with the one-click headers, and no row, event or send yet
    assert prepared.outcome is None and prepared.email is not None
    assert b"Subject: Refund" in prepared.email.data and b"List-Unsubscribe-Post:" in prepared.email.data
    assert rows.rows == {} and events.recorded == [] and sender.sent == []
    # WHEN it is delivered, the bytes sent are the bytes built
    outcome = messenger.deliver(prepared, NOW, key="4")
    assert outcome.status == "sent" and [m.raw for m in sender.sent] == [prepared.email.data]
    assert [row.state for row in rows.rows.values()] == ["sent"]
    assert events.recorded == [("customer_message_sent", {"channel": "email"})]


@pytest.mark.parametrize("subject", ["Refund\r\nBcc: x@example.org", "Refund\nX: y", "Refund\u2028x"])
def test_a_message_whose_headers_cannot_be_built_fails_before_any_row(subject: str) -> None:

    sender = RecordingSender()
    messenger, rows, events = _messenger(sender)
    outcome = messenger.send("cs_1", ADA, "message", "email", _lead_message(subject), NOW, key="4")
    assert (outcome.status, outcome.reason) == ("failed", "unsendable")
    assert rows.rows == {} and sender.sent == [] and sender.attempts == 0
    assert events.recorded == [("customer_message_failed", {"channel": "email", "reason": "unsendable"})]


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_a_sender_that_raises_leaves_the_row_failed_not_sending(channel: str) -> None:

    class Broken(RecordingSender):
        def send_composed_email(self, email: Any, tags: Any) -> str:
            raise KeyError("defect")

        def send_sms(self, to: str, text: str, tags: Any) -> str:
            raise KeyError("defect")

    customer_with_phone = replace(ADA, phone="+4791234567")
    messenger, rows, events = _messenger(Broken())
    outcome = messenger.send(
        "cs_1", customer_with_phone, "message", channel, _lead_message("Hi"), NOW, defer_sms_at_night=False
    )
    [row] = rows.rows.values()
    assert (outcome.status, outcome.reason) == ("failed", "SenderError")
    assert (row.state, row.error) == ("failed", "SenderError: KeyError")
    assert events.recorded == [("customer_message_failed", {"channel": channel, "reason": "SenderError"})]


def test_an_opted_out_number_still_reads_as_opted_out() -> None:

    sender = RecordingSender(opted_out={"+4791234567"})
    messenger, rows, _ = _messenger(sender)
    outcome = messenger.send(
        "cs_1",
        customer(phone="+4791234567"),
        "message",
        "sms",
        _lead_message("Hi"),
        NOW,
        defer_sms_at_night=False,
    )
    assert (outcome.status, outcome.reason) == ("skipped", "opted_out")
    assert [row.state for row in rows.rows.values()] == ["suppressed"]
