"""Customer messaging on moto: the instant acknowledgement, quiet hours, opt-out, suppression, one-click
unsubscribe, and the customer messenger's guardrails, with the demo teams from config/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any
from urllib.parse import urlparse

import boto3
import pytest

from recovery import clock
from recovery.domain.identity import PiiHasher
from recovery.domain.routing import parse_config
from recovery.notify.customer import render_lead_message
from recovery.notify.senders import RecordingSender, SentMessage
from recovery.services.alerts import CachedConfig
from recovery.services.customer_ack import CustomerAcks
from recovery.services.customer_contact import CustomerMessage, CustomerMessenger, MessageLinks
from recovery.store.alerting import AlertStore, ConfigStore
from recovery.store.customer_messages import ScheduledMessageStore
from recovery.store.feedback import FeedbackStore
from recovery.store.links import LinkStore
from recovery.store.models import CaseEventItem, CaseItem, CustomerItem, ScheduledMessageItem
from recovery.store.suppressions import SuppressionStore
from tests.integration.conftest import Api, Clock, clock_at
from tests.support import REGION, ROOT, Context, Stack, event, load_function
from tools.seed import load_alerting

# 18:00 UTC on a Monday: 19:00 in Oslo (inside 09:00-20:00), 03:00 on Tuesday in Tokyo (outside).
EVENING_UTC = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
TOKYO_MORNING = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo
HASHER = PiiHasher(b"k" * 32)

OSLO_CUSTOMER = {
    "id": "c-oslo",
    "phone": "+4791234500",
    "name": "Ada Lovelace",
    "locale": "nb-NO",
    "timezone": "Europe/Oslo",
}
TOKYO_CUSTOMER = {
    "id": "c-tokyo",
    "phone": "+819012345600",
    "name": "佐藤",
    "locale": "ja-JP",
    "timezone": "Asia/Tokyo",
}
APAC = {"id": "t-1", "channel": "chat", "agent": "ken", "team": "support-apac"}


@pytest.fixture
def virtual_clock() -> Iterator[Clock]:
    with clock_at(EVENING_UTC) as moment:
        yield moment


def address_hash(address: str) -> str:
    return HASHER.digest("address", address.lower())


def store_teams(**changes: Any) -> None:
    """The demo teams, with top-level fields of the named teams changed: `store_teams(support_emea={...})`."""
    config = load_alerting(ROOT / "config")
    assert config is not None
    document = config.model_dump(mode="json")
    for team in document["teams"]:
        team.update(changes.get(team["id"].replace("-", "_"), {}))
    ConfigStore().put(parse_config(document), clock.now(), by="test")


@pytest.fixture
def messenger(stack: Stack, virtual_clock: Clock, sender: RecordingSender) -> CustomerMessenger:
    return CustomerMessenger(
        AlertStore(),
        LinkStore(),
        sender,
        address_hash,
        "http://127.0.0.1:3000",
        suppressed=SuppressionStore().is_suppressed,
        sleep=lambda _: None,
    )


@pytest.fixture
def acks(messenger: CustomerMessenger) -> CustomerAcks:
    return CustomerAcks(
        AlertStore(), FeedbackStore(), CachedConfig(ConfigStore()), messenger, ScheduledMessageStore()
    )


@pytest.fixture
def teams(stack: Stack, virtual_clock: Clock) -> None:
    store_teams()


def open_case(api: Api, external_id: str = "resp_1", **changes: Any) -> str:
    body = json.loads(event("ingest_feedback_negative.json")["body"])
    body.update(external_id=external_id, occurred_at="2026-11-23T17:55:00Z", **changes)
    status, _, answer = api.post("/v1/feedback", body)
    assert status == 201, answer
    return str(answer["case_id"])


def case_of(case_id: str) -> CaseItem:
    return CaseItem.get(f"CASE#{case_id}", "CASE")


def timeline(case_id: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (item.kind, item.detail)
        for item in CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))
    ]


def customer_messages(sender: RecordingSender) -> list[SentMessage]:
    return [message for message in sender.sent if message.tags.get("kind") == "customer_ack"]


def unsubscribe_code(message: SentMessage) -> str:
    url = message.headers["List-Unsubscribe"].strip("<>")
    return urlparse(url).path.removeprefix("/u/")


# ----------------------------------------------------------------------------- the acknowledgement
def test_ack_email_in_the_customers_language_names_the_on_duty_lead(
    api: Api, acks: CustomerAcks, sender: RecordingSender, teams: None
) -> None:
    # GIVEN a negative from Ada (Norwegian, Oslo, with an email address) at 19:00 Oslo time
    case_id = open_case(api)
    # WHEN the customer acknowledgement handles CaseOpened
    result = acks.acknowledge(case_id, clock.now())
    # THEN one Norwegian email goes to Ada at once, naming Kari (the on-duty level-1 lead) and the time:
    # the 15-minute deadline 18:15 UTC plus an hour is 19:15 UTC, 20:15 in Oslo: past Ada's contact hours
    # (09:00-20:00), so the promise is for when she may be called, 09:00 tomorrow
    [message] = customer_messages(sender)
    assert result == "sent" and message.channel == "email" and message.to == "a@example.com"
    assert message.subject == "Vi beklager, og vi tar tak i det"
    assert message.text.startswith("Hei Ada,")
    assert "Kari fra teamet vårt tar kontakt med deg innen i morgen kl. 09:00 (CET)." in message.text
    assert "<bdi>Kari</bdi> fra teamet vårt" in message.html  # the lead's name isolated in HTML
    assert message.tags == {"kind": "customer_ack", "case_id": case_id}
    assert case_of(case_id).customer_acked == "sent"
    assert timeline(case_id) == [("customer_acknowledged", {"channel": "email"})]


def test_every_email_carries_one_click_unsubscribe_headers_and_a_footer_link(
    api: Api, acks: CustomerAcks, sender: RecordingSender, teams: None
) -> None:
    case_id = open_case(api)
    acks.acknowledge(case_id, clock.now())
    [message] = customer_messages(sender)
    url = message.headers["List-Unsubscribe"].strip("<>")
    assert url.startswith("http://127.0.0.1:3000/u/") and len(unsubscribe_code(message)) == 16
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in message.text and f'href="{url}"' in message.html


def test_a_tokyo_customer_at_3am_gets_an_email_at_once(
    api: Api, acks: CustomerAcks, sender: RecordingSender, teams: None
) -> None:
    # GIVEN a Japanese customer with an email address, at 03:00 in Tokyo
    case_id = open_case(api, customer={**TOKYO_CUSTOMER, "email": "sato@example.jp"}, interaction=APAC)
    # WHEN the case opens
    result = acks.acknowledge(case_id, clock.now())
    # THEN the email goes now (an email waits in the inbox), in Japanese, naming Yuki; APAC's 20-minute
    # deadline 18:20 UTC plus an hour, rounded up, is 19:30 UTC: 04:30 in Tokyo, at night for the
    # customer: the promise is for the start of their contact hours, 09:00
    [message] = customer_messages(sender)
    assert result == "sent" and message.channel == "email"
    assert message.text.startswith("佐藤 様")
    assert "担当のYukiより、本日09:00（JST）までにご連絡いたします。" in message.text


def test_sms_waits_for_the_morning_in_tokyo_but_not_in_oslo(
    api: Api, acks: CustomerAcks, sender: RecordingSender, virtual_clock: Clock, teams: None
) -> None:
    # GIVEN two customers with only a phone, at the same instant: 19:00 in Oslo, 03:00 in Tokyo
    oslo = open_case(api, "resp_oslo", customer=OSLO_CUSTOMER)
    tokyo = open_case(api, "resp_tokyo", customer=TOKYO_CUSTOMER, interaction=APAC)
    # WHEN both cases are acknowledged to the customer
    assert acks.acknowledge(oslo, clock.now()) == "sent"
    assert acks.acknowledge(tokyo, clock.now()) == "deferred"
    # THEN Oslo's SMS goes now; Tokyo's is scheduled for 09:00 Tokyo time, in the due index
    assert [(m.channel, m.to) for m in customer_messages(sender)] == [("sms", "+4791234500")]
    assert "Kari" in sender.sent[0].text and "i morgen kl. 09:00" in sender.sent[0].text
    scheduled = ScheduledMessageItem.get(f"SMSG#{tokyo}#customer_ack", "SMSG")
    assert scheduled.due_pk == "DUE#custmsg#0" and scheduled.due_at == "2026-11-24T00:00:00Z"
    assert ("customer_ack_deferred", {"channel": "sms", "until": "2026-11-24T00:00:00Z"}) in timeline(tokyo)

    # WHEN the 5-minute schedule runs at 08:55 Tokyo time, nothing is due yet
    virtual_clock.set(TOKYO_MORNING - timedelta(minutes=5))
    early = acks.send_due(clock.now())
    assert early.sent == [] and early.items_read == 0 and len(sender.sent) == 1

    # WHEN it runs at 09:00 Tokyo time
    virtual_clock.set(TOKYO_MORNING)
    due = acks.send_due(clock.now())
    # THEN the Japanese SMS goes, with a fresh promise an hour from now (the night's one has passed)
    assert due.sent == [tokyo] and due.items_read == 1
    message = customer_messages(sender)[-1]
    assert message.channel == "sms" and message.to == "+819012345600"
    assert (
        message.text
        == "ご期待に沿えず申し訳ございません。担当のYukiより本日10:00（JST）までにご連絡いたします。"
    )
    assert case_of(tokyo).customer_acked == "sent"
    assert ScheduledMessageItem.get(f"SMSG#{tokyo}#customer_ack", "SMSG").due_pk is None
    # AND a later run reads nothing and sends nothing more
    virtual_clock.set(TOKYO_MORNING + timedelta(minutes=5))
    assert acks.send_due(clock.now()).items_read == 0 and len(sender.sent) == 2


def test_a_team_can_switch_the_acknowledgement_off(
    api: Api, acks: CustomerAcks, sender: RecordingSender, stack: Stack, virtual_clock: Clock
) -> None:
    # GIVEN support-emea has customer_ack: false
    store_teams(support_emea={"customer_ack": False})
    case_id = open_case(api)
    # WHEN its case opens
    result = acks.acknowledge(case_id, clock.now())
    # THEN the customer hears nothing, and the case says why
    assert result == "skipped:turned_off" and sender.sent == []
    assert case_of(case_id).customer_acked == "skipped:turned_off"
    assert timeline(case_id) == [("customer_ack_skipped", {"reason": "turned_off"})]


def test_a_suppressed_address_is_skipped_and_recorded(
    api: Api, acks: CustomerAcks, sender: RecordingSender, teams: None
) -> None:
    # GIVEN Ada's address bounced before
    SuppressionStore().suppress(address_hash("A@example.com"), "bounce", "General", clock.now())
    case_id = open_case(api)
    # WHEN her case opens
    result = acks.acknowledge(case_id, clock.now())
    # THEN nothing is sent, and the timeline records the skip without the address
    assert result == "skipped:suppressed" and sender.sent == []
    assert timeline(case_id) == [("customer_ack_skipped", {"channel": "email", "reason": "suppressed"})]
    assert "example.com" not in json.dumps(timeline(case_id))


def test_a_retried_event_sends_nothing_twice(
    api: Api, acks: CustomerAcks, sender: RecordingSender, teams: None
) -> None:
    case_id = open_case(api)
    acks.acknowledge(case_id, clock.now())
    # WHEN the event is redelivered
    assert acks.acknowledge(case_id, clock.now()) == "sent"
    # AND WHEN a retry runs as if the first run died after sending, before recording the outcome
    case = case_of(case_id)
    case.update(actions=[CaseItem.customer_acked.remove()], add_version_condition=False)
    assert acks.acknowledge(case_id, clock.now()) == "sent"
    # THEN the customer got exactly one message
    assert len(customer_messages(sender)) == 1


def test_a_transient_send_failure_is_retried(
    api: Api, acks: CustomerAcks, sender: RecordingSender, teams: None
) -> None:
    case_id = open_case(api)
    sender.fail_next(2, transient=True)
    assert acks.acknowledge(case_id, clock.now()) == "sent"
    assert sender.attempts == 3 and len(sender.sent) == 1


# ----------------------------------------------------------------------------- unsubscribe
def unsubscribe_request(code: str, method: str, body: str | None = None) -> dict[str, Any]:
    request = event("unsubscribe_confirm.json")
    request["routeKey"] = request["requestContext"]["routeKey"] = f"{method} /u/{{code}}"
    request["rawPath"] = request["requestContext"]["http"]["path"] = f"/u/{code}"
    request["requestContext"]["http"]["method"] = method
    request["pathParameters"] = {"code": code}
    if body is not None:
        request["headers"] = {"content-type": "application/x-www-form-urlencoded"}
        request["body"] = body
    return request


@pytest.fixture
def unsubscribe(stack: Stack) -> ModuleType:
    return load_function("unsubscribe")


def test_one_click_post_opts_out_and_a_later_message_is_skipped(
    api: Api, acks: CustomerAcks, sender: RecordingSender, unsubscribe: ModuleType, teams: None
) -> None:
    # GIVEN Ada got an acknowledgement email
    first = open_case(api)
    acks.acknowledge(first, clock.now())
    code = unsubscribe_code(customer_messages(sender)[0])
    # WHEN the confirm page is opened (a GET), nothing changes
    shown = unsubscribe.lambda_handler(unsubscribe_request(code, "GET"), Context())
    assert shown["statusCode"] == 200 and 'lang="nb"' in shown["body"] and "Meld meg av" in shown["body"]
    customer_pk = case_of(first).cust_pk
    assert CustomerItem.get(customer_pk, "CUST").opted_out == {}
    # WHEN her mail client sends the RFC 8058 one-click POST
    done = unsubscribe.lambda_handler(
        unsubscribe_request(code, "POST", "List-Unsubscribe=One-Click"), Context()
    )
    # THEN she is opted out of email and SMS, and told so in Norwegian
    assert done["statusCode"] == 200 and "Du er meldt av" in done["body"]
    assert set(CustomerItem.get(customer_pk, "CUST").opted_out) == {"email", "sms"}
    # AND a new case of hers sends nothing, recorded as opted out
    second = open_case(api, "resp_2")
    assert acks.acknowledge(second, clock.now()) == "skipped:opted_out"
    assert len(sender.sent) == 1
    assert timeline(second) == [("customer_ack_skipped", {"channel": "email", "reason": "opted_out"})]


def test_unsubscribe_refuses_unknown_wrong_and_expired_codes(
    api: Api,
    acks: CustomerAcks,
    sender: RecordingSender,
    unsubscribe: ModuleType,
    virtual_clock: Clock,
    teams: None,
) -> None:
    from recovery.domain.links import Purpose

    unknown = unsubscribe.lambda_handler(unsubscribe_request("A" * 16, "POST", ""), Context())
    assert unknown["statusCode"] == 403
    ack_code = LinkStore().issue(Purpose.ACK, "cs_x", "kari", timedelta(days=1))
    assert unsubscribe.lambda_handler(unsubscribe_request(ack_code, "GET"), Context())["statusCode"] == 403
    case_id = open_case(api)
    acks.acknowledge(case_id, clock.now())
    code = unsubscribe_code(customer_messages(sender)[0])
    virtual_clock.set(EVENING_UTC + timedelta(days=366))
    expired = unsubscribe.lambda_handler(unsubscribe_request(code, "POST", ""), Context())
    assert expired["statusCode"] == 410 and "Lenken er utløpt" in expired["body"]
    assert CustomerItem.get(case_of(case_id).cust_pk, "CUST").opted_out == {}


# ----------------------------------------------------------------------------- the messenger for others
def test_a_leads_message_is_wrapped_and_a_second_one_is_not_a_duplicate(
    api: Api, messenger: CustomerMessenger, sender: RecordingSender, teams: None
) -> None:
    # GIVEN a case and its customer
    case_id = open_case(api)
    customer = AlertStore().get_customer(case_of(case_id).customer_key)
    assert customer is not None

    def render(text: str) -> Any:
        def build(language: str, links: MessageLinks) -> CustomerMessage:
            return render_lead_message(language, customer.name, "Kari Nordmann", "Refusjon", text, links)

        return build

    # WHEN a lead sends two messages (each with its own key) and the first is retried
    first = messenger.send(
        case_id, customer, "message", "email", render("Vi har refundert."), clock.now(), key="m1"
    )
    retry = messenger.send(
        case_id, customer, "message", "email", render("Vi har refundert."), clock.now(), key="m1"
    )
    second = messenger.send(case_id, customer, "message", "email", render("Noe mer?"), clock.now(), key="m2")
    # THEN two emails went, in Norwegian with Kari's sign-off and the unsubscribe footer
    assert (first.status, retry.status, retry.reason, second.status) == (
        "sent",
        "skipped",
        "already_sent",
        "sent",
    )
    texts = [m.text for m in sender.sent]
    assert len(texts) == 2 and texts[0].startswith("Hei Ada,") and "Vi har refundert." in texts[0]
    assert "Vennlig hilsen\nKari\n" in texts[0] and "Meld deg av slike e-poster: http" in texts[0]
    assert [kind for kind, _ in timeline(case_id)] == ["customer_message_sent", "customer_message_sent"]


def test_sms_at_night_may_go_when_the_caller_says_so(
    api: Api, messenger: CustomerMessenger, sender: RecordingSender, teams: None
) -> None:
    case_id = open_case(api, "resp_tokyo", customer=TOKYO_CUSTOMER, interaction=APAC)
    customer = AlertStore().get_customer(case_of(case_id).customer_key)
    assert customer is not None

    def render(language: str, links: MessageLinks) -> CustomerMessage:
        return CustomerMessage(sms=f"{language} text")

    deferred = messenger.send(case_id, customer, "message", "sms", render, clock.now(), key="a")
    sent = messenger.send(
        case_id, customer, "message", "sms", render, clock.now(), key="b", defer_sms_at_night=False
    )
    assert deferred.status == "deferred" and deferred.until == TOKYO_MORNING
    assert sent.status == "sent" and [m.text for m in sender.sent] == ["ja text"]


# ----------------------------------------------------------------------------- through the handler
def test_the_function_sends_a_raw_email_through_ses_with_the_headers(
    api: Api, stack: Stack, teams: None
) -> None:
    # GIVEN the real function, with SES (moto) and a verified sender
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="alerts@example.com")
    module = load_function("customer_ack")
    case_id = open_case(api)
    opened = event("customer_ack_case_opened.json")
    opened["detail"]["case_id"] = case_id
    # WHEN CaseOpened arrives twice
    first = module.lambda_handler(opened, Context())
    again = module.lambda_handler(opened, Context())
    # THEN one raw email went, with the one-click headers
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    raw = [m for m in sent if hasattr(m, "raw_data")]
    assert first["customer_acked"] == "sent" and again["customer_acked"] == "sent" and len(raw) == 1
    data = raw[0].raw_data
    assert "List-Unsubscribe: <http://127.0.0.1:3000/u/" in data
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in data


# ------------------------------------------------------------------ the promise: whose clock, and when
def promise_line(message: SentMessage) -> str:
    return next(line for line in message.text.splitlines() if "Kari" in line or "Mark" in line)


def test_a_turkish_customer_without_a_zone_is_promised_istanbul_time_by_their_phone(
    api: Api, acks: CustomerAcks, sender: RecordingSender, teams: None
) -> None:
    # GIVEN a Turkish customer with a +90 phone and no time zone, routed to the Oslo team at 18:00 UTC:
    # 21:00 in Istanbul, past their contact hours
    customer = {"id": "c-ist", "email": "elif@example.com.tr", "phone": "+905321234567", "locale": "tr-TR"}
    case_id = open_case(api, customer=customer)
    # WHEN the customer is acknowledged
    assert acks.acknowledge(case_id, clock.now()) == "sent"
    # THEN the promise is on Istanbul's clock (UTC+03:00, which has no letters abbreviation), at the start
    # of their contact hours tomorrow, never a CET time
    [message] = customer_messages(sender)
    assert "yarın saat 09:00 (UTC+03:00)" in promise_line(message)
    assert "CET" not in message.text


def test_a_turkish_locale_names_istanbul_when_there_is_no_phone(
    api: Api, acks: CustomerAcks, sender: RecordingSender, teams: None
) -> None:
    case_id = open_case(api, customer={"id": "c-tr", "email": "can@example.com.tr", "locale": "tr-TR"})
    assert acks.acknowledge(case_id, clock.now()) == "sent"
    [message] = customer_messages(sender)
    assert "(UTC+03:00)" in promise_line(message) and "CET" not in message.text


def test_a_new_york_customer_is_promised_new_york_time(
    api: Api, acks: CustomerAcks, sender: RecordingSender, teams: None
) -> None:
    # GIVEN a US customer with a 212 (New York) number, English, at 13:00 in New York
    customer = {"id": "c-nyc", "email": "sam@example.com", "phone": "+12125551234", "locale": "en-US"}
    case_id = open_case(api, customer=customer)
    assert acks.acknowledge(case_id, clock.now()) == "sent"
    # THEN the deadline 18:15 UTC plus an hour reads 14:15 in New York, EST
    [message] = customer_messages(sender)
    assert "by 14:15 today (EST)" in promise_line(message)


def test_the_promise_waits_for_the_team_to_be_on_duty(
    api: Api, acks: CustomerAcks, sender: RecordingSender, virtual_clock: Clock, stack: Stack
) -> None:
    # GIVEN the Oslo team's leads on duty on weekdays 08:00-17:00 only, and a case at 19:00 Oslo time
    config = load_alerting(ROOT / "config")
    assert config is not None
    office = {
        "timezone": "Europe/Oslo",
        "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:00", "end": "17:00"}],
    }
    levels = config.model_dump(mode="json")["teams"][0]["levels"]
    levels["1"] = [{**contact, "on_duty": office} for contact in levels["1"]]
    store_teams(support_emea={"levels": levels})
    case_id = open_case(api)
    # WHEN the customer is acknowledged
    assert acks.acknowledge(case_id, clock.now()) == "sent"
    # THEN the promise is not for tonight but for the next duty window, Tuesday 08:00, plus the 15-minute
    # deadline and the hour: 09:15, naming the lead on duty then
    [message] = customer_messages(sender)
    assert "Kari fra teamet vårt tar kontakt med deg innen i morgen kl. 09:15 (CET)." in message.text
