"""Slack alerts on moto: the case posted once to the team's channel, escalations in its thread, and the
message updated in place once the case is acknowledged. A recording poster stands in for Slack."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from recovery import clock
from recovery.domain.identity import PiiHasher
from recovery.domain.routing import parse_config
from recovery.notify.senders import RecordingSender
from recovery.notify.slack import RecordingSlack
from recovery.services.alerts import Alerts, CachedConfig
from recovery.services.case_deliveries import CaseDeliveries
from recovery.store.alerting import AlertStore, CaseDeliveryStore, ConfigStore
from recovery.store.feedback import FeedbackStore
from recovery.store.links import LinkStore
from recovery.store.models import DeliveryItem
from tests.integration.conftest import Clock
from tests.integration.test_alerts import ack_code, open_case, timeline
from tests.support import ROOT, Stack

CHANNEL = "C0EMEA"


def store_teams(slack_channel: str | None = CHANNEL) -> None:
    document = yaml.safe_load((ROOT / "config" / "teams.yaml").read_text())
    for team in document["teams"]:
        team.pop("slack_channel", None)
    if slack_channel is not None:
        document["teams"][0]["slack_channel"] = slack_channel  # support-emea
    ConfigStore().put(parse_config(document), clock.now(), by="test")


@pytest.fixture
def slack() -> RecordingSlack:
    return RecordingSlack()


@pytest.fixture
def slack_alerts(
    stack: Stack, virtual_clock: Clock, sender: RecordingSender, slack: RecordingSlack, metrics: list[Any]
) -> Alerts:
    store_teams()
    hasher = PiiHasher(b"k" * 32)
    return Alerts(
        AlertStore(),
        FeedbackStore(),
        CachedConfig(ConfigStore()),
        LinkStore(),
        sender,
        lambda address: hasher.digest("address", address.lower()),
        "http://127.0.0.1:3000",
        lambda name, value, unit: metrics.append((name, value)),
        sleep=lambda _: None,
        slack=slack,
    )


def slack_rows(case_id: str) -> list[tuple[int, str, str]]:
    rows = DeliveryItem.scan(DeliveryItem.pk.startswith(f"DLV#{case_id}#"))
    return sorted((int(row.level), str(row.kind), str(row.state)) for row in rows if row.channel == "slack")


def test_a_new_case_is_posted_once_to_the_teams_channel(
    api: Any, slack_alerts: Alerts, slack: RecordingSlack, sender: RecordingSender
) -> None:
    case_id = open_case(api)
    outcome = slack_alerts.alert(case_id)
    # The leads' email and SMS go as before; the channel gets the case with its buttons
    assert outcome.sent == 2 and outcome.slack == "posted"
    assert [(call.method, call.channel, call.thread_ts) for call in slack.calls] == [("post", CHANNEL, None)]
    message = slack.calls[0].message
    assert message.metadata == {
        "event_type": "recovery_case",
        "event_payload": {"case_id": case_id, "kind": "alert"},
    }
    buttons = next(block for block in message.blocks if block["type"] == "actions")["elements"]
    assert [(button["action_id"], button["value"]) for button in buttons] == [
        ("ack", case_id),
        ("take", case_id),
        ("open", case_id),
    ]
    assert slack_rows(case_id) == [(1, "alert", "sent")]
    # A redelivered event, and the sweep's resend of an alert it thinks lost, post nothing more
    slack_alerts.alert(case_id)
    assert len(slack.calls) == 1


def test_a_retried_alert_after_a_crash_posts_once(
    api: Any, slack_alerts: Alerts, slack: RecordingSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the alert posted to Slack, then the invocation died before the case was marked alerted
    case_id = open_case(api)

    def crash(*args: Any) -> None:
        raise RuntimeError("crash")

    with monkeypatch.context() as patch:
        patch.setattr(slack_alerts, "_after_alert", crash)
        with pytest.raises(RuntimeError):
            slack_alerts.alert(case_id)
    # WHEN Lambda retries the event
    slack_alerts.alert(case_id)
    # THEN the channel has the case once
    assert [call.method for call in slack.calls] == ["post"]


def test_a_transient_slack_failure_is_retried_and_a_permanent_one_counted(
    api: Any, slack_alerts: Alerts, slack: RecordingSlack, metrics: list[Any]
) -> None:
    first = open_case(api, "resp_1")
    slack.fail_next(2, transient=True)
    assert slack_alerts.alert(first).slack == "posted" and slack.attempts == 3
    second = open_case(api, "resp_2")
    slack.fail_next(1, transient=False)
    outcome = slack_alerts.alert(second)
    # The leads still hear of it; the failure is counted (and alarmed) like any delivery's
    assert outcome.slack == "failed" and outcome.sent == 2 and outcome.level == 1
    assert slack_rows(second) == [(1, "alert", "failed")]
    assert ("DeliveriesFailed", 1) in metrics


def test_escalations_are_replies_in_the_cases_thread(
    api: Any, slack_alerts: Alerts, slack: RecordingSlack, virtual_clock: Clock
) -> None:
    case_id = open_case(api)
    slack_alerts.alert(case_id)
    root = slack.calls[0].ts
    virtual_clock.advance(minutes=16)
    assert slack_alerts.sweep(clock.now()).escalated == [case_id]
    virtual_clock.advance(minutes=16)
    assert slack_alerts.sweep(clock.now()).escalated == [case_id]
    replies = slack.calls[1:]
    assert [(call.method, call.channel, call.thread_ts) for call in replies] == [
        ("post", CHANNEL, root),
        ("post", CHANNEL, root),
    ]
    first = str(replies[0].message.blocks)
    assert "level 2" in first and "not acknowledged by 11:15 CET" in first
    assert "level 3" in str(replies[1].message.blocks)
    assert [call.message.metadata["event_payload"]["kind"] for call in replies] == [
        "escalation",
        "escalation",
    ]
    assert slack_rows(case_id) == [(1, "alert", "sent"), (2, "escalation", "sent"), (3, "escalation", "sent")]
    # A sweep racing the first one escalates nothing more, and posts nothing more
    slack_alerts.escalate(case_id, clock.now())
    assert len(slack.calls) == 3


def test_the_acknowledged_case_updates_the_message_in_place(
    api: Any, slack_alerts: Alerts, slack: RecordingSlack, sender: RecordingSender, virtual_clock: Clock
) -> None:
    case_id = open_case(api)
    slack_alerts.alert(case_id)
    root = slack.calls[0].ts
    virtual_clock.advance(minutes=5)
    slack_alerts.acknowledge(ack_code(sender), clock.now())
    # WHEN CaseAcknowledged is handled (twice: EventBridge delivers at least once)
    assert slack_alerts.acknowledged(case_id) == "updated"
    assert slack_alerts.acknowledged(case_id) == "updated"
    updates = [call for call in slack.calls if call.method == "update"]
    assert [(call.channel, call.ts) for call in updates] == [(CHANNEL, root), (CHANNEL, root)]
    message = updates[0].message
    assert not [block for block in message.blocks if block["type"] == "actions"]
    assert "Acknowledged by *Kari Nordmann* at 11:05 CET" in str(message.blocks)
    assert message.metadata["event_payload"] == {"case_id": case_id, "kind": "acknowledged"}
    assert updates[0].message == updates[1].message
    assert "acknowledged" in timeline(case_id)


def test_nothing_is_posted_for_a_team_without_a_channel_or_without_the_secret(
    api: Any, slack_alerts: Alerts, slack: RecordingSlack, virtual_clock: Clock
) -> None:
    slack.on = False  # the stack's Slack secret does not exist
    first = open_case(api, "resp_1")
    assert slack_alerts.alert(first).sent == 2
    assert slack.calls == [] and slack_rows(first) == []
    assert slack_alerts.acknowledged(first) == "not acknowledged"
    slack.on = True
    store_teams(None)
    virtual_clock.advance(minutes=2)  # past the configuration's cache
    second = open_case(api, "resp_2")
    assert slack_alerts.alert(second).sent == 2
    assert slack.calls == [] and slack_rows(second) == []


def test_the_admin_view_lists_the_slack_message_and_its_replies(
    api: Any, slack_alerts: Alerts, virtual_clock: Clock
) -> None:
    case_id = open_case(api)
    slack_alerts.alert(case_id)
    virtual_clock.advance(minutes=16)
    slack_alerts.sweep(clock.now())
    hasher = PiiHasher(b"k" * 32)
    view = CaseDeliveries(
        CaseDeliveryStore(),
        lambda: CachedConfig(ConfigStore()).get(),
        lambda address: hasher.digest("address", address.lower()),
    ).of_case(case_id)
    slack_entries = [
        (entry["level"], entry["recipient"], entry["kind"], entry["state"])
        for entry in view["deliveries"]
        if entry["channel"] == "slack"
    ]
    assert slack_entries == [(1, CHANNEL, "alert", "sent"), (2, CHANNEL, "escalation", "sent")]
