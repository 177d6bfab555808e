"""Slack end to end over HTTP, against the runtime's local Slack: a negative posts an alert with buttons to
the team's channel, Kari presses Acknowledge in Slack (`python -m local slack press`, signed as Slack
signs it), the case is acknowledged, the alert is updated, and escalation stops."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
import requests

from tests.e2e.conftest import REPO, RuntimeProcess
from tests.e2e.test_alerts_http import MONDAY_MORNING, post_negative, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("runtime")]
ACK_SLA_SECONDS = 15 * 60  # support-emea's ack_sla_minutes


@pytest.fixture(scope="module")
def slack_runtime(runtime_launcher: Any) -> Any:
    running = runtime_launcher.start()
    moved = requests.post(
        running.url("/_local/clock"), json={"set": MONDAY_MORNING, "catch_up": "last"}, timeout=60
    )
    assert moved.status_code == 200, moved.text
    yield running
    runtime_launcher.stop(running)


def messages(runtime: RuntimeProcess, case_id: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = requests.get(runtime.url("/_local/outbox.json"), timeout=10).json()
    return [entry for entry in entries if entry["case_id"] == case_id]


def slack(runtime: RuntimeProcess, case_id: str) -> list[dict[str, Any]]:
    return [entry for entry in messages(runtime, case_id) if entry["channel"] == "slack"]


def press(runtime: RuntimeProcess, case_id: str, action: str, user: str) -> tuple[int, str]:
    command = ["press", case_id, action, "--user", user]
    command += ["--runtime-file", str(runtime.cwd / ".local" / "runtime.json")]
    done = subprocess.run(
        [sys.executable, "-m", "local", "slack", *command],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        check=False,
    )
    status, _, body = done.stdout.partition("\n")
    assert status.isdigit(), done.stdout + done.stderr
    return int(status), body


def case_status(runtime: RuntimeProcess, case_id: str) -> str:
    answer = requests.post(runtime.url("/v1/session"), json=runtime["console_login"], timeout=10)
    assert answer.status_code == 200, answer.text
    auth = {"Authorization": f"Bearer {answer.json()['token']}"}
    case = requests.get(runtime.url(f"/v1/cases/{case_id}"), headers=auth, timeout=10)
    assert case.status_code == 200, case.text
    return str(case.json()["status"])


def advance(runtime: RuntimeProcess, seconds: int) -> None:
    moved = requests.post(
        runtime.url("/_local/clock"), json={"advance_seconds": seconds, "catch_up": "last"}, timeout=120
    )
    assert moved.status_code == 200, moved.text


def test_acknowledge_in_slack_acknowledges_the_case_and_stops_escalation(
    slack_runtime: RuntimeProcess,
) -> None:
    # GIVEN two negatives: one Kari acknowledges in Slack, one nobody acknowledges (the control)
    acked, ignored = post_negative(slack_runtime), post_negative(slack_runtime)
    # THEN each case's alert is posted to Support EMEA's channel, about that case
    for case_id in (acked, ignored):
        posted = wait_for(lambda case_id=case_id: slack(slack_runtime, case_id), timeout=10)
        assert [(m["to"], m["kind"], m["subject"].split(" ")[0]) for m in posted] == [
            ("C0EMEA", "alert", "chat.postMessage")
        ]
        assert case_status(slack_runtime, case_id) == "open"

    # WHEN Kari (U0KARI) presses Acknowledge on the first alert
    status, body = press(slack_runtime, acked, "ack", "U0KARI")
    assert status == 200, body
    # THEN the case is acknowledged, and the alert is updated to say so: in place (chat.update of its ts),
    # and through the pressed message's response_url
    assert case_status(slack_runtime, acked) == "acknowledged"
    alert_ts = slack(slack_runtime, acked)[0]["subject"].split(" ")[1]
    updated = wait_for(
        lambda: [m for m in slack(slack_runtime, acked) if m["kind"] == "acknowledged"], timeout=10
    )
    assert [(m["to"], m["subject"]) for m in updated] == [("C0EMEA", f"chat.update {alert_ts}")]
    response_url = f"{slack_runtime['slack']['response_url']}/C0EMEA/{alert_ts}"
    replaced = [m for m in slack(slack_runtime, acked) if m["to"] == response_url]
    assert [m["subject"] for m in replaced] == ["response_url replace_original"]
    assert "Acknowledged by Kari Nordmann" in replaced[0]["text"]

    # AND when the acknowledgement deadline passes, the unacknowledged case escalates and the other does not
    advance(slack_runtime, ACK_SLA_SECONDS + 2 * 60)
    escalated = wait_for(
        lambda: [m for m in messages(slack_runtime, ignored) if m["kind"] == "escalation"], timeout=10
    )
    assert escalated, messages(slack_runtime, ignored)
    assert [m for m in messages(slack_runtime, acked) if m["kind"] == "escalation"] == []


def test_a_press_by_someone_who_is_not_a_lead_changes_nothing(slack_runtime: RuntimeProcess) -> None:
    case_id = post_negative(slack_runtime)
    assert wait_for(lambda: slack(slack_runtime, case_id), timeout=10)
    status, body = press(slack_runtime, case_id, "ack", "U0NOBODY")
    assert status == 200, body
    assert case_status(slack_runtime, case_id) == "open"
    assert [m for m in slack(slack_runtime, case_id) if m["kind"] == "acknowledged"] == []
