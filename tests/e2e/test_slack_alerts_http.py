"""Slack alerts end to end, against the runtime's local Slack Web API: the case is posted to the team's
channel, and acknowledging it by the email's link (not in Slack) updates that message in place."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.e2e.conftest import RuntimeProcess
from tests.e2e.test_alerts_http import MONDAY_MORNING, post_negative, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]


@pytest.fixture(scope="module")
def slack_alerting(runtime_launcher: Any) -> Any:
    running = runtime_launcher.start()
    moved = requests.post(
        running.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
    )
    assert moved.status_code == 200, moved.text
    yield running
    runtime_launcher.stop(running)


def entries(runtime: RuntimeProcess, case_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = requests.get(runtime.url("/_local/outbox.json"), timeout=10).json()
    return [entry for entry in found if entry["case_id"] == case_id]


def test_acknowledging_by_the_link_updates_the_slack_message_in_place(slack_alerting: RuntimeProcess) -> None:
    case_id = post_negative(slack_alerting)
    # THEN the case is posted to Support EMEA's channel, once
    posted = wait_for(
        lambda: [e for e in entries(slack_alerting, case_id) if e["channel"] == "slack"], timeout=10
    )
    assert [(e["to"], e["kind"], e["subject"].split(" ")[0]) for e in posted] == [
        ("C0EMEA", "alert", "chat.postMessage")
    ]
    ts = posted[0]["subject"].split(" ")[1]
    assert "Acknowledge" in posted[0]["text"] and "Take it" in posted[0]["text"]
    # WHEN Kari acknowledges through her email's link
    email = wait_for(lambda: [e for e in entries(slack_alerting, case_id) if e["channel"] == "email"])[0]
    link = next(url for url in email["links"] if "/a/" in url)
    assert requests.post(link, timeout=10).status_code == 200
    # THEN the same Slack message is updated: acknowledged by Kari, on the team's clock
    updated = wait_for(
        lambda: [e for e in entries(slack_alerting, case_id) if e["subject"] == f"chat.update {ts}"],
        timeout=10,
    )
    assert updated[0]["to"] == "C0EMEA" and updated[0]["kind"] == "acknowledged"
    assert "Acknowledged by *Kari Nordmann* at" in updated[0]["text"] and " CET" in updated[0]["text"]
