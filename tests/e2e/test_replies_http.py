"""Customer replies end to end over HTTP: the acknowledgement email in the outbox shows its Reply-To, an
answer sent to it through `POST /_local/inbound` (stored and announced as SES would) lands on the case's
timeline as the lead sees it, an SMS back does too, STOP opts the number out, and a bad body is refused."""

from __future__ import annotations

import json
import random
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RuntimeLauncher, RuntimeProcess
from tests.e2e.test_alerts_http import outbox, wait_for
from tests.support import EVENTS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
MONDAY_MORNING = "2030-01-07T10:00:00Z"  # 11:00 in Oslo: inside the customer's contact hours
REPLY_TO = re.compile(r"^reply\+[a-z2-7]{20}@reply\.recovery\.localhost$")


@pytest.fixture(scope="module")
def running(runtime_launcher: RuntimeLauncher) -> Iterator[RuntimeProcess]:
    started = runtime_launcher.start()
    moved = requests.post(
        started.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
    )
    assert moved.status_code == 200, moved.text
    yield started
    runtime_launcher.stop(started)


def negative(**customer: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(
        json.loads((EVENTS / "ingest_feedback_negative.json").read_text())["body"]
    )
    body["external_id"] = f"resp-{uuid.uuid4().hex[:10]}"
    body["customer"] = {"id": f"cust-{uuid.uuid4().hex[:10]}", "name": "Ada", "locale": "nb-NO", **customer}
    body["occurred_at"] = "2030-01-07T09:58:00Z"
    return body


def post_negative(runtime: RuntimeProcess, body: dict[str, Any]) -> str:
    key = runtime["sources"][0]["key"]
    answer = requests.post(
        runtime.url("/v1/feedback"), json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["case_id"])


def customer_ack(runtime: RuntimeProcess, case_id: str) -> dict[str, Any]:
    def found() -> list[dict[str, Any]]:
        return [m for m in outbox(runtime, case_id) if m["kind"] == "customer_ack"]

    messages = wait_for(found, timeout=20)
    assert messages, outbox(runtime, case_id)
    return messages[0]


def lead_auth(runtime: RuntimeProcess) -> dict[str, str]:
    login = runtime["console_login"]
    answer = requests.post(
        runtime.url("/v1/session"),
        json={"username": login["username"], "password": login["password"]},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def the_case(runtime: RuntimeProcess, case_id: str) -> dict[str, Any]:
    answer = requests.get(runtime.url(f"/v1/cases/{case_id}"), headers=lead_auth(runtime), timeout=10)
    assert answer.status_code == 200, answer.text
    document: dict[str, Any] = answer.json()
    return document


def timeline_of(runtime: RuntimeProcess, case_id: str, kind: str) -> list[dict[str, Any]]:
    return [event for event in the_case(runtime, case_id)["timeline"] if event["kind"] == kind]


def inbound(runtime: RuntimeProcess, document: Any) -> requests.Response:
    return requests.post(runtime.url("/_local/inbound"), json=document, timeout=60)


def test_an_email_reply_to_the_acknowledgement_lands_on_the_case(running: RuntimeProcess) -> None:
    # GIVEN a negative whose customer is acknowledged by email
    address = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    case_id = post_negative(running, negative(email=address))
    ack = customer_ack(running, case_id)
    # THEN the outbox shows the email's Reply-To: a reply code at the runtime's reply domain
    assert ack["channel"] == "email" and REPLY_TO.match(ack["reply_to"] or ""), ack
    # WHEN the customer answers it, quoting the acknowledgement under their words
    quoted = "man. 7. jan. 2030 kl. 11:00 skrev Kari <alerts@example.com>:\n> Vi beklager\n"
    text = f"Takk, men appen krasjer fortsatt.\n\n{quoted}"
    answer = inbound(
        running,
        {
            "channel": "email",
            "from": address,
            "to": ack["reply_to"],
            "subject": "Re: Vi beklager",
            "text": text,
        },
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["channel"] == "email" and answer.json()["delivered_to"] == 1
    # THEN the lead sees the reply on the case, without the quoted history, by the customer
    [reply] = wait_for(lambda: timeline_of(running, case_id, "customer_reply"), timeout=10)
    assert reply["detail"] == {
        "channel": "email",
        "text": "Takk, men appen krasjer fortsatt.",
        "truncated": False,
    }
    assert reply["by"]["type"] == "customer"


def test_a_reply_from_someone_else_or_to_a_made_up_code_is_not_stored(running: RuntimeProcess) -> None:
    address = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    case_id = post_negative(running, negative(email=address))
    ack = customer_ack(running, case_id)
    for sender, to in (
        ("mallory@example.net", ack["reply_to"]),
        (address, "reply+" + "a" * 20 + "@reply.recovery.localhost"),
    ):
        answer = inbound(
            running, {"channel": "email", "from": sender, "to": to, "subject": "Hi", "text": "Refund me"}
        )
        assert answer.status_code == 202, answer.text
    assert timeline_of(running, case_id, "customer_reply") == []


def test_a_text_back_threads_and_stop_opts_out(running: RuntimeProcess) -> None:
    # GIVEN a customer with only a phone, acknowledged by SMS (an SMS shows no Reply-To)
    phone = f"+47912{random.randrange(10000, 99998):05d}"
    case_id = post_negative(running, negative(phone=phone, timezone="Europe/Oslo"))
    ack = customer_ack(running, case_id)
    assert ack["channel"] == "sms" and ack["reply_to"] is None
    # WHEN they text back, then text STOP
    assert (
        inbound(running, {"channel": "sms", "from": phone, "text": "Ingen har ringt meg"}).status_code == 202
    )
    assert inbound(running, {"channel": "sms", "from": phone, "text": "STOPP"}).status_code == 202
    # THEN the text is on the case, the number is opted out, and the case says so
    [reply] = wait_for(lambda: timeline_of(running, case_id, "customer_reply"), timeout=10)
    assert reply["detail"] == {"channel": "sms", "text": "Ingen har ringt meg", "truncated": False}
    [unreachable] = timeline_of(running, case_id, "customer_unreachable")
    assert unreachable["detail"] == {"channel": "sms", "reason": "opted_out"}
    assert the_case(running, case_id)["customer"]["opted_out"] == ["sms"]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"channel": "fax", "from": "a", "text": "b"}, "/channel"),
        ({"channel": "email", "from": "a@example.com", "text": "hi"}, "/to"),
        ({"channel": "sms", "from": "+4791234567", "text": ""}, "/text"),
        ({"channel": "sms", "from": "+4791234567", "text": "hi", "subject": "x"}, "/subject"),
        (
            {
                "channel": "email",
                "from": "a@example.com",
                "to": "b@example.com",
                "subject": "a\nb",
                "text": "x",
            },
            "/subject",
        ),
    ],
)
def test_a_body_that_is_not_an_inbound_message_is_refused_naming_the_field(
    running: RuntimeProcess, body: dict[str, Any], pointer: str
) -> None:
    answer = inbound(running, body)
    assert answer.status_code == 400 and answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["errors"][0]["pointer"] == pointer


def test_inbound_takes_json_only_and_only_by_post(running: RuntimeProcess) -> None:
    not_json = requests.post(
        running.url("/_local/inbound"),
        data="channel=sms",
        timeout=10,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert not_json.status_code == 415
    broken = requests.post(
        running.url("/_local/inbound"), data="{", timeout=10, headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert requests.get(running.url("/_local/inbound"), timeout=10).status_code == 405
