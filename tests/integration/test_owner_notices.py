"""Owner notices end to end on moto, every function's role from template.yaml enforced: a customer email
bouncing shows on its case and tells the owner once; a follow-up left unanswered tells the team's lead;
an acknowledged case left idle past half its resolve SLA is reminded of once, and not after an action.

The chain is the real one: the deliveries, follow-up and sweep code write the timeline event, the stream
function reads its INSERT from moto's stream and publishes `CaseNotice`, and the alert function sends.
"""

from __future__ import annotations

import copy
import json
from types import ModuleType
from typing import Any

import pytest

from recovery import clock
from recovery.domain.changes import DomainEvent
from recovery.notify.senders import RecordingSender
from recovery.services.alerts import Alerts
from recovery.services.follow_up import FollowUps
from recovery.services.stream_processor import StreamProcessor
from recovery.store.cases import CaseStore
from recovery.store.models import CaseEventItem, CaseItem
from tests.integration.conftest import Api, Clock
from tests.integration.test_alerts import ack_code, open_case
from tests.integration.test_followups import due_run, followups, resolved_case, suppressions
from tests.integration.test_slack_alert_function import SlackWebApi, bus_event, web_api
from tests.integration.test_slack_alert_function import alert_function as slack_alert_function
from tests.integration.test_slack_alerts import CHANNEL, store_teams
from tests.support import ROOT, Context, Stack, StreamReader, event, load_function

__all__ = ["followups", "suppressions", "web_api"]  # fixtures used here

FIXTURES = ROOT / "tests" / "fixtures" / "aws"


class RecordingBus:
    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def publish(self, events: Any) -> None:
        self.events.extend(events)


def timeline(case_id: str) -> list[tuple[str, dict[str, Any]]]:
    events = CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))
    return [(item.kind, dict(item.detail or {})) for item in events]


def notices_from_stream(reader: StreamReader) -> list[DomainEvent]:
    """What the real stream function publishes for the records written since the last read."""
    stream = load_function("stream")
    bus = RecordingBus()
    stream.processor = StreamProcessor(stream.processor._counters, bus)
    assert stream.lambda_handler({"Records": reader.read()}, Context()) == {"batchItemFailures": []}
    return [each for each in bus.events if each.detail_type == "CaseNotice"]


@pytest.fixture
def alert_function(stack: Stack) -> ModuleType:
    module = load_function("alert")
    module.notices._mailer._sender = RecordingSender()
    return module


def deliver(alert_function: ModuleType, notice: DomainEvent) -> dict[str, Any]:
    document = event("alert_case_opened.json")
    document["detail-type"] = notice.detail_type
    document["detail"] = notice.detail
    return dict(alert_function.lambda_handler(document, Context()))


def outbox(alert_function: ModuleType) -> RecordingSender:
    sender: RecordingSender = alert_function.notices._mailer._sender
    return sender


def ses_event(name: str, case_id: str) -> dict[str, Any]:
    """The SES notification `name` (tests/fixtures/aws, its `mail.tags` naming `case_id`) as SNS hands it
    to the deliveries function."""
    notification = json.loads((FIXTURES / name).read_text("utf-8"))
    notification["mail"]["tags"]["case_id"] = [case_id]
    document = copy.deepcopy(event("deliveries_bounce.json"))
    document["Records"][0]["Sns"]["Message"] = json.dumps(notification)
    return document


def test_a_bounced_customer_email_shows_on_the_case_and_tells_the_owner_once(
    api: Api, stack: Stack, alerts: Alerts, sender: RecordingSender, alert_function: ModuleType
) -> None:
    # GIVEN a case Kari acknowledged (she owns it)
    case_id = open_case(api)
    alerts.alert(case_id)
    alerts.acknowledge(ack_code(sender), clock.now())
    reader = StreamReader(stack.table)
    reader.read()
    # WHEN SES reports that our acknowledgement to the customer bounced for good, delivered twice
    deliveries = load_function("deliveries")
    bounce = ses_event("ses_sns_bounce_with_dsn.tagged.CONSTRUCTED.json", case_id)
    first = deliveries.lambda_handler(bounce, Context())
    second = deliveries.lambda_handler(copy.deepcopy(bounce), Context())
    # THEN the case shows it once, at once
    assert (first["unreachable"], second["unreachable"]) == ([case_id], [])
    unreachable = [detail for kind, detail in timeline(case_id) if kind == "customer_unreachable"]
    assert unreachable == [{"channel": "email", "reason": "bounce"}]
    # AND the stream publishes one CaseNotice, with keys only
    [notice] = notices_from_stream(reader)
    assert notice.detail["notice"] == "customer_unreachable" and notice.detail["case_id"] == case_id
    assert "@" not in json.dumps(notice.detail)
    # AND the alert function, handed it twice (EventBridge delivers at least once), emails Kari once
    assert deliver(alert_function, notice)["sent"] == 1
    assert deliver(alert_function, notice)["sent"] == 0
    [email] = outbox(alert_function).sent
    assert (email.channel, email.to, email.tags) == (
        "email",
        "kari@example.com",
        {"kind": "notice", "case_id": case_id},
    )
    # in Norwegian: the customer can't be reached by email, the address masked, the case linked
    assert "kan ikke nås på e-post" in email.subject
    assert "a***@example.com (kan ikke nås)" in email.text and "a@example.com" not in email.text
    assert f"/console/#/cases/{case_id}" in email.text


def test_a_complaint_about_a_follow_up_marks_the_case_and_a_lead_alert_does_not(
    api: Api, stack: Stack, alerts: Alerts
) -> None:
    case_id = open_case(api)
    deliveries = load_function("deliveries")
    complaint = ses_event("ses_sns_complaint_with_feedback_report.tagged.CONSTRUCTED.json", case_id)
    assert deliveries.lambda_handler(complaint, Context())["unreachable"] == [case_id]
    # A bounce of a lead's alert (kind alert) says nothing about the customer
    alert_bounce = ses_event("ses_sns_bounce_with_dsn.tagged.CONSTRUCTED.json", case_id)
    message = json.loads(alert_bounce["Records"][0]["Sns"]["Message"])
    message["mail"]["tags"]["kind"] = ["alert"]
    alert_bounce["Records"][0]["Sns"]["Message"] = json.dumps(message)
    assert deliveries.lambda_handler(alert_bounce, Context())["unreachable"] == []
    # and neither does a bounce naming a case that does not exist
    assert (
        deliveries.lambda_handler(
            ses_event("ses_sns_bounce_with_dsn.tagged.CONSTRUCTED.json", "cs_gone"), Context()
        )["unreachable"]
        == []
    )
    assert [detail for kind, detail in timeline(case_id) if kind == "customer_unreachable"] == [
        {"channel": "email", "reason": "complaint"}
    ]


def test_a_follow_up_without_an_answer_tells_the_lead_which_channels_to_try(
    api: Api,
    stack: Stack,
    followups: FollowUps,
    virtual_clock: Clock,
    alert_function: ModuleType,
) -> None:
    # GIVEN a resolved case with no owner, whose follow-up went out by email
    case_id = resolved_case(api, "resp_1")
    due_run(followups, virtual_clock, days=3, minutes=5)
    reader = StreamReader(stack.table)
    reader.read()
    # WHEN the answer window closes with no answer
    assert due_run(followups, virtual_clock, days=7).no_response == [case_id]
    [detail] = [d for k, d in timeline(case_id) if k == "followup_no_response"]
    assert detail["channel"] == "email" and detail["sent_at"]
    # THEN the notice reaches the team's lead on duty (Kari; Mark works nights), in her language
    [notice] = notices_from_stream(reader)
    assert deliver(alert_function, notice)["sent"] == 1
    [email] = outbox(alert_function).sent
    assert email.to == "kari@example.com"
    assert "Prøv en annen kanal" in email.text
    assert "- e-post: a***@example.com" in email.text and "- SMS: +47 *** ** 567" in email.text
    assert "+4791234567" not in email.text


def test_an_idle_acknowledged_case_is_reminded_once_past_half_its_sla_and_not_after_an_action(
    api: Api,
    stack: Stack,
    alerts: Alerts,
    sender: RecordingSender,
    virtual_clock: Clock,
    alert_function: ModuleType,
) -> None:
    # GIVEN two cases opened now (resolve SLA 24 h) and acknowledged by Kari
    idle, worked = open_case(api, "resp_1"), open_case(api, "resp_2")
    for case_id in (idle, worked):
        alerts.alert(case_id)
        alerts.acknowledge(ack_code(sender), clock.now())
    assert CaseItem.get(f"CASE#{idle}", "CASE").due_pk.startswith("DUE#remind#")
    # AND something is done on the second one
    store = CaseStore()
    case = store.get(worked)
    assert case is not None
    store.note(case, int(case.version or 0), "note", "kari", clock.now(), {"text": "called the customer"})
    assert CaseItem.get(f"CASE#{worked}", "CASE").due_pk is None
    reader = StreamReader(stack.table)
    reader.read()
    sweep = load_function("sweep")
    # WHEN the sweep runs just before half the SLA, then past it, then again
    virtual_clock.advance(hours=11, minutes=59)
    assert sweep.lambda_handler({}, Context())["reminded"] == []
    virtual_clock.advance(minutes=2)
    assert sweep.lambda_handler({}, Context())["reminded"] == [idle]
    assert sweep.lambda_handler({}, Context())["reminded"] == []
    # THEN only the idle case has one reminder, and it is out of the due index
    assert [kind for kind, _ in timeline(idle)].count("ack_reminder") == 1
    assert "ack_reminder" not in [kind for kind, _ in timeline(worked)]
    assert CaseItem.get(f"CASE#{idle}", "CASE").due_pk is None
    # AND Kari, its owner, is told how long it has waited and when it is due, on her clock
    [notice] = notices_from_stream(reader)
    assert notice.detail["case_id"] == idle and notice.detail["team"] == "support-emea"
    assert deliver(alert_function, notice)["sent"] == 1
    [email] = outbox(alert_function).sent
    assert email.to == "kari@example.com"
    assert "bekreftet for 12 timer siden" in email.text
    assert "2026-11-24 11:00 CET (Europe/Oslo)" in email.text


def test_the_notice_is_also_a_reply_in_the_cases_slack_thread_once(
    api: Api, stack: Stack, alerts: Alerts, web_api: SlackWebApi
) -> None:
    # GIVEN a case posted to Support EMEA's Slack channel by the real alert function
    store_teams()
    module = slack_alert_function(web_api)
    module.notices._mailer._sender = RecordingSender()
    case_id = open_case(api)
    module.lambda_handler(bus_event("CaseOpened", case_id), Context())
    root = web_api.calls[0].body
    reader = StreamReader(stack.table)
    reader.read()
    # WHEN the customer marks our follow-up as spam, and the notice is delivered twice
    deliveries = load_function("deliveries")
    deliveries.lambda_handler(
        ses_event("ses_sns_complaint_with_feedback_report.tagged.CONSTRUCTED.json", case_id), Context()
    )
    [notice] = notices_from_stream(reader)
    assert deliver(module, notice)["slack"] == "posted"
    assert deliver(module, notice)["slack"] is None
    # THEN one reply went to the case's thread, naming the channel and why, never an address
    replies = [call.body for call in web_api.calls if call.body.get("thread_ts")]
    assert len(replies) == 1 and root["channel"] == CHANNEL
    assert (replies[0]["channel"], replies[0]["thread_ts"]) == (CHANNEL, "1764900000.000001")
    assert replies[0]["metadata"]["event_payload"] == {"case_id": case_id, "kind": "notice"}
    blocks = json.dumps(replies[0]["blocks"])
    assert "cannot be reached by email" in blocks and "marked as spam" in blocks and "@" not in blocks
    # and the team's lead on duty got the email as well (the case has no owner yet)
    assert [m.to for m in outbox(module).sent] == ["kari@example.com"]
