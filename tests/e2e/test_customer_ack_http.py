"""The customer's side end to end over HTTP: a negative brings the customer an apology naming the lead
within a minute of virtual time, in their language, and the email's one-click unsubscribe works."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RuntimeLauncher, RuntimeProcess
from tests.support import EVENTS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
MONDAY_MORNING = "2030-01-07T10:00:00Z"  # 11:00 in Oslo: Kari is on duty


def negative(customer_id: str, **customer: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(
        json.loads((EVENTS / "ingest_feedback_negative.json").read_text())["body"]
    )
    body["external_id"] = f"resp-{uuid.uuid4().hex[:10]}"
    body["customer"].update(id=customer_id, **customer)
    body["occurred_at"] = "2030-01-07T09:58:00Z"
    return body


@pytest.fixture(scope="module")
def running(runtime_launcher: RuntimeLauncher) -> Iterator[RuntimeProcess]:
    started = runtime_launcher.start()
    moved = requests.post(
        started.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
    )
    assert moved.status_code == 200, moved.text
    yield started
    runtime_launcher.stop(started)


def post_negative(runtime: RuntimeProcess, body: dict[str, Any]) -> str:
    key = runtime["sources"][0]["key"]
    answer = requests.post(
        runtime.url("/v1/feedback"), json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["case_id"])


def customer_acks(runtime: RuntimeProcess, case_id: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = requests.get(runtime.url("/_local/outbox.json"), timeout=10).json()
    return [m for m in messages if m["case_id"] == case_id and m["kind"] == "customer_ack"]


def within_a_virtual_minute(runtime: RuntimeProcess, case_id: str) -> list[dict[str, Any]]:
    """The case's customer messages, waiting up to a minute of virtual time (in 10-second steps)."""
    for _ in range(6):
        found = customer_acks(runtime, case_id)
        if found:
            return found
        time.sleep(0.2)
        requests.post(runtime.url("/_local/clock"), json={"advance_seconds": 10}, timeout=60)
    return customer_acks(runtime, case_id)


def test_the_customer_hears_at_once_in_their_language_and_can_unsubscribe(running: RuntimeProcess) -> None:
    customer_id = f"cust-{uuid.uuid4().hex[:10]}"
    # GIVEN a Norwegian customer's negative, at 11:00 in Oslo
    case_id = post_negative(running, negative(customer_id, email=f"{customer_id}@example.com"))
    # THEN within a minute an apology naming Kari is in the outbox, in Norwegian, with a promised time:
    # the 15-minute deadline (10:15 UTC) plus an hour is 11:15 UTC, 12:15 in Oslo
    [message] = within_a_virtual_minute(running, case_id)
    assert message["channel"] == "email" and message["to"] == f"{customer_id}@example.com"
    assert message["subject"] == "Vi beklager, og vi tar tak i det"
    assert "Kari fra teamet vårt tar kontakt med deg innen i dag kl. 12:15 (CET)." in message["text"]
    link = next(url for url in message["links"] if "/u/" in url)
    assert link.startswith(running["api_url"])

    # WHEN the mail client sends the RFC 8058 one-click POST
    done = requests.post(
        link,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    # THEN the customer is unsubscribed, told so in Norwegian; the link keeps answering
    assert done.status_code == 200 and "Du er meldt av" in done.text
    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and 'lang="nb"' in page.text

    # AND a later case of theirs brings them no message
    later = post_negative(running, negative(customer_id, email=f"{customer_id}@example.com"))
    assert within_a_virtual_minute(running, later) == []


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAAAA", "short"])
def test_unknown_unsubscribe_codes_are_refused(running: RuntimeProcess, code: str) -> None:
    for method in (requests.get, requests.post):
        answer = method(running.url(f"/u/{code}"), timeout=10)
        assert answer.status_code == 403 and "Link not valid" in answer.text
