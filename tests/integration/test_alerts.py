"""Alerts, escalation and acknowledgement on moto, with the demo teams from config/ and a recording
sender standing in for SES and SNS."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from recovery import clock
from recovery.domain import links
from recovery.domain.identity import PiiHasher
from recovery.notify.senders import RecordingSender
from recovery.services import deliverability
from recovery.services.alerts import Alerts
from recovery.store.links import LinkStore
from recovery.store.models import CaseEventItem, CaseItem, DeliveryItem
from recovery.store.suppressions import SuppressionStore
from tests.integration.conftest import DAYTIME, Api, Clock
from tests.support import event


def open_case(api: Api, external_id: str = "resp_1", **changes: Any) -> str:
    body = json.loads(event("ingest_feedback_negative.json")["body"])
    body.update(external_id=external_id, occurred_at="2026-11-23T09:55:00Z", **changes)
    status, _, answer = api.post("/v1/feedback", body)
    assert status == 201
    return str(answer["case_id"])


def ack_code(sender: RecordingSender, index: int = -1) -> str:
    email = [message for message in sender.sent if message.channel == "email"][index]
    return email.text.split("/a/")[1].split()[0].strip()


def timeline(case_id: str) -> list[str]:
    return [item.kind for item in CaseEventItem.query(f"CASE#{case_id}", CaseEventItem.sk.startswith("EVT#"))]


def test_on_duty_leads_get_email_and_sms(api: Api, alerts: Alerts, sender: RecordingSender) -> None:
    # GIVEN a negative from the EMEA support team, at 11:00 Oslo time
    case_id = open_case(api)
    # WHEN the alert function handles CaseOpened
    outcome = alerts.alert(case_id)
    # THEN Kari (on duty) gets an email and an SMS; Mark (nights only) is skipped
    assert sorted((m.channel, m.to) for m in sender.sent) == [
        ("email", "kari@example.com"),
        ("sms", "+4791234567"),
    ]
    assert outcome.sent == 2 and outcome.level == 1
    assert all(m.tags == {"kind": "alert", "case_id": case_id} for m in sender.sent)
    email = next(m for m in sender.sent if m.channel == "email")
    assert "P2" in email.subject and "Ventet i 40 minutter" in email.text and "/a/" in email.text
    case = CaseItem.get(f"CASE#{case_id}", "CASE")
    assert case.alert_state == "sent" and case.due_pk.startswith("DUE#ack#")
    assert case.ack_due_at == DAYTIME + timedelta(minutes=15)
    assert timeline(case_id) == ["alerted"]


def test_a_redelivered_event_sends_nothing_more(api: Api, alerts: Alerts, sender: RecordingSender) -> None:
    case_id = open_case(api)
    alerts.alert(case_id)
    again = alerts.alert(case_id)
    assert len(sender.sent) == 2 and again.skipped == "already alerted"


def test_a_transient_failure_is_retried_and_delivered(
    api: Api, alerts: Alerts, sender: RecordingSender
) -> None:
    case_id = open_case(api)
    sender.fail_next(2, transient=True)
    outcome = alerts.alert(case_id)
    assert outcome.sent == 2 and outcome.failed == 0 and sender.attempts == 4


def test_permanent_failures_move_the_case_to_the_next_level(
    api: Api, alerts: Alerts, sender: RecordingSender, metrics: list[Any]
) -> None:
    # GIVEN every level-1 message is refused for good
    case_id = open_case(api)
    sender.fail_next(2, transient=False)
    # WHEN the alert runs
    outcome = alerts.alert(case_id)
    # THEN both deliveries are marked failed, the failure is counted, and level 2 (Ingrid) is alerted
    rows = [item for item in DeliveryItem.scan(DeliveryItem.pk.startswith("DLV#")) if item.case_id == case_id]
    assert sorted((row.level, row.channel, row.state) for row in rows) == [
        (1, "email", "failed"),
        (1, "sms", "failed"),
        (2, "email", "sent"),
        (2, "sms", "sent"),
    ]
    assert ("DeliveriesFailed", 1) in metrics
    assert outcome.level == 2 and {m.to for m in sender.sent} == {"ingrid@example.com", "+4792345678"}
    assert "delivery_failed" in timeline(case_id)


def test_unacknowledged_case_escalates_then_breaches(
    api: Api, alerts: Alerts, sender: RecordingSender, virtual_clock: Clock
) -> None:
    case_id = open_case(api)
    alerts.alert(case_id)
    # Before the 15-minute deadline the sweep does nothing
    virtual_clock.advance(minutes=14)
    assert alerts.sweep(clock.now()).escalated == []
    # After it, level 2 is alerted, as an escalation
    virtual_clock.advance(minutes=2)
    assert alerts.sweep(clock.now()).escalated == [case_id]
    assert {m.to for m in sender.sent if m.tags["kind"] == "escalation"} == {
        "ingrid@example.com",
        "+4792345678",
    }
    # Then level 3 (email only), then the SLA is breached and nothing more is due
    virtual_clock.advance(minutes=16)
    assert alerts.sweep(clock.now()).escalated == [case_id]
    virtual_clock.advance(minutes=16)
    assert alerts.sweep(clock.now()).breached == [case_id]
    case = CaseItem.get(f"CASE#{case_id}", "CASE")
    assert case.sla_breached and case.due_pk is None
    virtual_clock.advance(minutes=30)
    swept = alerts.sweep(clock.now())
    assert swept.escalated == swept.breached == [] and swept.items_read == 0
    assert timeline(case_id) == ["alerted", "escalated", "escalated", "sla_breached"]


def test_an_escalation_reads_the_case_and_its_feedback_once(
    api: Api, alerts: Alerts, virtual_clock: Clock
) -> None:
    from recovery.store import models

    case_id = open_case(api)
    alerts.alert(case_id)
    virtual_clock.advance(minutes=16)
    read: list[str] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        read.append(params["Key"]["pk"]["S"].split("#", 1)[0])

    client = models.dynamodb_client()
    client.meta.events.register("provide-client-params.dynamodb.GetItem", count)
    try:
        assert alerts.sweep(clock.now()).escalated == [case_id]
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.GetItem", count)
    assert read.count("CASE") == 1 and read.count("FB") == 1


def test_acknowledging_stops_escalation(
    api: Api, alerts: Alerts, sender: RecordingSender, virtual_clock: Clock
) -> None:
    case_id = open_case(api)
    alerts.alert(case_id)
    code = ack_code(sender)
    virtual_clock.advance(minutes=3)
    # A GET (confirm page) changes nothing
    verdict, case = alerts.inspect(code, clock.now())
    assert verdict is links.Verdict.OK and case is not None and case.status == "open"
    # The POST acknowledges, once
    verdict, case = alerts.acknowledge(code, clock.now())
    assert verdict is links.Verdict.OK and case is not None
    assert (case.status, case.acked_by) == ("acknowledged", "kari")
    # out of the ack deadline's due index, into the idle reminder's (docs/notices.md)
    assert CaseItem.get(f"CASE#{case_id}", "CASE").due_pk == "DUE#remind#0"
    assert alerts.acknowledge(code, clock.now())[0] is links.Verdict.USED
    # No escalation afterwards
    virtual_clock.advance(hours=2)
    assert alerts.sweep(clock.now()).escalated == []
    assert len(sender.sent) == 2
    assert timeline(case_id) == ["alerted", "acknowledged"]


def test_unknown_expired_and_other_purpose_codes_are_refused(
    api: Api, alerts: Alerts, sender: RecordingSender, virtual_clock: Clock
) -> None:
    case_id = open_case(api)
    alerts.alert(case_id)
    assert alerts.acknowledge("A" * 16, clock.now())[0] is links.Verdict.UNKNOWN
    assert alerts.acknowledge("not a code", clock.now())[0] is links.Verdict.UNKNOWN
    other = LinkStore().issue(links.Purpose.FOLLOWUP, case_id, "customer", timedelta(days=1))
    assert alerts.acknowledge(other, clock.now())[0] is links.Verdict.WRONG_PURPOSE
    code = ack_code(sender)
    virtual_clock.advance(days=8)
    assert alerts.acknowledge(code, clock.now())[0] is links.Verdict.EXPIRED


def test_the_sweep_alerts_a_case_whose_event_was_lost(
    api: Api, alerts: Alerts, sender: RecordingSender, virtual_clock: Clock
) -> None:
    # GIVEN a case whose CaseOpened never reached the alert function
    case_id = open_case(api)
    # WHEN the sweep runs within the grace period, nothing; after it, the alert goes out
    assert alerts.sweep(clock.now()).alerted == []
    virtual_clock.advance(seconds=60)
    assert alerts.sweep(clock.now()).alerted == [case_id]
    assert len(sender.sent) == 2


def test_nobody_sends_twice_per_recipient_and_level(
    api: Api, alerts: Alerts, sender: RecordingSender
) -> None:
    case_id = open_case(api)
    alerts.alert(case_id)
    rows = [item for item in DeliveryItem.scan(DeliveryItem.pk.startswith("DLV#")) if item.case_id == case_id]
    assert {(row.channel, row.state) for row in rows} == {("email", "sent"), ("sms", "sent")}


def test_a_bounced_address_is_suppressed_and_skipped(
    api: Api, alerts: Alerts, sender: RecordingSender
) -> None:
    # GIVEN SES reported a permanent bounce for Kari's address
    hasher = PiiHasher(b"k" * 32)
    bounce = json.loads(event("deliveries_bounce.json")["Records"][0]["Sns"]["Message"])
    bounce["bounce"]["bouncedRecipients"][0]["emailAddress"] = "Kari@Example.com"
    transient = {**bounce, "bounce": {**bounce["bounce"], "bounceType": "Transient"}}
    store = SuppressionStore()
    done = deliverability.handle(
        [json.dumps(transient), json.dumps(bounce), "not json"],
        store,
        lambda address: hasher.digest("address", address.lower()),
        clock.now(),
    )
    assert [(s.address, s.reason) for s in done] == [("kari@example.com", "bounce")]
    alerts._suppressed = store.is_suppressed
    # WHEN a case alerts Kari
    case_id = open_case(api)
    alerts.alert(case_id)
    # THEN only the SMS goes out; the email row is marked suppressed, and the timeline says so
    assert [(m.channel, m.to) for m in sender.sent] == [("sms", "+4791234567")]
    assert "delivery_suppressed" in timeline(case_id)


def test_an_escalation_reads_the_level_2_contacts_language_and_clock(
    api: Api, alerts: Alerts, sender: RecordingSender, virtual_clock: Clock
) -> None:
    # GIVEN a case alerted at 10:00 UTC (11:00 in Oslo) and left unacknowledged past its deadline
    case_id = open_case(api)
    alerts.alert(case_id)
    virtual_clock.advance(minutes=16)
    # WHEN the sweep escalates to Ingrid (level 2, Norwegian, no on-duty hours of her own)
    assert alerts.sweep(clock.now()).escalated == [case_id]
    email = next(m for m in sender.sent if m.tags["kind"] == "escalation" and m.channel == "email")
    sms = next(m for m in sender.sent if m.tags["kind"] == "escalation" and m.channel == "sms")
    # THEN her deadline (10:16 + 15 min = 10:31 UTC) is on the team's clock, Oslo, with its abbreviation
    assert email.to == "ingrid@example.com"
    assert "Hei Ingrid Leder," in email.text
    assert "innen 2026-11-23 11:31 CET (Europe/Oslo)" in email.text
    assert "11:31 CET" in sms.text and "UTC" not in sms.text and "UTC" not in email.text
    # AND the email links into the case in the console, beside the acknowledge link
    assert f"Åpne saken i konsollen: http://127.0.0.1:3000/console/#/cases/{case_id}" in email.text


def test_yukis_sms_reads_tokyo_time(api: Api, alerts: Alerts, sender: RecordingSender) -> None:
    # GIVEN a case for the APAC team, whose lead Yuki (Japanese) has no on-duty hours of her own
    case_id = open_case(
        api, interaction={"id": "t-1", "channel": "chat", "agent": "ken", "team": "support-apac"}
    )
    # WHEN it is alerted at 10:00 UTC
    alerts.alert(case_id)
    sms = next(m for m in sender.sent if m.channel == "sms")
    email = next(m for m in sender.sent if m.channel == "email")
    # THEN the 20-minute deadline, 10:20 UTC, reads 19:20 JST (the team's zone, Asia/Tokyo)
    assert sms.to == "+819012345678"
    assert "確認期限 19:20 JST" in sms.text and "UTC" not in sms.text
    assert "19:20 JST" in email.subject + email.text and "UTC" not in email.text
    assert f"/console/#/cases/{case_id}" in email.text and "/console/" not in sms.text
