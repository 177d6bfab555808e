"""Customer replies on moto, through the real functions with their roles from the template: the
acknowledgement carries a Reply-To, a reply stored in S3 and announced as SES does (SNS event) threads
onto the case, an SMS back threads or opts out, and nothing unknown, forged, oversized or repeated is
stored twice or at all."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from local.inbound import ses_notification, sms_message, sns_event
from recovery.store.cases import CaseStore
from recovery.store.models import CaseEventItem, CaseItem, CustomerItem, ReplyRouteItem
from tests.integration.conftest import Api, clock_at
from tests.integration.test_customer_contact import open_case, store_teams
from tests.support import REGION, Context, Stack, environment, event, load_function

EVENING_UTC = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # 19:00 in Oslo: inside contact hours
DOMAIN = "reply.example.com"
BUCKET = "recovery-inbound-mail-test"
MAIL_TOPIC = f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT_ID}:inbound-mail"
SMS_TOPIC = f"arn:aws:sns:{REGION}:{DEFAULT_ACCOUNT_ID}:inbound-sms"
ADA = "a@example.com"  # the sample feedback's customer
ADA_PHONE = "+4791234567"
REPLY_TO = re.compile(r"^Reply-To: (reply\+([a-z2-7]{20})@reply\.example\.com)\r?$", re.MULTILINE)


@pytest.fixture
def replies_on(stack: Stack) -> Iterator[None]:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="alerts@example.com")
    with environment({"REPLY_DOMAIN": DOMAIN, "INBOUND_MAIL_BUCKET": BUCKET}), clock_at(EVENING_UTC):
        store_teams()
        yield


@pytest.fixture
def inbound(replies_on: None) -> ModuleType:
    return load_function("inbound")


@pytest.fixture
def acks(replies_on: None) -> ModuleType:
    return load_function("customer_ack")


def acknowledge(acks: ModuleType, case_id: str) -> None:
    opened = event("customer_ack_case_opened.json")
    opened["detail"]["case_id"] = case_id
    acks.lambda_handler(opened, Context())


def reply_to_of_last_email() -> tuple[str, str]:
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    raw = [message.raw_data for message in sent if hasattr(message, "raw_data")]
    match = REPLY_TO.search(raw[-1])
    assert match, raw[-1][:2000]
    return match.group(1), match.group(2)


def timeline(case_id: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    return [
        (item.kind, item.actor, dict(item.detail))
        for item in CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))
    ]


def replies(case_id: str) -> list[dict[str, Any]]:
    return [detail for kind, _, detail in timeline(case_id) if kind == "customer_reply"]


def mail(
    to: str,
    text: str = "Thanks, but the app still crashes.",
    sender: str = ADA,
    attachment: bytes | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Ada <{sender}>"
    message["To"] = to
    message["Subject"] = "Re: Vi beklager"
    message.set_content(text)
    if attachment is not None:
        message.add_attachment(attachment, maintype="image", subtype="jpeg", filename="screenshot.jpg")
    return message.as_bytes()


def deliver_email(inbound: ModuleType, raw: bytes, to: str, message_id: str = "ses-msg-1") -> dict[str, Any]:
    """As SES receiving does it: the message stored under inbound/, then the notification on SNS."""
    key = f"inbound/{message_id}"
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=raw)
    notification = ses_notification(
        bucket=BUCKET,
        key=key,
        message_id=message_id,
        sender=ADA,
        recipients=[to],
        topic_arn=MAIL_TOPIC,
        now=EVENING_UTC,
    )
    result: dict[str, Any] = inbound.lambda_handler(
        sns_event(MAIL_TOPIC, json.dumps(notification), EVENING_UTC), Context()
    )
    return result


def deliver_sms(
    inbound: ModuleType, text: str, number: str = ADA_PHONE, message_id: str = "sms-1"
) -> dict[str, Any]:
    message = json.dumps(sms_message(number, text, message_id))
    result: dict[str, Any] = inbound.lambda_handler(sns_event(SMS_TOPIC, message, EVENING_UTC), Context())
    return result


def sms_routes() -> list[str]:
    return [str(item.pk) for item in ReplyRouteItem.scan() if str(item.pk).startswith("SMSROUTE#")]


def objects_left() -> list[str]:
    listing = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=BUCKET)
    return [item["Key"] for item in listing.get("Contents", [])]


def resolve(case_id: str) -> None:
    """The case resolved, as the console would leave it."""
    item = CaseItem.get(f"CASE#{case_id}", "CASE")
    item.update(
        actions=[
            CaseItem.status.set("resolved"),
            CaseItem.resolved_at.set(EVENING_UTC),
            CaseItem.queue_pk.set("QUEUE#support-emea#resolved"),
        ]
    )


# --------------------------------------------------------------------------------------------- email
def test_the_acknowledgement_carries_a_reply_to_and_the_reply_lands_on_the_case(
    api: Api, acks: ModuleType, inbound: ModuleType
) -> None:
    # GIVEN a case whose customer got the acknowledgement by email, with a Reply-To for the case
    case_id = open_case(api)
    acknowledge(acks, case_id)
    address, code = reply_to_of_last_email()
    assert address == f"reply+{code}@{DOMAIN}"
    # WHEN the customer replies, with the quoted acknowledgement under their words and a screenshot
    quoted = "On Mon, 23 Nov 2026 at 19:00, Support <alerts@example.com> wrote:\n> Vi beklager.\n"
    text = f"Thanks, but the app still crashes.\n\n{quoted}"
    raw = mail(address, text, attachment=b"\xff\xd8" + b"j" * 5000)
    result = deliver_email(inbound, raw, address)
    # THEN the reply is on the timeline as the customer's, the raw message is gone, nothing of the
    # attachment is kept
    assert result == {"threaded": 1}
    assert replies(case_id) == [
        {"channel": "email", "text": "Thanks, but the app still crashes.", "truncated": False}
    ]
    [(_, actor, _)] = [entry for entry in timeline(case_id) if entry[0] == "customer_reply"]
    assert actor == "customer"
    assert objects_left() == []


def test_the_same_notification_twice_threads_once(api: Api, acks: ModuleType, inbound: ModuleType) -> None:
    case_id = open_case(api)
    acknowledge(acks, case_id)
    address, _ = reply_to_of_last_email()
    deliver_email(inbound, mail(address), address, message_id="same")
    again = deliver_email(inbound, mail(address), address, message_id="same")
    assert again == {"duplicate": 1}
    assert len(replies(case_id)) == 1 and objects_left() == []


def test_a_reply_reopens_a_resolved_case(api: Api, acks: ModuleType, inbound: ModuleType) -> None:
    case_id = open_case(api)
    acknowledge(acks, case_id)
    address, _ = reply_to_of_last_email()
    resolve(case_id)
    deliver_email(inbound, mail(address, "It crashed again today."), address)
    case = CaseStore().get(case_id)
    assert case is not None and case.status == "acknowledged" and case.resolved_at is None
    kinds = [(kind, actor) for kind, actor, _ in timeline(case_id)]
    assert ("reopened", "system") in kinds and ("customer_reply", "customer") in kinds
    reopened = next(detail for kind, _, detail in timeline(case_id) if kind == "reopened")
    assert reopened == {"reason": "customer_reply", "channel": "email"}


@pytest.mark.parametrize("how", ["unknown_code", "forged_code", "unknown_sender", "no_reply_address"])
def test_unknown_or_forged_mail_is_dropped_with_nothing_stored(
    api: Api, acks: ModuleType, inbound: ModuleType, stack: Stack, how: str
) -> None:
    case_id = open_case(api)
    acknowledge(acks, case_id)
    address, code = reply_to_of_last_email()
    forged = code[:-1] + ("b" if code[-1] != "b" else "c")
    to = {
        "unknown_code": f"reply+{'a' * 20}@{DOMAIN}",
        "forged_code": f"reply+{forged}@{DOMAIN}",
        "no_reply_address": f"support@{DOMAIN}",
    }.get(how, address)
    sender = "mallory@example.net" if how == "unknown_sender" else ADA
    items_before = boto3.client("dynamodb", region_name=REGION).scan(TableName=stack.table)["Count"]
    result = deliver_email(inbound, mail(to, "Give me a refund", sender=sender), to)
    assert result == {"dropped": 1}
    assert replies(case_id) == []
    items_after = boto3.client("dynamodb", region_name=REGION).scan(TableName=stack.table)["Count"]
    assert items_after == items_before  # not even a dedupe marker
    assert objects_left() == []


def test_an_oversized_message_keeps_2000_characters_of_its_text_and_reads_256_kb(
    api: Api, acks: ModuleType, inbound: ModuleType
) -> None:
    case_id = open_case(api)
    acknowledge(acks, case_id)
    address, _ = reply_to_of_last_email()
    raw = mail(address, "Long story. " * 400, attachment=b"\x00" * (2 * 1024 * 1024))
    assert len(raw) > 2 * 1024 * 1024
    deliver_email(inbound, raw, address)
    [reply] = replies(case_id)
    assert reply["truncated"] is True and len(reply["text"]) == 2000
    assert reply["text"].startswith("Long story. Long story.")
    assert objects_left() == []


# ----------------------------------------------------------------------------------------------- sms
SMS_CUSTOMER = {
    "id": "c-oslo",
    "phone": ADA_PHONE,
    "name": "Ada",
    "locale": "nb-NO",
    "timezone": "Europe/Oslo",
}


def texted_case(api: Api, acks: ModuleType, external_id: str = "resp_sms") -> str:
    """A case whose customer has only a phone, acknowledged by SMS."""
    case_id = open_case(api, external_id=external_id, customer=SMS_CUSTOMER)
    acknowledge(acks, case_id)
    assert [kind for kind, _, _ in timeline(case_id) if kind == "customer_acknowledged"]
    return case_id


def test_a_text_back_threads_onto_the_case_it_was_texted_about(
    api: Api, acks: ModuleType, inbound: ModuleType
) -> None:
    case_id = texted_case(api, acks)
    # the route is keyed by the number's keyed hash: the number itself is in no key
    routes = sms_routes()
    assert len(routes) == 1 and ADA_PHONE not in routes[0] and "4791234567" not in routes[0]
    assert deliver_sms(inbound, "Ingen har ringt meg ennå") == {"threaded": 1}
    assert replies(case_id) == [{"channel": "sms", "text": "Ingen har ringt meg ennå", "truncated": False}]
    assert deliver_sms(inbound, "Ingen har ringt meg ennå") == {"duplicate": 1}  # the same message again
    assert len(replies(case_id)) == 1


def test_a_text_from_an_unknown_number_is_dropped(api: Api, acks: ModuleType, inbound: ModuleType) -> None:
    case_id = texted_case(api, acks)
    assert deliver_sms(inbound, "hello", number="+4791234500") == {"dropped": 1}
    assert replies(case_id) == []


@pytest.mark.parametrize("word", ["STOP", "Stopp", "AVSLUTT", "abmelden", "配信停止", "退订", "İPTAL"])
def test_stop_in_several_languages_opts_the_number_out(
    api: Api, acks: ModuleType, inbound: ModuleType, word: str
) -> None:
    case_id = texted_case(api, acks)
    assert deliver_sms(inbound, word) == {"opted_out": 1}
    customer = CustomerItem.get(CaseItem.get(f"CASE#{case_id}", "CASE").cust_pk, "CUST")
    assert "sms" in customer.opted_out and "email" not in customer.opted_out
    unreachable = [
        (actor, detail) for kind, actor, detail in timeline(case_id) if kind == "customer_unreachable"
    ]
    assert unreachable == [("system", {"channel": "sms", "reason": "opted_out"})]
    assert replies(case_id) == []


def test_a_text_reopens_the_latest_resolved_case(api: Api, acks: ModuleType, inbound: ModuleType) -> None:
    case_id = texted_case(api, acks)
    resolve(case_id)
    assert deliver_sms(inbound, "Still broken") == {"threaded": 1}
    case = CaseStore().get(case_id)
    assert case is not None and case.status == "acknowledged"


def test_without_a_reply_domain_no_reply_to_but_texts_still_find_their_case(api: Api, stack: Stack) -> None:
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="alerts@example.com")
    with clock_at(EVENING_UTC):
        store_teams()
        module = load_function("customer_ack")
        case_id = open_case(api)
        acknowledge(module, case_id)
        sms_case = open_case(api, external_id="resp_sms", customer=SMS_CUSTOMER)
        acknowledge(module, sms_case)
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    raw = [message.raw_data for message in sent if hasattr(message, "raw_data")]
    assert raw and all("Reply-To" not in data for data in raw)
    assert len(sms_routes()) == 1  # SMS replies need no reply domain
    assert sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages  # the SMS itself went


def test_the_reply_code_lives_180_days(api: Api, acks: ModuleType) -> None:
    from recovery.store.links import LinkStore

    case_id = open_case(api)
    acknowledge(acks, case_id)
    _, code = reply_to_of_last_email()
    grant = LinkStore().resolve_reply(code)
    assert grant is not None and grant.subject == case_id and not grant.single_use
    assert grant.expires_at - EVENING_UTC == timedelta(days=180)


def test_erasing_the_customer_redacts_their_replies(
    api: Api, acks: ModuleType, inbound: ModuleType, stack: Stack
) -> None:
    from recovery.domain.identity import PiiHasher
    from recovery.services.privacy import Privacy, identify
    from recovery.store import secrets
    from recovery.store.privacy import PrivacyStore

    case_id = open_case(api)
    acknowledge(acks, case_id)
    address, _ = reply_to_of_last_email()
    deliver_email(inbound, mail(address, "My card number is in the order notes."), address)
    assert replies(case_id)[0]["text"] == "My card number is in the order notes."
    Privacy(PrivacyStore(), lambda: PiiHasher(secrets.secret_bytes(stack.secret_arn))).erase(
        identify("c-42", "id"), EVENING_UTC
    )
    [reply] = replies(case_id)
    assert "card number" not in reply["text"] and reply["channel"] == "email"
