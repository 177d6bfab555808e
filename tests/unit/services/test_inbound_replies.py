"""Customer replies without AWS: an email (an SES receipt notification and the raw message in a fake
bucket) or an SMS threads onto the case once, reopens a resolved case, and anything unknown or forged is
dropped with nothing stored."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from recovery.domain.links import Grant, Purpose, code_hash, new_reply_code
from recovery.domain.records import Case, Customer
from recovery.services import inbound_replies
from recovery.services.inbound_replies import InboundReplies
from recovery.store.cases import StaleCase
from recovery.store.inbound_mail import MemoryMail
from recovery.store.replies import Duplicate

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DOMAIN = "reply.example.com"
BUCKET = "inbound-mail"
ADA = "ada@example.com"
ADA_PHONE = "+4791234567"


def address_hash(address: str) -> str:
    return "h:" + address.lower()


def a_case(case_id: str = "cs_1", status: str = "acknowledged", opened: datetime = NOW, **more: Any) -> Case:
    return Case(
        case_id=case_id,
        feedback_pk="FB#s#1",
        feedback_id="fb_1",
        source="s",
        status=status,
        priority=2,
        customer_key="cust1",
        opened_at=opened,
        occurred_at=opened,
        ack_due_at=opened,
        resolve_due_at=opened + timedelta(days=1),
        alert_state="sent",
        version=3,
        **more,
    )


class FakeLinks:
    def __init__(self) -> None:
        self.grants: dict[str, Grant] = {}

    def give(self, case_id: str, purpose: Purpose = Purpose.REPLY, expires: datetime | None = None) -> str:
        code = new_reply_code()
        self.grants[code] = Grant(
            code_hash(code), purpose, case_id, "cust1", expires or NOW + timedelta(days=180), False
        )
        return code

    def resolve_reply(self, code: str) -> Grant | None:
        return self.grants.get(code)


class FakeReplies:
    def __init__(self) -> None:
        self.seen_ids: set[str] = set()
        self.events: list[tuple[str, str, str, dict[str, Any]]] = []  # case id, kind, actor, detail
        self.routes: dict[str, list[Case]] = {}

    def seen(self, message_id: str) -> bool:
        return message_id in self.seen_ids

    def cases_texted(self, phone_hash: str) -> list[Case]:
        return list(self.routes.get(phone_hash, []))

    def reply_puts(
        self, case_id: str, message_id: str, now: datetime, kind: str, actor: str, detail: dict[str, Any]
    ) -> list[Any]:
        return [(case_id, message_id, kind, actor, detail)]

    def thread(
        self, case_id: str, message_id: str, now: datetime, kind: str, actor: str, detail: dict[str, Any]
    ) -> None:
        self.write(self.reply_puts(case_id, message_id, now, kind, actor, detail))

    def write(self, puts: list[Any]) -> None:
        for case_id, message_id, kind, actor, detail in puts:
            if message_id in self.seen_ids:
                raise Duplicate(message_id)
            self.seen_ids.add(message_id)
            self.events.append((case_id, kind, actor, detail))


class FakeCases:
    def __init__(self, replies: FakeReplies, *cases: Case, customer: Customer | None = None) -> None:
        self.replies = replies
        self.cases = {case.case_id: case for case in cases}
        self.the_customer = customer
        self.reopened: list[tuple[str, str, dict[str, Any]]] = []
        self.stale_once = False

    def get(self, case_id: str) -> Case | None:
        return self.cases.get(case_id)

    def customer(self, key: str) -> Customer | None:
        return self.the_customer

    def followup(self, case_id: str) -> None:
        return None

    def reopen(
        self,
        case: Case,
        version: int,
        actor: str,
        now: datetime,
        detail: dict[str, Any],
        follow_up: Any,
        puts: Any = (),
    ) -> Case:
        if self.stale_once:
            self.stale_once = False
            self.cases[case.case_id] = replace(case, status="acknowledged", version=version + 1)
            raise StaleCase("moved on")
        self.replies.write(list(puts))
        self.reopened.append((case.case_id, actor, detail))
        updated = replace(case, status="acknowledged", version=version + 1)
        self.cases[case.case_id] = updated
        return updated


class FakePreferences:
    def __init__(self) -> None:
        self.opted: list[tuple[str, tuple[str, ...]]] = []

    def opt_out(self, key: str, channels: tuple[str, ...], now: datetime) -> None:
        self.opted.append((key, channels))


class World:
    def __init__(self, *cases: Case, customer: Customer | None = None) -> None:
        self.mail = MemoryMail()
        self.links = FakeLinks()
        self.replies = FakeReplies()
        self.cases = FakeCases(
            self.replies,
            *(cases or (a_case(),)),
            customer=customer or Customer("cust1", email=ADA, phone=ADA_PHONE),
        )
        self.preferences = FakePreferences()
        self.service = InboundReplies(
            self.mail,
            self.links,
            self.replies,
            self.cases,
            self.preferences,
            address_hash,
            DOMAIN,
            BUCKET,  # type: ignore[arg-type]
        )

    def email(
        self,
        text: str | None = "Still waiting for the refund.",
        sender: str = ADA,
        to: str | None = None,
        message_id: str = "ses-1",
        html: str | None = None,
        attachment: bytes | None = None,
        spam: str = "PASS",
    ) -> inbound_replies.Outcome:
        to = to or f"reply+{self.links.give('cs_1')}@{DOMAIN}"
        message = EmailMessage()
        message["From"] = sender
        message["To"] = to
        message["Subject"] = "Re: We're sorry"
        if text is not None:
            message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html") if text is not None else message.set_content(
                html, subtype="html"
            )
        if attachment is not None:
            message.add_attachment(attachment, maintype="image", subtype="png", filename="photo.png")
        key = f"inbound/{message_id}"
        self.mail.objects[(BUCKET, key)] = message.as_bytes()
        notification = {
            "notificationType": "Received",
            "mail": {"messageId": message_id, "source": sender, "destination": [to]},
            "receipt": {
                "recipients": [to],
                "spamVerdict": {"status": spam},
                "virusVerdict": {"status": "PASS"},
                "action": {"type": "S3", "bucketName": BUCKET, "objectKey": key, "topicArn": "arn:t"},
            },
        }
        return self.service.handle(json.dumps(notification), NOW)

    def sms(
        self, body: str, number: str = ADA_PHONE, message_id: str = "sms-1", keyword: str = ""
    ) -> inbound_replies.Outcome:
        document = {
            "originationNumber": number,
            "destinationNumber": "+12065550100",
            "messageKeyword": keyword,
            "messageBody": body,
            "inboundMessageId": message_id,
            "previousPublishedMessageId": "prev-1",
        }
        return self.service.handle(json.dumps(document), NOW)


def test_an_email_reply_threads_onto_its_case_and_the_message_is_deleted() -> None:
    world = World()
    outcome = world.email("Still waiting for the refund.\n")
    assert outcome.status == "threaded" and outcome.case_id == "cs_1" and not outcome.reopened
    assert world.replies.events == [
        (
            "cs_1",
            "customer_reply",
            "customer",
            {"channel": "email", "text": "Still waiting for the refund.", "truncated": False},
        )
    ]
    assert world.mail.objects == {}  # handled: the raw message is gone
    assert world.mail.reads == [(BUCKET, "inbound/ses-1", 256 * 1024)]


def test_the_same_message_again_is_not_threaded_twice() -> None:
    world = World()
    code = world.links.give("cs_1")
    to = f"reply+{code}@{DOMAIN}"
    assert world.email("First", to=to).status == "threaded"
    again = world.email("First", to=to)
    assert again.status == "duplicate" and len(world.replies.events) == 1
    assert world.mail.objects == {}


def test_a_reply_reopens_a_resolved_case_as_the_system_in_the_same_write() -> None:
    world = World(a_case(status="resolved"))
    outcome = world.email("It broke again.")
    assert outcome.status == "threaded" and outcome.reopened
    assert world.cases.reopened == [("cs_1", "system", {"reason": "customer_reply", "channel": "email"})]
    assert [event[1] for event in world.replies.events] == ["customer_reply"]


def test_a_case_that_moved_on_meanwhile_is_read_again_and_the_reply_kept() -> None:
    world = World(a_case(status="resolved"))
    world.cases.stale_once = True  # a lead reopened it at the same moment
    outcome = world.email("Hello?")
    assert outcome.status == "threaded" and not outcome.reopened
    assert len(world.replies.events) == 1


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unknown_code", "code_unknown"),
        ("forged_code", "code_unknown"),
        ("other_purpose", "code_wrong_purpose"),
        ("expired", "code_expired"),
        ("no_reply_address", "no_reply_address"),
        ("other_domain", "no_reply_address"),
        ("stranger", "unknown_sender"),
        ("spam", "spam"),
    ],
)
def test_unknown_forged_or_foreign_mail_is_dropped_with_nothing_stored(case: str, reason: str) -> None:
    world = World()
    real = world.links.give("cs_1")
    to = {
        "unknown_code": f"reply+{new_reply_code()}@{DOMAIN}",
        "forged_code": f"reply+{real[:-1]}{'a' if real[-1] != 'a' else 'b'}@{DOMAIN}",
        "other_purpose": f"reply+{world.links.give('cs_1', Purpose.UNSUBSCRIBE)}@{DOMAIN}",
        "expired": f"reply+{world.links.give('cs_1', expires=NOW - timedelta(seconds=1))}@{DOMAIN}",
        "no_reply_address": "support@example.com",
        "other_domain": f"reply+{real}@elsewhere.example.com",
    }.get(case, f"reply+{real}@{DOMAIN}")
    sender = "mallory@example.net" if case == "stranger" else ADA
    outcome = world.email("Let me in", sender=sender, to=to, spam="FAIL" if case == "spam" else "PASS")
    assert outcome.status == "dropped" and outcome.reason == reason
    assert world.replies.events == [] and world.replies.seen_ids == set()
    assert world.mail.objects == {}  # not kept either


def test_the_sender_is_compared_by_its_keyed_hash_whatever_its_case() -> None:
    world = World()
    assert world.email("Hi", sender="Ada Lovelace <ADA@Example.com>").status == "threaded"


def test_an_erased_customer_replies_to_nothing() -> None:
    world = World(customer=Customer("cust1", erased_at=NOW))
    assert world.email("Hi").reason == "unknown_sender"
    assert world.replies.events == []


def test_mail_in_another_bucket_is_never_read() -> None:
    world = World()
    notification = {
        "notificationType": "Received",
        "mail": {"messageId": "x"},
        "receipt": {
            "recipients": [],
            "action": {"type": "S3", "bucketName": "someone-elses", "objectKey": "k"},
        },
    }
    assert world.service.handle(json.dumps(notification), NOW).reason == "foreign_bucket"
    assert world.mail.reads == []


def test_a_long_reply_is_cut_to_2000_characters_and_attachments_are_not_kept() -> None:
    world = World()
    outcome = world.email("x" * 5000, attachment=b"\x89PNG" + b"0" * 1000)
    assert outcome.status == "threaded"
    detail = world.replies.events[0][3]
    assert len(detail["text"]) == 2000 and detail["truncated"] is True
    assert set(detail) == {"channel", "text", "truncated"}  # nothing of the attachment


def test_an_html_only_reply_is_read_as_text_and_sanitised() -> None:
    world = World()
    world.email(None, html="<p>Refund\u202e please</p><script>x()</script>")
    assert world.replies.events[0][3]["text"] == "Refund\ufffd please"


def test_quoted_history_is_cut_by_the_domains_stripping(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inbound_replies, "new_text", lambda text: text.split("\nOn ")[0])
    world = World()
    world.email("Thanks!\nOn Mon, Support wrote:\n> We're sorry")
    assert world.replies.events[0][3]["text"] == "Thanks!"


# --------------------------------------------------------------------------------------------- sms
def sms_world(*cases: Case) -> World:
    world = World(*cases)
    world.replies.routes[address_hash(ADA_PHONE)] = list(world.cases.cases.values())
    return world


def test_a_text_threads_onto_the_open_case_the_number_was_texted_about() -> None:
    old = a_case("cs_old", status="resolved", opened=NOW - timedelta(days=9))
    open_one = a_case("cs_open", opened=NOW - timedelta(days=5))
    newest_resolved = a_case("cs_new", status="resolved", opened=NOW - timedelta(days=1))
    world = sms_world(old, open_one, newest_resolved)
    outcome = world.sms("Nobody called me back")
    assert outcome.status == "threaded" and outcome.case_id == "cs_open"
    assert world.replies.events == [
        (
            "cs_open",
            "customer_reply",
            "customer",
            {"channel": "sms", "text": "Nobody called me back", "truncated": False},
        )
    ]


def test_with_no_open_case_a_text_reopens_the_latest() -> None:
    world = sms_world(
        a_case("cs_a", status="resolved", opened=NOW - timedelta(days=9)),
        a_case("cs_b", status="resolved", opened=NOW - timedelta(days=2)),
    )
    outcome = world.sms("Again broken")
    assert outcome.case_id == "cs_b" and outcome.reopened


def test_a_number_in_another_format_is_the_same_number() -> None:
    world = sms_world(a_case())
    assert world.sms("hi", number="+47 912 34 567").status == "threaded"


@pytest.mark.parametrize("word", ["STOP", "stop", "Unsubscribe", "STOPP", "avslutt", "停止", "退订", "İPTAL"])
def test_stop_opts_the_number_out_and_says_so_on_the_case(word: str) -> None:
    world = sms_world(a_case())
    outcome = world.sms(word)
    assert outcome.status == "opted_out"
    assert world.preferences.opted == [("cust1", ("sms",))]
    assert world.replies.events == [
        ("cs_1", "customer_unreachable", "system", {"channel": "sms", "reason": "opted_out"})
    ]


def test_a_stop_delivered_twice_is_recorded_once() -> None:
    world = sms_world(a_case())
    world.sms("STOP", message_id="m1")
    assert world.sms("STOP", message_id="m1").status == "duplicate"
    assert len(world.replies.events) == 1


@pytest.mark.parametrize(
    ("number", "reason"), [("+4799999999", "unknown_sender"), ("not a number", "bad_number")]
)
def test_a_text_from_a_number_never_texted_is_dropped(number: str, reason: str) -> None:
    world = sms_world(a_case())
    outcome = world.sms("hello", number=number)
    assert outcome.status == "dropped" and outcome.reason == reason
    assert world.replies.events == [] and world.preferences.opted == []


def test_a_duplicate_text_is_not_threaded_twice() -> None:
    world = sms_world(a_case())
    world.sms("one", message_id="m1")
    assert world.sms("one", message_id="m1").status == "duplicate"
    assert len(world.replies.events) == 1


def test_garbage_is_dropped() -> None:
    world = World()
    assert world.service.handle("not json", NOW).reason == "not_json"
    assert world.service.handle("[]", NOW).reason == "not_a_notification"
    assert world.service.handle(json.dumps({"originationNumber": ADA_PHONE}), NOW).reason == "malformed"
