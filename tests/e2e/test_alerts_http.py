"""Alerts end to end over HTTP: a negative reaches the leads' email and SMS in seconds, the link
acknowledges, and without an acknowledgement the clock drives escalation."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RuntimeProcess
from tests.support import EVENTS

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
MONDAY_MORNING = "2030-01-07T10:00:00Z"  # 11:00 in Oslo: Kari is on duty, Mark (nights) is not


def negative() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(
        json.loads((EVENTS / "ingest_feedback_negative.json").read_text())["body"]
    )
    body["external_id"] = f"resp-{uuid.uuid4().hex[:10]}"
    body["customer"]["id"] = f"cust-{uuid.uuid4().hex[:10]}"
    body["occurred_at"] = "2030-01-07T09:58:00Z"
    return body


LEAD_KINDS = ("alert", "escalation")


def outbox(runtime: RuntimeProcess, case_id: str) -> list[dict[str, Any]]:
    """Every message about the case, to anyone."""
    messages: list[dict[str, Any]] = requests.get(runtime.url("/_local/outbox.json"), timeout=10).json()
    return [message for message in messages if message["case_id"] == case_id]


def to_leads(runtime: RuntimeProcess, case_id: str) -> list[dict[str, Any]]:
    """The case's alerts and escalations (the customer hears about the case too, as `customer_ack`)."""
    return [message for message in outbox(runtime, case_id) if message["kind"] in LEAD_KINDS]


def wait_for(check: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


@pytest.fixture(scope="module")
def alerting(runtime_launcher: Any) -> Any:
    running = runtime_launcher.start()
    moved = requests.post(
        running.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
    )
    assert moved.status_code == 200, moved.text
    yield running
    runtime_launcher.stop(running)


def post_negative(runtime: RuntimeProcess) -> str:
    key = runtime["sources"][0]["key"]
    answer = requests.post(
        runtime.url("/v1/feedback"), json=negative(), headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["case_id"])


def test_a_negative_alerts_the_on_duty_leads_and_the_link_acknowledges(alerting: RuntimeProcess) -> None:
    case_id = post_negative(alerting)
    # THEN within a second, Kari's email and SMS are in the outbox, and the team's Slack channel has the
    # case (config/teams.yaml); Mark (off duty) got nothing
    messages = wait_for(lambda: len(to_leads(alerting, case_id)) >= 3 and to_leads(alerting, case_id))
    assert sorted((m["channel"], m["to"], m["kind"]) for m in messages) == [
        ("email", "kari@example.com", "alert"),
        ("slack", "C0EMEA", "alert"),
        ("sms", "+4791234567", "alert"),
    ]
    sms = next(m for m in messages if m["channel"] == "sms")
    email = next(m for m in messages if m["channel"] == "email")
    link = next(url for url in email["links"] if "/a/" in url)
    assert link in sms["text"] and re.search(r"/a/[A-Za-z0-9_-]{16}$", link)
    assert link.startswith(alerting["api_url"])  # the link works against this runtime

    # A GET shows a confirm page in Kari's language (nb) and changes nothing (mail scanners prefetch links)
    for _ in range(2):
        page = requests.get(link, timeout=10)
        assert page.status_code == 200 and "Kvitter: jeg tar den" in page.text and "<form" in page.text
        assert "NPS 3/10" in page.text and " CET" in page.text
    # The POST acknowledges, and offers the case in the console; a second POST is refused as used
    done = requests.post(link, timeout=10)
    assert done.status_code == 200 and "Eskaleringen er stoppet" in done.text
    assert f'href="{alerting["api_url"]}/console/#/cases/{case_id}"' in done.text
    assert requests.post(link, timeout=10).status_code == 410
    # And no escalation follows, however long nobody else acts
    requests.post(alerting.url("/_local/clock"), json={"advance_seconds": 3600}, timeout=60)
    assert all(m["kind"] == "alert" for m in to_leads(alerting, case_id))


def test_without_acknowledgement_the_clock_escalates_to_level_2(alerting: RuntimeProcess) -> None:
    case_id = post_negative(alerting)
    assert wait_for(lambda: len(to_leads(alerting, case_id)) >= 3)  # email, SMS and Slack
    # Before the 15-minute deadline, nothing more
    requests.post(alerting.url("/_local/clock"), json={"advance_seconds": 14 * 60}, timeout=60)
    assert len(to_leads(alerting, case_id)) == 3
    # After it, the sweep alerts level 2 (Ingrid), marked as an escalation, and says so in Slack
    requests.post(alerting.url("/_local/clock"), json={"advance_seconds": 2 * 60}, timeout=60)
    escalations = [m for m in to_leads(alerting, case_id) if m["kind"] == "escalation"]
    assert sorted((m["channel"], m["to"]) for m in escalations) == [
        ("email", "ingrid@example.com"),
        ("slack", "C0EMEA"),
        ("sms", "+4792345678"),
    ]


@pytest.mark.parametrize("code", ["AAAAAAAAAAAAAAAA", "short", "%3Cscript%3E"])
def test_unknown_codes_get_a_clear_refusal(alerting: RuntimeProcess, code: str) -> None:
    for method in (requests.get, requests.post):
        answer = method(alerting.url(f"/a/{code}"), timeout=10)
        assert answer.status_code == 403
        assert "Unknown link" in answer.text and "<script>" not in answer.text


def test_a_refusal_speaks_the_browsers_language(alerting: RuntimeProcess) -> None:
    # GIVEN a link we never sent, opened by a browser that asks for German, then Japanese
    for accept, said in (("de-DE,de;q=0.9,en;q=0.5", "Unbekannter Link"), ("ja", "不明なリンク")):
        answer = requests.get(
            alerting.url("/a/AAAAAAAAAAAAAAAA"), headers={"Accept-Language": accept}, timeout=10
        )
        # THEN the refusal is in that language: the link says nothing about who holds it
        assert answer.status_code == 403 and said in answer.text
