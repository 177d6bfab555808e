"""Every customer email carries a Reply-To with a fresh reply code for its case when a reply domain is
set, and none without; every SMS remembers its number for the case; REPLY_DOMAIN is checked."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from recovery.domain.records import Customer
from recovery.notify.senders import RecordingSender
from recovery.services.customer_contact import (
    REPLY_LIFETIME,
    CustomerMessage,
    CustomerMessenger,
    MessageLinks,
)
from recovery.settings import SettingsError
from recovery.store.fakes import MemoryDeliveryRows
from recovery.wiring.messaging import reply_domain

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ADA = Customer("k1", name="Ada", email="ada@example.com", phone="+4791234567", locale="en", updated_at=NOW)


class Links:
    def __init__(self) -> None:
        self.replies: list[tuple[str, str, timedelta]] = []

    def issue(self, *args: Any, **kwargs: Any) -> str:
        return "AbCdEfGhIjKlMnOp"

    def issue_reply(self, case_id: str, customer_key: str, lifetime: timedelta) -> str:
        self.replies.append((case_id, customer_key, lifetime))
        return ["mfrggzdfmztwq2lknnwg", "nbswy3dpeb3w64tmmqqq"][len(self.replies) - 1]


class Routes:
    def __init__(self) -> None:
        self.remembered: list[tuple[str, str, str]] = []

    def remember_sms(self, phone_hash: str, case_id: str, customer_key: str, now: datetime) -> None:
        self.remembered.append((phone_hash, case_id, customer_key))


class Events:
    def record(self, *args: Any, **kwargs: Any) -> None:
        pass


def render(language: str, links: MessageLinks) -> CustomerMessage:
    return CustomerMessage(subject="Sorry", text="We are on it.", html="<p>We are on it.</p>", sms="On it.")


def messenger(domain: str | None) -> tuple[CustomerMessenger, Links, Routes, RecordingSender]:
    links, routes, sender = Links(), Routes(), RecordingSender()
    built = CustomerMessenger(
        MemoryDeliveryRows(),
        links,  # type: ignore[arg-type]
        sender,
        lambda address: f"h-{address}",
        "https://recovery.example.com",
        sleep=lambda _: None,
        events=Events(),  # type: ignore[arg-type]
        reply_domain=domain,
        reply_routes=routes,  # type: ignore[arg-type]
    )
    return built, links, routes, sender


def test_an_email_carries_reply_to_with_a_code_for_its_case() -> None:
    sent, links, _, _ = messenger("Reply.Example.com")
    prepared = sent.prepare("cs_1", ADA, "customer_ack", "email", render, NOW)
    assert prepared.email is not None
    parsed = email.message_from_bytes(prepared.email.data, policy=email.policy.default)
    assert parsed["Reply-To"] == "reply+mfrggzdfmztwq2lknnwg@reply.example.com"
    assert links.replies == [("cs_1", "k1", REPLY_LIFETIME)]
    assert timedelta(days=180) == REPLY_LIFETIME
    # and every email gets its own code
    again = sent.prepare("cs_1", ADA, "message", "email", render, NOW)
    assert again.email is not None and b"reply+nbswy3dpeb3w64tmmqqq@reply.example.com" in again.email.data


def test_without_a_reply_domain_no_reply_to_and_no_code() -> None:
    sent, links, _, _ = messenger(None)
    prepared = sent.prepare("cs_1", ADA, "customer_ack", "email", render, NOW)
    assert prepared.email is not None and b"Reply-To" not in prepared.email.data and links.replies == []


def test_an_sms_remembers_its_number_for_the_case_by_its_hash() -> None:
    sent, _, routes, _ = messenger(None)
    prepared = sent.prepare("cs_1", ADA, "customer_ack", "sms", render, NOW, defer_sms_at_night=False)
    assert prepared.sms is not None
    assert routes.remembered == [("h-+4791234567", "cs_1", "k1")]


def test_a_skipped_sms_remembers_nothing() -> None:
    sent, _, routes, _ = messenger("reply.example.com")
    opted = Customer("k1", phone="+4791234567", opted_out={"sms": "2026-01-01T00:00:00Z"}, updated_at=NOW)
    assert sent.prepare("cs_1", opted, "customer_ack", "sms", render, NOW).outcome is not None
    assert routes.remembered == []


@pytest.mark.parametrize(
    ("value", "expected"), [("", None), ("  ", None), ("Reply.Example.COM", "reply.example.com")]
)
def test_the_reply_domain_setting(monkeypatch: pytest.MonkeyPatch, value: str, expected: str | None) -> None:
    monkeypatch.setenv("REPLY_DOMAIN", value)
    assert reply_domain() == expected


@pytest.mark.parametrize("value", ["localhost", "reply..example.com", "reply.example.com/x", "a b.com"])
def test_a_reply_domain_that_is_not_a_domain_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("REPLY_DOMAIN", value)
    with pytest.raises(SettingsError, match="REPLY_DOMAIN"):
        reply_domain()
