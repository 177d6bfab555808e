"""Owner notices in the embedded runtime, over HTTP on the virtual clock: a customer's reply and a STOP
(through `POST /_local/inbound`) reach the lead on duty by email; a case Kari acknowledges and then
leaves idle is reminded of once, past half its resolve SLA, by an email in her language (the sweep writes
the reminder, the stream turns it into CaseNotice, the bus hands it to the alert function), and the case's
Slack thread gets one line."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RuntimeProcess
from tests.e2e.test_alerts_http import negative, outbox, wait_for
from tests.e2e.test_closed_loop_http import MONDAY_MORNING, advance, change, sign_in
from tests.e2e.test_replies_http import customer_ack, inbound, post_negative
from tests.e2e.test_replies_http import negative as reply_negative

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]


@pytest.fixture(scope="module")
def runtime(runtime_launcher: Any) -> Any:
    running = runtime_launcher.start()
    moved = requests.post(
        running.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
    )
    assert moved.status_code == 200, moved.text
    yield running
    runtime_launcher.stop(running)


def notices(runtime: RuntimeProcess, case_id: str) -> list[dict[str, Any]]:
    return [message for message in outbox(runtime, case_id) if message["kind"] == "notice"]


def test_a_customer_reply_is_quoted_to_the_lead_on_duty(runtime: RuntimeProcess) -> None:
    # GIVEN a case nobody has taken yet, its customer acknowledged by email
    address = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    case_id = post_negative(runtime, reply_negative(email=address))
    ack = customer_ack(runtime, case_id)
    # WHEN the customer answers the acknowledgement (a <b> in it, as customers write)
    answer = inbound(
        runtime,
        {
            "channel": "email",
            "from": address,
            "to": ack["reply_to"],
            "subject": "Re: Vi beklager",
            "text": "Appen krasjer <b>fortsatt</b>.",
        },
    )
    assert answer.status_code == 202, answer.text
    # THEN Kari, the lead on duty (Mark works nights), gets the reply quoted, in Norwegian; as text in the
    # plain part, escaped in the HTML
    found = wait_for(lambda: [m for m in notices(runtime, case_id) if m["channel"] == "email"], timeout=15)
    assert [message["to"] for message in found] == ["kari@example.com"], outbox(runtime, case_id)
    assert "kunden har svart" in found[0]["subject"]
    assert "Appen krasjer <b>fortsatt</b>." in found[0]["text"]
    assert "&lt;b&gt;fortsatt&lt;/b&gt;" in found[0]["html"]


def test_stop_tells_the_lead_the_customer_cannot_be_reached_by_sms(runtime: RuntimeProcess) -> None:
    phone = f"+47912{random.randrange(10000, 99998):05d}"
    case_id = post_negative(runtime, reply_negative(phone=phone, timezone="Europe/Oslo"))
    customer_ack(runtime, case_id)
    assert inbound(runtime, {"channel": "sms", "from": phone, "text": "STOPP"}).status_code == 202
    found = wait_for(lambda: [m for m in notices(runtime, case_id) if m["channel"] == "email"], timeout=15)
    assert [message["to"] for message in found] == ["kari@example.com"], outbox(runtime, case_id)
    assert "kan ikke nås på SMS" in found[0]["subject"]
    assert "kunden har meldt seg av SMS" in found[0]["text"] and phone not in found[0]["text"]


def test_an_idle_acknowledged_case_reminds_its_owner_once(runtime: RuntimeProcess) -> None:
    # GIVEN a negative that Kari acknowledges in the console (resolve SLA 24 h)
    key = runtime["sources"][0]["key"]
    created = requests.post(
        runtime.url("/v1/feedback"), json=negative(), headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    advance(runtime, 60)
    auth = sign_in(runtime)
    assert change(runtime, auth, case_id, "ack", {})["status"] == "acknowledged"
    # WHEN 13 hours pass with nothing done on it
    advance(runtime, 13 * 3600)
    # THEN Kari gets one reminder, in Norwegian, linking to the case, and the case's Slack thread one line
    found = wait_for(lambda: len(notices(runtime, case_id)) >= 2 and notices(runtime, case_id), timeout=15)
    sent = sorted((message["channel"], message["to"]) for message in found)
    assert sent == [("email", "kari@example.com"), ("slack", "C0EMEA")], outbox(runtime, case_id)
    email = next(message for message in found if message["channel"] == "email")
    assert "ingenting gjort ennå" in email["subject"]
    assert f"/console/#/cases/{case_id}" in email["text"]
    case = requests.get(runtime.url(f"/v1/cases/{case_id}"), headers=auth, timeout=10).json()
    assert [entry["kind"] for entry in case["timeline"]].count("ack_reminder") == 1
    # and never again
    advance(runtime, 3600)
    assert len(notices(runtime, case_id)) == 2
